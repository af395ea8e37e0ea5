"""A courier's day at a glance, as every courier app shows it: jobs done today and this week (WIB
days, weeks from Monday), fees earned, the cash collected for warungs that must be handed over,
and the ratings received.

Ratings and cash live with the service that asks for them (food orders rate the courier; a food
order's cash is its warung's), which this package does not import: such a service registers a
source, as "my activity" does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.couriers.contract import DeliveryStatus
from portal.couriers.models import Delivery
from portal.couriers.services.deliveries import now_or
from portal.extensions import db
from portal.formatting import WIB

# source(courier_id, since) -> (how many ratings, their stars added up) on jobs delivered since then.
RatingSource = Callable[[int, datetime], tuple[int, int]]
_rating_sources: list[RatingSource] = []


def register_rating_source(source: RatingSource) -> RatingSource:
    if source not in _rating_sources:
        _rating_sources.append(source)
    return source


@dataclass(slots=True)
class CashForWarung:
    warung: str
    address: str  # two warungs may share a name; the courier tells them apart by the street
    collected: int  # what the customers paid the courier in cash
    fee: int  # the courier's own fee within it
    jobs: int = 1
    handed: int = 0  # what the warung's owner recorded as received

    @property
    def to_hand_over(self) -> int:
        return max(0, self.collected - self.fee - self.handed)


# source(courier_id) -> the cash the courier holds for others: for each warung, what they took at
# the door on its cash orders, less their fees, less what its owner recorded as handed over
# (portal.food.services.cash). A balance, not a day's takings: cash taken yesterday and handed over
# today squares yesterday's, not today's. Keyed by the warung itself, not by the name its jobs carry.
CashSource = Callable[[int], list[CashForWarung]]
_cash_sources: list[CashSource] = []


def register_cash_source(source: CashSource) -> CashSource:
    if source not in _cash_sources:
        _cash_sources.append(source)
    return source


@dataclass(slots=True)
class Day:
    today_jobs: int = 0
    today_fees: int = 0
    week_jobs: int = 0
    week_fees: int = 0
    # Cash taken at the door on food jobs and not yet handed over, by warung (the food is the
    # warung's; the delivery fee within it is the courier's).
    cash: list[CashForWarung] = field(default_factory=list)
    ratings: int = 0
    stars: int = 0

    @property
    def cash_to_hand_over(self) -> int:
        return sum(entry.to_hand_over for entry in self.cash)

    @property
    def average_rating(self) -> float | None:
        return self.stars / self.ratings if self.ratings else None


def week_start(now: datetime) -> tuple[datetime, datetime]:
    """(midnight WIB today, midnight WIB on this week's Monday)."""
    local = now.astimezone(WIB)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight, midnight - timedelta(days=local.weekday())


def day_at_a_glance(user: User, *, now: datetime | None = None) -> Day:
    """One query for the week's delivered jobs (a courier does tens a week, not thousands), one
    per cash and rating source. A job counts on the day it was delivered (its last move)."""
    today, monday = week_start(now_or(now))
    rows = db.session.execute(
        select(Delivery.fee, Delivery.updated_at).where(
            Delivery.courier_id == user.id,
            Delivery.status == DeliveryStatus.DELIVERED,
            Delivery.updated_at >= monday,
        )
    ).all()
    day = Day()
    for fee, delivered_at in rows:
        day.week_jobs += 1
        day.week_fees += fee
        if delivered_at >= today:
            day.today_jobs += 1
            day.today_fees += fee
    for cash_source in _cash_sources:
        day.cash.extend(entry for entry in cash_source(user.id) if entry.to_hand_over > 0)
    day.cash.sort(key=lambda entry: (entry.warung, entry.address))
    for source in _rating_sources:
        count, stars = source(user.id, monday)
        day.ratings += count
        day.stars += stars
    return day
