"""Who may open what: one decorator for roles, one helper for ownership."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.models import Role


def role_required(*roles: Role) -> Callable:
    """Anonymous users go to login; signed-in users without any of `roles` get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # read by the URL-walking access test
        return wrapped

    return decorator


def ensure(allowed: bool) -> None:
    """Ownership check for object URLs: 404, so nobody learns that someone else's order exists."""
    if not allowed:
        abort(404)


def phone_verified_required(view: Callable) -> Callable:
    """For ordering, booking and requesting: a signed-in user whose phone is not verified yet is
    sent to type the code (and back to the page they came from). Includes `login_required`."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any):
        if not current_user.phone_verified:
            flash(_("Verify your phone number first: type the code we sent by SMS."), "info")
            came_from = request.referrer or ""
            back = (
                came_from.removeprefix(request.host_url.rstrip("/")) if came_from.startswith(request.host_url) else None
            )
            return redirect(url_for("accounts.verify_phone", next=back))
        return view(*args, **kwargs)

    return wrapped
