"""GoSend (Gojek's courier API) over httpx: estimate, booking, status by order number, cancel, webhook.

Parcels only: it declines rides (people on trail bikes), and jobs that need the hospital's
medicine-handling credential unless the pickup has a contract for trained GoSend drivers
(`Requirements.contracted_providers`). It declines every PIN handover: GoSend's API has no
way to check our PIN at the door (no field for it, no answer that says it was given), so a
medicine job, which always needs the PIN, still falls back to the local fleet.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from portal.couriers.contract import (
    Booking,
    DeliveryStatus,
    Job,
    ProviderDeclined,
    ProviderUnavailable,
    Purpose,
    Quote,
    Update,
    Vehicle,
    WebhookRejected,
)
from portal.database import utcnow

log = logging.getLogger(__name__)
S = DeliveryStatus

# GoSend's statuses (webhook names, and the words its status API uses) -> ours. One table.
STATUS_MAP: dict[str, DeliveryStatus] = {
    "confirmed": S.FINDING_DRIVER,
    "finding driver": S.FINDING_DRIVER,
    "allocated": S.DRIVER_ASSIGNED,
    "driver allocated": S.DRIVER_ASSIGNED,
    "out_for_pickup": S.PICKING_UP,
    "enroute pickup": S.PICKING_UP,
    "picked": S.PICKED_UP,
    "item picked": S.PICKED_UP,
    "out_for_delivery": S.DELIVERING,
    "enroute drop": S.DELIVERING,
    "delivered": S.DELIVERED,
    "completed": S.DELIVERED,
    "cancelled": S.CANCELLED,
    "rejected": S.RETURNED,  # the recipient refused: the driver brings it back
    "no_driver": S.NO_DRIVER,
    "driver not found": S.NO_DRIVER,
    "on_hold": S.ON_HOLD,
    "on hold": S.ON_HOLD,
}
API = "/gokilat/v10"
SHIPMENT = "Instant"


def map_status(raw: str) -> DeliveryStatus:
    try:
        return STATUS_MAP[raw.strip().lower()]
    except (KeyError, AttributeError):
        raise ProviderUnavailable(f"unknown GoSend status {raw!r}") from None


def _latlng(lat: float, lng: float) -> str:
    return f"{lat:.6f},{lng:.6f}"


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class GoSend:
    name = "gosend"

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None,
        pass_key: str | None,
        callback_token: str | None,
        timeout: float = 5.0,
        quote_ttl: int = 900,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.callback_token = callback_token
        self.quote_ttl = quote_ttl
        self.client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"Client-ID": client_id or "", "Pass-Key": pass_key or "", "Accept": "application/json"},
            transport=transport,
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GoSend:
        return cls(
            config["GOSEND_BASE_URL"],
            client_id=config.get("GOSEND_CLIENT_ID"),
            pass_key=config.get("GOSEND_PASS_KEY"),
            callback_token=config.get("GOSEND_CALLBACK_TOKEN"),
            timeout=config.get("GOSEND_TIMEOUT", 5.0),
            quote_ttl=config.get("COURIER_QUOTE_TTL", 900),
        )

    # -- the contract ---------------------------------------------------------------------------

    def supports(self, job: Job) -> bool:
        # Our PIN handover cannot be enforced on GoSend's drivers, so those jobs stay local too.
        requirements = job.requirements
        trained = not requirements.medicine_trained or self.name in requirements.contracted_providers
        return (
            job.purpose != Purpose.RIDE
            and trained
            and not requirements.pin
            and requirements.vehicle == Vehicle.MOTORBIKE
            and job.window is None
        )

    def quote(self, job: Job, *, now: datetime) -> Quote:
        body = self._call(
            "GET",
            f"{API}/calculate/price",
            params={
                "origin": _latlng(job.pickup.lat, job.pickup.lng),
                "destination": _latlng(job.dropoff.lat, job.dropoff.lng),
                "paymentType": 3,
            },
        )
        try:
            option = body[SHIPMENT]
            if not option.get("serviceable", False):
                raise ProviderDeclined(option.get("shipment_method_description") or "not serviceable")
            fee = int(option["price"]["total_price"])
            distance = float(option["distance"])
            eta = int(option.get("eta_minutes") or 10 + distance * 2.4)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderUnavailable(f"unreadable estimate: {exc!r}") from exc
        return Quote(
            provider=self.name,
            fee=fee,
            eta_minutes=eta,
            distance_km=round(distance, 1),
            expires_at=now + timedelta(seconds=self.quote_ttl),
        )

    def book(self, job: Job, *, key: str) -> Booking:
        """Idempotent on `key` (sent as storeOrderId): a booking that already exists is returned."""
        existing = self._find_by_store_order(key)
        if existing is not None:
            return existing
        payload = {
            "paymentType": 3,
            "collection_location": "pickup",
            "shipment_method": SHIPMENT,
            "routes": [
                {
                    "originName": job.pickup.name,
                    "originNote": job.pickup.note,
                    "originContactName": job.pickup.name,
                    "originContactPhone": job.pickup.phone,
                    "originLatLong": _latlng(job.pickup.lat, job.pickup.lng),
                    "originAddress": job.pickup.address,
                    "destinationName": job.dropoff.name,
                    "destinationNote": job.dropoff.note,
                    "destinationContactName": job.dropoff.name,
                    "destinationContactPhone": job.dropoff.phone,
                    "destinationLatLong": _latlng(job.dropoff.lat, job.dropoff.lng),
                    "destinationAddress": job.dropoff.address,
                    "item": job.description or job.reference or job.purpose.value,
                    "storeOrderId": key,
                    "insuranceDetails": {
                        "applied": "false",
                        "fee": "0",
                        "product_description": "",
                        "product_price": "0",
                    },
                }
            ],
        }
        body = self._call("POST", f"{API}/booking", json=payload, decline_on_4xx=True)
        try:
            ref = str(body["orderNo"])
        except (KeyError, TypeError) as exc:
            raise ProviderUnavailable(f"unreadable booking answer: {exc!r}") from exc
        return Booking(provider=self.name, ref=ref, status=S.FINDING_DRIVER)

    def cancel(self, booking_ref: str) -> None:
        self._call("PUT", f"{API}/booking/cancel", json={"orderNo": booking_ref}, decline_on_4xx=True)

    def status(self, booking_ref: str) -> Update:
        body = self._call("GET", f"{API}/booking/orderno/{booking_ref}", missing_ok=True)
        if body is None:
            raise LookupError(booking_ref)
        return self._update_from_status(body)

    def parse_webhook(self, request: Any) -> list[Update]:
        token = request.headers.get("Authorization", "")
        if not self.callback_token or not hmac.compare_digest(token.encode(), self.callback_token.encode()):
            raise WebhookRejected("bad callback token", status=401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise WebhookRejected("unreadable body", status=400)
        try:
            ref = str(body["entity_id"])
            status = map_status(body["status"])
        except (KeyError, ProviderUnavailable) as exc:
            raise WebhookRejected(f"unreadable event: {exc}", status=400) from None
        at = _parse_time(body.get("event_date")) or utcnow()
        return [
            Update(
                ref=ref,
                status=status,
                at=at,
                raw_status=str(body["status"]),
                courier_name=body.get("driver_name") or None,
                courier_phone=body.get("driver_phone") or None,
                eta=_parse_time(body.get("driver_eta_delivery")),
                note=str(body.get("cancellation_reason") or ""),
                extra={"event_id": body.get("event_id")},
            )
        ]

    # -- HTTP -----------------------------------------------------------------------------------

    def _find_by_store_order(self, key: str) -> Booking | None:
        body = self._call("GET", f"{API}/booking/storeOrderId/{key}", missing_ok=True)
        if not body:
            return None
        try:
            return Booking(provider=self.name, ref=str(body["orderNo"]), status=map_status(body["status"]))
        except (KeyError, TypeError) as exc:
            raise ProviderUnavailable(f"unreadable booking lookup: {exc!r}") from exc

    def _update_from_status(self, body: dict[str, Any]) -> Update:
        try:
            return Update(
                ref=str(body["orderNo"]),
                status=map_status(body["status"]),
                at=_parse_time(body.get("updatedTime")) or utcnow(),
                raw_status=str(body["status"]),
                courier_name=body.get("driverName") or None,
                courier_phone=body.get("driverPhone") or None,
                eta=_parse_time(body.get("deliveryEta")),
            )
        except (KeyError, TypeError) as exc:
            raise ProviderUnavailable(f"unreadable status: {exc!r}") from exc

    def _call(
        self, method: str, path: str, *, decline_on_4xx: bool = False, missing_ok: bool = False, **kwargs: Any
    ) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable("GoSend timed out") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"GoSend unreachable: {type(exc).__name__}") from exc
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise ProviderUnavailable(f"GoSend answered {response.status_code}")
        if response.status_code >= 400:
            message = _error_message(response)
            if decline_on_4xx:
                raise ProviderDeclined(message)
            raise ProviderUnavailable(f"GoSend answered {response.status_code}: {message}")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderUnavailable("GoSend sent a body that is not JSON") from exc


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        errors = body.get("errors") or [{}]
        return str(body.get("message") or (errors[0] or {}).get("message") or body)[:200]
    return str(body)[:200]
