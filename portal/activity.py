"""The "my activity" page gathers what every service knows about a user.

A domain registers a source: a function that returns that user's items. The page neither
knows nor imports the domains, so a new service adds itself without touching accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, bindparam, literal, select, union_all

from portal.extensions import db


@dataclass(frozen=True, slots=True)
class ActivityItem:
    when: datetime
    kind: str  # a translated label: "Food order", "Ijen ride", ...
    title: str
    status: str  # translated status label
    url: str
    amount: int | None = None  # whole rupiah
    final: bool = False
    tone: str = "neutral"  # the badge's colour: the status's Status.tone


# source(user, limit, before) -> that user's items older than `before` (all if None), newest first.
Source = Callable[[object, int, datetime | None], list[ActivityItem]]
_sources: list[Source] = []
# Payments whose payable is already an item of its own domain (a food order shows its total):
# "my activity" lists each thing once, not once as the order and again as its payment.
_covered_payables: set[str] = set()


def register_source(source: Source) -> Source:
    if source not in _sources:
        _sources.append(source)
    return source


def covers_payments(*payable_types: str) -> None:
    """Declare that a domain's own items stand for its payments of these payable types."""
    _covered_payables.update(payable_types)


def covered_payables() -> frozenset[str]:
    return frozenset(_covered_payables)


def page_for(user, *, limit: int = 20, before: datetime | None = None) -> tuple[list[ActivityItem], datetime | None]:
    """One page of the merged timeline and the cursor for the next (None when there is none)."""
    items = sorted(
        (item for source in _sources for item in source(user, limit + 1, before)),
        key=lambda item: item.when,
        reverse=True,
    )
    page = items[:limit]
    return page, (page[-1].when if len(items) > limit else None)


# ---------------------------------------------------------------------------------------------
# "On its way": the home page's banner, one query over every domain.


@dataclass(frozen=True, slots=True)
class OnItsWay:
    """A domain's things that are moving for a user right now. `query(user_id, now)` selects
    exactly (id, status, at) of that user's; the banner names each with `kind`, the status's
    label and `url(id)`."""

    name: str
    kind: object  # a lazy label: "Food order"
    statuses: type  # the domain's Status enum
    query: Callable[[object, datetime], object]
    url: Callable[[int], str]


@dataclass(frozen=True, slots=True)
class Moving:
    kind: str
    status: object  # the Status member
    url: str
    when: datetime


_on_its_way: dict[str, OnItsWay] = {}


def register_on_its_way(source: OnItsWay) -> None:
    _on_its_way[source.name] = source


def on_its_way(user, *, now: datetime, limit: int = 3) -> list[Moving]:
    """What is on its way to `user` now, newest first: ONE query (a UNION ALL of every domain's)."""
    if not _on_its_way:
        return []
    user_id = bindparam("user_id", user.id, type_=Integer)
    parts = [
        select(literal(source.name).label("source"), *source.query(user_id, now).subquery().c)
        for source in _on_its_way.values()
    ]
    union = union_all(*parts).subquery()
    rows = db.session.execute(select(union).order_by(union.c[3].desc()).limit(limit)).all()
    items = []
    for name, ident, status, at in rows:
        source = _on_its_way[name]
        items.append(Moving(kind=str(source.kind), status=source.statuses(status), url=source.url(ident), when=at))
    return items
