"""The bell's page: what the user was sent, newest first, and marking it read. No JS needed."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.accounts.forms import EmptyForm
from portal.accounts.routes import safe_next
from portal.actions import act
from portal.htmx import render
from portal.notifications import bp
from portal.notifications import services as notifications


@bp.get("/notifications")
@login_required
def index():
    page = max(1, min(request.args.get("page", 1, type=int), 10_000))
    items, has_next = notifications.page_of(current_user, page)
    return render("notifications/index.html", items=items, page=page, has_next=has_next, form=EmptyForm())


@bp.post("/notifications/read")
@login_required
def read_all():
    if EmptyForm().validate_on_submit():
        with act(success=_l("All notifications marked as read.")):
            notifications.mark_read(current_user)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    """Mark one read; `open` goes on to the page it is about."""
    notification = notifications.find(current_user, notification_id)
    if notification is None:
        abort(404)  # someone else's, or none: the same answer
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    with act():
        notifications.mark_read(current_user, notification.id)
    if request.form.get("open") and notification.url:
        return redirect(safe_next(notification.url))
    return redirect(url_for("notifications.index", page=request.form.get("page", type=int) or None))
