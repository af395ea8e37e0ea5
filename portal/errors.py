"""Error pages in the user's language; htmx requests get a small fragment instead."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from portal.htmx import render

MESSAGES = {
    400: (_l("Something in that request was not right"), _l("Please go back, reload the page and try again.")),
    403: (_l("You do not have access to this page"), _l("If you think you should, ask the regency admin.")),
    404: (_l("Page not found"), _l("The link may be old, or the page was moved.")),
    405: (_l("That action is not possible here"), _l("Please go back and use the buttons on the page.")),
    413: (_l("That file is too large"), _l("Please choose a smaller file.")),
    429: (_l("Too many attempts"), _l("Please wait a minute before you try again.")),
    500: (_l("Something went wrong on our side"), _l("It is not your fault. Please try again in a moment.")),
    503: (_l("Gancang is busy right now"), _l("Please try again in a moment.")),
}


def render_error(error: HTTPException):
    code = error.code or 500
    title, hint = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if code == 400 and "CSRF" in (error.description or ""):
        hint = _l("The form expired. Please reload the page and send it again.")
    response = render("errors/error.html", "error", code=code, title=title, hint=hint, status=code)
    if code == 429 and getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response
