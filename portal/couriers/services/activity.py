""" "My activity": the jobs a courier did, as one source of the shared activity page."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.activity import ActivityItem, register_source
from portal.couriers.models import Delivery
from portal.extensions import db


@register_source
def courier_activity(user: User, limit: int, before: datetime | None) -> list[ActivityItem]:
    if not getattr(user, "id", None):
        return []
    stmt = select(Delivery).where(Delivery.courier_id == user.id)
    if before is not None:
        stmt = stmt.where(Delivery.updated_at < before)
    stmt = stmt.order_by(Delivery.updated_at.desc()).limit(limit)
    return [
        ActivityItem(
            when=delivery.updated_at,
            kind=_("Courier job"),
            title=delivery.driver_title(not delivery.final),
            status=delivery.driver_label,
            url=f"/courier/jobs/{delivery.id}",
            amount=delivery.fee,
            final=delivery.final,
            tone=delivery.status.tone,
        )
        for delivery in db.session.scalars(stmt)
    ]
