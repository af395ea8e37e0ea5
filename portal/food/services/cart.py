"""A user's carts: one per warung, the lines that share its warung_id."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, ScalarSelect, Select, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from portal import shell
from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import MAX_QUANTITY, CartItem, Dish, Warung, WarungStatus
from portal.food.services.errors import FoodError
from portal.formatting import today_wib

# INSERT ... ON CONFLICT DO UPDATE is spelled the same on both, but each dialect has its own insert().
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _check_quantity(quantity: int) -> None:
    if quantity is None or quantity < 1:
        raise FoodError(_l("The quantity must be at least 1."))
    if quantity > MAX_QUANTITY:
        raise FoodError(_l("At most %(n)s of one dish per order.", n=MAX_QUANTITY))


def _orderable_dish(dish_id: int) -> Dish:
    dish = db.session.get(Dish, dish_id)
    if dish is None or dish.warung.status != WarungStatus.VERIFIED:
        raise FoodError(_l("That dish is not on any menu."))
    return dish


class Added(NamedTuple):
    quantity: int  # of this dish in the cart now
    warung_id: int


def add_to_cart(user: User, dish_id: int, quantity: int = 1, *, now: datetime | None = None) -> Added:
    """Put `quantity` more of a dish in the user's cart, in ONE statement.

    The upsert itself checks that the dish is on a verified menu, not sold out today, and that
    the line stays within MAX_QUANTITY, so it needs no lock taken earlier: two quick taps, or
    two tabs, each add theirs. Only when it changed nothing is the reason looked up.
    """
    _check_quantity(quantity)
    now = now or utcnow()
    row = db.session.execute(_add_statement(user.id, dish_id, quantity, now)).first()
    if row is not None:
        return Added(row.quantity, row.warung_id)
    dish = _orderable_dish(dish_id)
    if dish.sold_out(now):
        raise FoodError(_l("%(dish)s is sold out today.", dish=dish.name))
    raise FoodError(_l("At most %(n)s of one dish per order.", n=MAX_QUANTITY))


def _add_statement(user_id: int, dish_id: int, quantity: int, now: datetime):
    lines = CartItem.__table__
    upsert = _INSERT[db.engine.dialect.name](lines).from_select(
        ["user_id", "warung_id", "dish_id", "quantity", "added_at"],
        select(
            literal(user_id, Integer),
            Dish.warung_id,
            Dish.id,
            literal(quantity, Integer),
            literal(now, CartItem.added_at.type),
        )
        .join(Warung, Warung.id == Dish.warung_id)
        .where(
            Dish.id == dish_id,
            Warung.status == WarungStatus.VERIFIED,
            or_(Dish.sold_out_on.is_(None), Dish.sold_out_on != today_wib(now)),
        ),
    )
    return upsert.on_conflict_do_update(
        index_elements=[lines.c.user_id, lines.c.dish_id],
        set_={"quantity": lines.c.quantity + upsert.excluded.quantity},
        where=lines.c.quantity + upsert.excluded.quantity <= MAX_QUANTITY,
    ).returning(lines.c.quantity, lines.c.warung_id)


def set_cart_quantity(user: User, dish_id: int, quantity: int) -> CartItem | None:
    """Change a line; 0 removes it."""
    item = db.session.scalar(select(CartItem).where(CartItem.user_id == user.id, CartItem.dish_id == dish_id))
    if item is None:
        raise FoodError(_l("That dish is not in your cart."))
    if quantity == 0:
        db.session.delete(item)
        db.session.flush()
        return None
    _check_quantity(quantity)
    item.quantity = quantity
    db.session.flush()
    return item


def cart_quantity(user: User, dish_id: int) -> int:
    """How many of the dish the user has in their cart (0 if none)."""
    quantity = db.session.scalar(
        select(CartItem.quantity).where(CartItem.user_id == user.id, CartItem.dish_id == dish_id)
    )
    return quantity or 0


def cart_lines(user: User, warung_id: int | None = None) -> list[CartItem]:
    stmt = (
        select(CartItem)
        .where(CartItem.user_id == user.id)
        .options(selectinload(CartItem.dish), selectinload(CartItem.warung).selectinload(Warung.periods))
        .order_by(CartItem.warung_id, CartItem.added_at, CartItem.id)
    )
    if warung_id is not None:
        stmt = stmt.where(CartItem.warung_id == warung_id)
    return list(db.session.scalars(stmt))


def cart_summary(user: User, warung_id: int) -> tuple[int, int]:
    """(items, food total) of the user's cart at one warung: the menu's cart bar. The same row
    brings the layout's counts (the Cart tab's badge, swapped in beside the bar)."""
    row = db.session.execute(cart_summary_query(user.id, warung_id).add_columns(*shell.columns(user.id))).one()
    shell.remember(row)
    return int(row.count), int(row.total)


def cart_summary_query(user_id: int, warung_id: int) -> Select:
    """One aggregate over one cart, found by the (user, warung) index: it answers every add."""
    return (
        select(
            func.coalesce(func.sum(CartItem.quantity), 0).label("count"),
            func.coalesce(func.sum(CartItem.quantity * Dish.price), 0).label("total"),
        )
        .join(Dish, Dish.id == CartItem.dish_id)
        .where(CartItem.user_id == user_id, CartItem.warung_id == warung_id)
    )


def carts(user: User) -> dict[Warung, list[CartItem]]:
    grouped: dict[Warung, list[CartItem]] = {}
    for line in cart_lines(user):
        grouped.setdefault(line.warung, []).append(line)
    return grouped


def _items_in_carts(user_id) -> ScalarSelect:
    """The Cart tab's count: every item in every one of the user's carts (by the user's index)."""
    return select(func.coalesce(func.sum(CartItem.quantity), 0)).where(CartItem.user_id == user_id).scalar_subquery()


shell.register_count("cart", _items_in_carts)
