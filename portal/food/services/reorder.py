"""Order again: a past order's dishes back in the cart, at today's menu and prices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Dish, FoodOrder, WarungStatus
from portal.food.services.cart import add_to_cart, cart_quantity
from portal.food.services.errors import FoodError


@dataclass
class Reordered:
    added: list[tuple[Dish, int]] = field(default_factory=list)  # (dish, quantity)
    repriced: list[tuple[Dish, int]] = field(default_factory=list)  # (dish, the price it was)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (dish name as ordered, in the page's language; why)


def order_again(user: User, order: FoodOrder, *, now: datetime | None = None) -> Reordered:
    """Put each dish of `order` in the user's cart at that warung, as many as were ordered (a
    line already holding that many is left as it is, so a second tap adds nothing). A dish
    gone from the menu, sold out today, or of a warung no longer listed is left out and said
    why; a dish whose price changed goes in at today's price, and that is said too."""
    if order.customer_id != user.id:
        raise FoodError(_l("That order is not yours."))
    now = now or utcnow()
    result = Reordered()
    listed = order.warung.status == WarungStatus.VERIFIED
    locale = str(get_locale() or "id")
    for item in order.items:
        name = item.display_name(locale)
        dish = db.session.get(Dish, item.dish_id) if item.dish_id is not None else None
        if not listed:
            result.missing.append((name, str(_l("the warung is not taking orders"))))
            continue
        if dish is None or dish.warung_id != order.warung_id:
            result.missing.append((name, str(_l("no longer on the menu"))))
            continue
        if dish.sold_out(now):
            result.missing.append((name, str(_l("sold out today"))))
            continue
        short = item.quantity - cart_quantity(user, dish.id)
        try:
            if short > 0:
                add_to_cart(user, dish.id, short, now=now)
        except FoodError as error:
            result.missing.append((name, str(error)))
            continue
        result.added.append((dish, item.quantity))
        if dish.price != item.price:
            result.repriced.append((dish, item.price))
    return result
