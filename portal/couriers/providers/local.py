"""The portal's own verified drivers: a booking is an open job in the courier workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal.couriers.contract import Booking, DeliveryStatus, Job, Quote, Update, WebhookRejected
from portal.couriers.fare import tariff_quote
from portal.couriers.models import Delivery
from portal.database import utcnow
from portal.extensions import db

# Our drivers speak our statuses: the mapping is the identity, kept explicit like every provider's.
STATUS_MAP: dict[str, DeliveryStatus] = {status.value: status for status in DeliveryStatus}


class LocalFleet:
    name = "local"

    def supports(self, job: Job) -> bool:
        return True  # rides, trail bikes, medicine credential and scheduled windows included

    def quote(self, job: Job, *, now: datetime) -> Quote:
        return tariff_quote(self.name, job, now=now)

    def book(self, job: Job, *, key: str) -> Booking:
        # The job is already a row; "booking" opens it to drivers. Same key, same reference.
        return Booking(provider=self.name, ref=f"local-{key}", status=DeliveryStatus.FINDING_DRIVER)

    def cancel(self, booking_ref: str) -> None:
        return None  # the delivery row is the whole state; services cancel it

    def status(self, booking_ref: str) -> Update:
        delivery = db.session.scalar(
            select(Delivery).where(Delivery.provider == self.name, Delivery.provider_ref == booking_ref)
        )
        if delivery is None:
            raise LookupError(booking_ref)
        return Update(
            ref=booking_ref,
            status=STATUS_MAP[delivery.status],
            at=delivery.updated_at or utcnow(),
            raw_status=delivery.status,
            courier_name=delivery.driver_name,
            courier_phone=delivery.driver_phone,
            eta=delivery.eta,
        )

    def parse_webhook(self, request: Any) -> list[Update]:
        raise WebhookRejected("the local fleet has no webhooks", status=404)
