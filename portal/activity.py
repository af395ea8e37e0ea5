"""The "my activity" page gathers what every service knows about a user.

A domain registers a source: a function that returns that user's items. The page neither
knows nor imports the domains, so a new service adds itself without touching accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ActivityItem:
    when: datetime
    kind: str  # a translated label: "Food order", "Ijen ride", ...
    title: str
    status: str  # translated status label
    url: str
    amount: int | None = None  # whole rupiah
    final: bool = False


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
