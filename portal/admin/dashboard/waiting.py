"""What waits for a regency admin, counted in one query (plus the MPP's own overdue rule), each
count with the list where the admin acts on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.accounts.models import Role
from portal.couriers import services as couriers
from portal.couriers.models import Delivery, DeliveryStatus, DriverProfile, DriverStatus
from portal.database import utcnow
from portal.documents import services as documents
from portal.extensions import db
from portal.food.models import Warung, WarungStatus
from portal.formatting import today_wib
from portal.payments.models import Refund, RefundStatus, WebhookEvent
from portal.rides.models import RouteClosure

RECENT_FAILURES = timedelta(days=7)
REFUND_STUCK_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Waiting:
    key: str
    label: Any
    count: int
    url: str | None
    hint: Any = ""


def _count(stmt) -> Any:
    return stmt.with_only_columns(func.count()).scalar_subquery()


def needs_help():
    """The admin deliveries list's filter (portal.couriers' admin page): open jobs a person must
    look at. Kept in step with it by reusing its stuck rule."""
    return select(Delivery).where(
        or_(
            Delivery.pin_locked.is_(True),
            Delivery.status.in_([DeliveryStatus.NO_DRIVER, DeliveryStatus.ON_HOLD]),
            Delivery.retry_at.is_not(None),
            couriers.stuck_clause(),
        ),
        Delivery.status.not_in(list(DeliveryStatus.finals())),
    )


def unsettled_refunds(now: datetime):
    return select(Refund).where(
        or_(
            Refund.status == RefundStatus.FAILED,
            (Refund.status == RefundStatus.PENDING) & (Refund.created_at < now - REFUND_STUCK_AFTER),
        )
    )


def abandoned_events():
    limit = current_app.config.get("PAYMENTS_WEBHOOK_MAX_ATTEMPTS", 20)
    return select(WebhookEvent).where(WebhookEvent.processed_at.is_(None), WebhookEvent.attempts >= limit)


def waiting(now: datetime | None = None) -> list[Waiting]:
    now = now or utcnow()
    tonight = today_wib(now)
    counts = db.session.execute(
        select(
            _count(select(DriverProfile).where(DriverProfile.status == DriverStatus.PENDING)).label("drivers"),
            _count(select(Warung).where(Warung.status == WarungStatus.PENDING)).label("warungs"),
            _count(needs_help()).label("help"),
            _count(select(Delivery).where(Delivery.status == DeliveryStatus.NO_DRIVER)).label("no_driver"),
            _count(
                select(Delivery).where(
                    Delivery.pin_locked.is_(True), Delivery.status.not_in(list(DeliveryStatus.finals()))
                )
            ).label("pin_locked"),
            _count(
                select(Delivery).where(
                    Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.RETURNED]),
                    Delivery.updated_at >= now - RECENT_FAILURES,
                )
            ).label("failed"),
            _count(
                select(RouteClosure).where(RouteClosure.lifted_at.is_(None), RouteClosure.last_night >= tonight)
            ).label("closures"),
            _count(unsettled_refunds(now)).label("refunds"),
            _count(abandoned_events()).label("events"),
        )
    ).one()
    overdue = documents.overdue_count(now)
    return [
        Waiting("drivers", _l("Drivers to verify"), counts.drivers, _url("couriers.admin_drivers", status="pending")),
        Waiting("warungs", _l("Warungs to verify"), counts.warungs, _url("food.admin_warungs", status="pending")),
        Waiting(
            "deliveries",
            _l("Deliveries that need help"),
            counts.help,
            _url("couriers.admin_deliveries"),
            _l(
                "%(no_driver)d without a courier, %(locked)d with the PIN locked",
                no_driver=counts.no_driver,
                locked=counts.pin_locked,
            ),
        ),
        Waiting(
            "failed",
            _l("Deliveries failed or returned in the last 7 days"),
            counts.failed,
            _url("admin.statistics", period="7d", _anchor="couriers"),
        ),
        Waiting(
            "documents",
            _l("Document requests overdue at the MPP"),
            overdue,
            # The MPP's queue shows residents' NIK: only clerks open it (an admin without the role
            # would get 403), so for the others the count is said without a link.
            _url("documents.office", status="verified") if current_user.has_role(Role.CLERK) else None,
            _l("verified, and not ready within one working day"),
        ),
        Waiting("closures", _l("Ijen route closures coming up"), counts.closures, _url("rides.admin_closures")),
        Waiting(
            "payments",
            _l("Payments the reconcile could not settle"),
            counts.refunds + counts.events,
            _url("admin.unsettled"),
            _l("failed or stuck refunds, and Stripe events given up on"),
        ),
    ]


def _url(endpoint: str, **values: Any) -> str | None:
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None
