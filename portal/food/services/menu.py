"""A warung's dishes: what the owner edits and what the menu page lists."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.extensions import db
from portal.food.models import PRICE_CAP, Dish, Warung
from portal.food.photos import delete_photo
from portal.food.services.errors import FoodError
from portal.formatting import today_wib
from portal.i18n import in_language


def _check_price(price: int) -> None:
    if price is None or price <= 0:
        raise FoodError(_l("The price must be more than Rp0."))
    if price > PRICE_CAP:
        raise FoodError(_l("The price looks too high: at most Rp5.000.000."))


def add_dish(warung: Warung, **values) -> Dish:
    _check_price(values.get("price"))
    position = db.session.scalar(select(func.coalesce(func.max(Dish.position), 0)).where(Dish.warung_id == warung.id))
    dish = Dish(warung_id=warung.id, position=position + 1, **values)
    db.session.add(dish)
    db.session.flush()
    return dish


def update_dish(dish: Dish, **values) -> None:
    _check_price(values.get("price", dish.price))
    photo = values.pop("photo", None)
    for key, value in values.items():
        setattr(dish, key, value)
    if photo is not None:
        if dish.photo and dish.photo != photo:
            delete_photo(dish.photo)
        dish.photo = photo
    db.session.flush()


def delete_dish(dish: Dish) -> None:
    photo = dish.photo
    db.session.delete(dish)
    db.session.flush()
    delete_photo(photo)


def move_dish(dish: Dish, direction: int) -> None:
    """Swap with the neighbour above (-1) or below (+1); positions are renumbered 1..n."""
    dishes = list(
        db.session.scalars(select(Dish).where(Dish.warung_id == dish.warung_id).order_by(Dish.position, Dish.id))
    )
    index = dishes.index(dish)
    other = index + direction
    if 0 <= other < len(dishes):
        dishes[index], dishes[other] = dishes[other], dishes[index]
    for n, item in enumerate(dishes, start=1):
        item.position = n
    db.session.flush()


def set_sold_out(dish: Dish, sold_out: bool, *, now: datetime | None = None) -> None:
    """Sold out for today only (WIB): tomorrow the dish is back by itself."""
    dish.sold_out_on = today_wib(now) if sold_out else None
    db.session.flush()


def menu(warung_id: int) -> list[Dish]:
    """The warung's dishes in menu order: one query whatever their number. The visitor's cart
    quantities are filled in by the menu page itself (it shares one render between visitors)."""
    return list(db.session.scalars(select(Dish).where(Dish.warung_id == warung_id).order_by(Dish.position, Dish.id)))


def menu_sections(dishes: list[Dish], locale: str) -> list[tuple[str, list[Dish]]]:
    """The menu's headings in `locale`, each with its dishes, in menu order. Dishes are grouped
    by their Indonesian category (by the English one when that is all they have); a heading
    takes the first name its dishes give in each language, so an owner who wrote "Drinks" on
    one "Minuman" dish has the whole section in English. No category: the heading is ""."""
    sections: dict[str, list[Dish]] = {}
    for dish in dishes:
        key = dish.category or (f"en:{dish.category_en}" if dish.category_en else "")
        sections.setdefault(key, []).append(dish)
    headings = []
    for rows in sections.values():
        indonesian = next((d.category for d in rows if d.category), "")
        english = next((d.category_en for d in rows if d.category_en), "")
        headings.append((in_language(locale, indonesian, english), rows))
    return headings
