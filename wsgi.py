"""gunicorn 'wsgi:app'. A server is production unless GANCANG_ENV says otherwise, so a
forgotten variable fails loudly (missing secrets) instead of running with development keys."""

import os

from portal import create_app

app = create_app(os.environ.get("GANCANG_ENV", "production"))
