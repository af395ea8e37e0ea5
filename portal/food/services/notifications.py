"""What the customer and the warung are told (jobs: they take ids, and sending twice is harmless)."""

from __future__ import annotations

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal import notify
from portal.extensions import db
from portal.food.models import FoodOrder
from portal.formatting import rupiah

MESSAGES = {
    "placed": lambda p: _l("Order %(n)s placed at %(warung)s. We will tell you when the warung accepts it.", **p),
    "accepted": lambda p: _l("%(warung)s accepted your order %(n)s and is cooking it.", **p),
    "ready": lambda p: _l(
        "Your order %(n)s is ready; we are finding a courier. Give the courier this PIN at the door: %(pin)s", **p
    ),
    "rejected": lambda p: _l(
        "%(warung)s could not take your order %(n)s: %(reason)s. Your money is refunded if you paid.", **p
    ),
    "delivery_failed": lambda p: _l("The delivery of your order %(n)s failed. We will contact you.", **p),
}


def _lines(order: FoodOrder) -> LazyString:
    """The order's lines as the board shows them (quantity and dish), named in the language the
    message is rendered in: the recipient's (notify.send renders under their locale)."""
    return LazyString(
        lambda: ", ".join(f"{i.quantity} × {i.display_name(str(get_locale() or 'id'))}" for i in order.items)
    )


def notify_order(order_id: int, kind: str) -> None:
    order = db.session.get(FoodOrder, order_id)
    if order is None:
        return
    params = {"n": order.id, "warung": order.warung.name, "pin": order.delivery_pin or "-", "reason": order.reason}
    notify.send(MESSAGES[kind](params), user=order.customer, url=url_for("food.order", order_id=order.id))
    if kind == "placed":
        notify.send(
            _l(
                "New order %(n)s: %(items)s; %(total)s. Open your orders page to accept it.",
                n=order.id,
                items=_lines(order),
                total=rupiah(order.subtotal),
            ),
            user=order.warung.owner,
            url=url_for("food.owner_orders"),
        )
