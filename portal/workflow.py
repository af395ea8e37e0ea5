"""Every status change in every domain: a `Status` enum with its transition table, an event table
per subject built from `EventMixin`, and one `move()` that checks, sets, records and announces.

A domain declares

    class OrderStatus(Status):
        PLACED = "placed", _l("Placed")
        ACCEPTED = "accepted", _l("Being cooked")
        ...

    OrderStatus.flow({OrderStatus.PLACED: {OrderStatus.ACCEPTED, ...}, OrderStatus.ACCEPTED: set(), ...})

    class FoodOrderEvent(EventMixin, db.Model):
        __tablename__ = "food_order_events"
        statuses = OrderStatus
        order_id = mapped_column(ForeignKey(...))

    class FoodOrder(db.Model):
        statuses: ClassVar = OrderStatus      # the enum `status` holds
        events = relationship(FoodOrderEvent, order_by=FoodOrderEvent.id)

and gets `move(order, OrderStatus.ACCEPTED, by=owner)`, the `moved` signal, `_timeline.html`, and
the checks in tests/core/test_workflow.py (every member reachable, no exit from a final state).
A status with no way out is final; there is no second list to keep in step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Self

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.database import utcnow
from portal.extensions import db
from portal.formatting import wib_time

if TYPE_CHECKING:
    from portal.accounts.models import User

log = logging.getLogger(__name__)

signals = Namespace()
#: Sent after every move, with the subject's class as sender (`moved.connect_via(FoodOrder)`):
#: subject=, old=, new=, by=, now=, event=.
moved = signals.signal("moved")


class DomainError(Exception):
    """A refusal a user can act on; `str(error)` is a translated message for them."""


class IllegalMove(DomainError):
    def __init__(self, subject: Any, old: Status, new: Status) -> None:
        stale = _stale_message(subject, old) if old == new else None
        super().__init__(
            stale
            or _l("This is %(current)s and cannot become %(new)s.", current=old.label.lower(), new=new.label.lower())
        )
        self.subject, self.old, self.new = subject, old, new


def _stale_message(subject: Any, status: Status) -> Any:
    """A stale click: someone else already made this very move. Say who and when (None when the
    subject keeps no event of it)."""
    last = next((e for e in reversed(getattr(subject, "events", None) or []) if e.status == status), None)
    if last is None:
        return None
    return _l(
        "Already %(status)s by %(name)s at %(time)s; nothing changed.",
        status=status.label.lower(),
        name=last.by.name if last.by is not None else _l("the system"),
        time=wib_time(last.at),
    )


class Status(StrEnum):
    """A StrEnum whose members carry their label: `DELIVERED = "delivered", _l("Delivered")`."""

    _label: Any

    def __new__(cls, value: str, label: Any = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value.replace("_", " ").capitalize()
        return member

    @classmethod
    def flow(cls, table: Mapping[Self, Iterable[Self]]) -> None:
        """Declare every legal move; every member must appear as a key (final ones map to nothing)."""
        missing = set(cls) - set(table)
        if missing:
            raise TypeError(f"{cls.__name__}.flow() lacks {sorted(missing)}")
        _FLOWS[cls] = {cls(key): frozenset(cls(v) for v in values) for key, values in table.items()}

    @classmethod
    def transitions(cls) -> dict[Self, frozenset[Self]]:
        return _FLOWS[cls]  # type: ignore[return-value]

    @classmethod
    def initial(cls) -> Self:
        """Where a subject starts: the first member declared."""
        return next(iter(cls))

    @classmethod
    def finals(cls) -> frozenset[Self]:
        return frozenset(s for s, nxt in cls.transitions().items() if not nxt)

    @classmethod
    def active(cls) -> tuple[Self, ...]:
        return tuple(s for s, nxt in cls.transitions().items() if nxt)

    @property
    def label(self) -> str:
        return str(self._label)

    @property
    def tone(self) -> str:
        """The badge colour's meaning: done, stopped, refunded, waiting, moving or neutral."""
        return TONES.get(self.value) or ("neutral" if self.final else "moving")

    @property
    def next(self) -> frozenset[Self]:
        return _FLOWS[type(self)][self]  # type: ignore[return-value]

    @property
    def final(self) -> bool:
        return not self.next

    def can_become(self, other: Self | str) -> bool:
        return type(self)(other) in self.next


_FLOWS: dict[type[Status], dict[Status, frozenset[Status]]] = {}

# What a status badge's colour says, the same in every domain (templates/_ui.html's
# status_badge): done (green), stopped (red: cancelled, rejected, failed), refunded (violet),
# waiting for someone (amber), moving (blue: on its way). A value not named here is "moving"
# while it has a way out and "neutral" once final, so a new status still gets a sensible colour.
TONES: dict[str, str] = {
    **dict.fromkeys(
        ("delivered", "completed", "succeeded", "sent_electronically", "booked", "verified", "online"), "done"
    ),
    **dict.fromkeys(
        (
            "cancelled", "rejected", "failed", "delivery_failed", "no_driver", "no_show", "route_closed",
            "not_delivered", "returned", "returned_to_pharmacy", "expired", "lapsed", "barred", "closed",
        ),
        "stopped",
    ),
    **dict.fromkeys(("refunded", "partially_refunded"), "refunded"),
    **dict.fromkeys(
        (
            "awaiting_payment", "pending", "processing", "placed", "submitted", "registered", "requested",
            "finding_driver", "incomplete", "on_hold", "waiting", "offered",
        ),
        "waiting",
    ),
}  # fmt: skip


class EventMixin:
    """One row per move: who moved the subject from what to what, when, and why.

    The concrete table adds the foreign key to its subject and sets `statuses`.
    """

    statuses: ClassVar[type[Status]]

    id: Mapped[int] = mapped_column(primary_key=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))  # the status moved to
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def by(cls) -> Mapped[User | None]:
        return relationship("User")

    @property
    def state(self) -> Status:
        return self.statuses(self.status)

    @property
    def label(self) -> str:
        return self.state.label


def move(
    subject: Any,
    to: Status | str,
    *,
    by: User | None = None,
    note: str = "",
    now: datetime | None = None,
    **event_fields: Any,
) -> EventMixin:
    """Check the move against the subject's flow, set status and `updated_at`, append an event,
    flush, and send `moved`. An illegal move raises IllegalMove and changes nothing.

    `event_fields` fill the domain's own event columns (payments record `source` and `amount`).
    """
    statuses: type[Status] = subject.statuses
    old, new = statuses(subject.status), statuses(to)
    if not old.can_become(new):
        raise IllegalMove(subject, old, new)
    now = now or utcnow()
    subject.status = new
    if hasattr(subject, "updated_at"):
        subject.updated_at = now
    event_class = type(subject).events.property.mapper.class_
    event = event_class(from_status=old, status=new, note=note, at=now, by_id=by.id if by else None, **event_fields)
    subject.events.append(event)
    db.session.flush()
    log.info("%s %s: %s -> %s", type(subject).__name__, getattr(subject, "id", "?"), old, new)
    moved.send(type(subject), subject=subject, old=old, new=new, by=by, now=now, event=event)
    return event
