"""The regency admin: verifying warungs. Every decision is a workflow move with its event."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts.access import role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.extensions import db
from portal.food import bp
from portal.food import services as food
from portal.food.forms import AdminRejectForm
from portal.food.models import Warung, WarungStatus
from portal.food.routes.public import PER_PAGE
from portal.htmx import render


@bp.get("/admin/warungs")
@role_required(Role.ADMIN)
def admin_warungs():
    status = request.args.get("status", WarungStatus.PENDING)
    if status not in WarungStatus._value2member_map_:
        status = WarungStatus.PENDING
    stmt = (
        select(Warung)
        .where(Warung.status == status)
        .options(selectinload(Warung.owner))
        .order_by(Warung.created_at, Warung.id)
    )
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render("food/admin_warungs.html", page=page, selected=status, button=EmptyForm(), reject=AdminRejectForm())


@bp.post("/admin/warungs/<int:warung_id>/verify")
@role_required(Role.ADMIN)
def admin_verify(warung_id: int):
    warung = db.get_or_404(Warung, warung_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("%(warung)s is verified and listed.", warung=warung.name)):
            food.verify_warung(warung, by=current_user)
    return redirect(url_for("food.admin_warungs"))


@bp.post("/admin/warungs/<int:warung_id>/reject")
@role_required(Role.ADMIN)
def admin_reject(warung_id: int):
    warung = db.get_or_404(Warung, warung_id)
    form = AdminRejectForm()
    if form.validate_on_submit():
        with act(success=_("%(warung)s is not approved; the owner sees why.", warung=warung.name)):
            food.reject_warung(warung, by=current_user, reason=form.reason.data)
    else:
        flash(_("Say why, so the owner can fix it."), "error")
    return redirect(url_for("food.admin_warungs"))
