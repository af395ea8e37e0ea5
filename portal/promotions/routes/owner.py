"""The warung owner: take part in a festival (or leave it) from /my/warung."""

from __future__ import annotations

from flask import redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.extensions import db
from portal.food import services as food
from portal.food.routes.public import locale
from portal.promotions import bp
from portal.promotions import services as promo
from portal.promotions.models import Festival


def _back():
    return redirect(url_for("food.my_warung") + "#festivals")


@bp.post("/my/warung/festivals/<int:festival_id>/join")
@role_required(Role.OWNER)
def join_festival(festival_id: int):
    festival = db.get_or_404(Festival, festival_id)
    warung = food.warung_of(current_user)
    ensure(warung is not None)
    if EmptyForm().validate_on_submit():
        with act(success=_("You applied to take part; the tourism office will decide.")):
            promo.opt_in(festival, warung, by=current_user)
    return _back()


@bp.post("/my/warung/festivals/<int:festival_id>/withdraw")
@role_required(Role.OWNER)
def withdraw_festival(festival_id: int):
    festival = db.get_or_404(Festival, festival_id)
    warung = food.warung_of(current_user)
    ensure(warung is not None)
    entry = promo.entry_of(festival, warung)
    ensure(entry is not None)
    if EmptyForm().validate_on_submit():
        with act(
            success=_("Your warung no longer takes part in %(festival)s.", festival=festival.text("name", locale()))
        ):
            promo.withdraw(entry, by=current_user)
    return _back()
