from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.accounts.access import role_required
from portal.accounts.forms import EmptyForm, GrantRoleForm
from portal.accounts.models import Role, User
from portal.accounts.services import grant_role, revoke_role
from portal.accounts.sessions import end_sessions
from portal.admin import bp
from portal.admin.dashboard import views as dashboard_views  # noqa: F401 - /admin, /admin/dashboard
from portal.extensions import db
from portal.htmx import render

PER_PAGE = 25


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    q = (request.args.get("q") or "").strip()
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(like), func.lower(User.name).like(like)))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render("admin/users.html", "results", page=page, q=q, grant=GrantRoleForm(), revoke=EmptyForm())


@bp.post("/users/<int:user_id>/roles")
@role_required(Role.ADMIN)
def grant(user_id: int):
    user = db.get_or_404(User, user_id)
    form = GrantRoleForm()
    if form.validate_on_submit():
        role = Role(form.role.data)
        if grant_role(user, role, by=current_user):
            db.session.commit()
            flash(_("%(name)s is now: %(role)s.", name=user.name, role=role.label), "success")
        else:
            flash(_("%(name)s already has that role.", name=user.name), "info")
    return redirect(url_for("admin.users", q=user.email))


@bp.post("/users/<int:user_id>/roles/<role>/revoke")
@role_required(Role.ADMIN)
def revoke(user_id: int, role: str):
    user = db.get_or_404(User, user_id)
    if role not in Role._value2member_map_:
        abort(404)
    if user.id == current_user.id and role == Role.ADMIN:
        flash(_("You cannot remove your own admin role."), "error")
        return redirect(url_for("admin.users", q=user.email))
    form = EmptyForm()
    if form.validate_on_submit() and request.form.get("confirmed") != "1":
        # Asked first: by the browser's dialog (which adds confirmed=1), or here without JavaScript.
        return render("admin/confirm_revoke.html", user=user, role=Role(role), form=form)
    if form.validate_on_submit() and revoke_role(user, Role(role), by=current_user):
        db.session.commit()
        flash(_("%(role)s removed from %(name)s.", name=user.name, role=Role(role).label), "success")
    return redirect(url_for("admin.users", q=user.email))


@bp.post("/users/<int:user_id>/sessions/end")
@role_required(Role.ADMIN)
def end_user_sessions(user_id: int):
    """Sign a user out on every device (a lost phone, a shared password)."""
    user = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        end_sessions(user)
        db.session.commit()
        flash(_("%(name)s is signed out on every device.", name=user.name), "success")
    return redirect(url_for("admin.users", q=user.email))
