"""What anyone may see: a festival's page with its warungs (open now first) and a collection's."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from portal.accounts.models import Role
from portal.database import utcnow
from portal.food.routes.public import locale
from portal.formatting import today_wib
from portal.htmx import render
from portal.promotions import bp
from portal.promotions import services as promo


def _staff() -> bool:
    return current_user.is_authenticated and (current_user.has_role(Role.PROMOTER) or current_user.has_role(Role.ADMIN))


@bp.get("/festivals/<slug>")
def festival_page(slug: str):
    festival = promo.festival_by_slug(slug)
    if festival is None:
        abort(404)
    now = utcnow()
    return render(
        "promotions/festival.html",
        festival=festival,
        warungs=promo.participants(festival, now),
        running=festival.running(now),
        over=festival.over(now),
        locale=locale(),
    )


@bp.get("/collections/<slug>")
def collection_page(slug: str):
    collection = promo.collection_by_slug(slug)
    if collection is None or not (collection.active_on(today_wib()) or _staff()):
        abort(404)  # a collection shows between its dates; the office may preview it
    return render(
        "promotions/collection.html",
        collection=collection,
        warungs=promo.collection_warungs(collection),
        showing=collection.active_on(today_wib()),
        locale=locale(),
    )
