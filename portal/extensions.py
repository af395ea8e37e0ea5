"""Extensions, created unbound; create_app() binds them."""

from flask import has_request_context, request
from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.database import Base, Session
from portal.forms import INT_MAX


class PortalSQLAlchemy(SQLAlchemy):
    def paginate(self, select, *, page: int | None = None, per_page: int | None = None, **kwargs):
        """`?page=` is bounded like every number the portal reads: a page past any real list is
        an empty page, not an OverflowError from the driver (`?page=99999999999999999999`)."""
        if page is None and has_request_context():
            raw = request.args.get("page", "")
            page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) > 6 else None
        if page is not None:
            page = min(page, INT_MAX // max(per_page or 20, 1))
        return super().paginate(select, page=page, per_page=per_page, **kwargs)


db = PortalSQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Rendered pages shared by every process (portal/pagecache.py): SimpleCache, or Redis in production.
cache = Cache()
