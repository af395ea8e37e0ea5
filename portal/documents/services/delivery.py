"""From the MPP to the door: the courier job, the PIN, the fee, and following the courier.

Documents import `portal.couriers.services` and its contract only. The request stays `ready`
while a courier is found; the courier's pick-up moves it to `with_courier`, the PIN handover to
`delivered`, and a failed or returned delivery brings it back to the MPP (`returned`).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal import notify
from portal.accounts import nik
from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.contract import Job, Purpose, Requirements, Stop, Window
from portal.couriers.models import DeliveryStatus
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.documents.models import TYPE_LABELS, DocumentRequest, DocumentStatus, DocumentType
from portal.documents.services.base import PAYABLE, DocumentError, locked, now_or
from portal.extensions import db
from portal.payments import services as payments
from portal.payments.models import PaymentMethod
from portal.workflow import move

S = DocumentStatus
D = DeliveryStatus

# The Mal Pelayanan Publik, where every document is picked up (DOCUMENTS_MPP_* override).
MPP = Stop(
    name="Mal Pelayanan Publik Banyuwangi",
    phone="+62333424000",
    address="Jl. Jend. Ahmad Yani No. 78, Taman Baru, Banyuwangi",
    lat=-8.2192,
    lng=114.3691,
    note="Loket antar dokumen (Dukcapil)",
)


OLD_CARD = _l("the old KTP-el card")  # what the courier takes back for a changed or damaged KTP-el


def mpp_stop() -> Stop:
    config = current_app.config
    return Stop(
        name=config.get("DOCUMENTS_MPP_NAME") or MPP.name,
        phone=config.get("DOCUMENTS_MPP_PHONE") or MPP.phone,
        address=config.get("DOCUMENTS_MPP_ADDRESS") or MPP.address,
        lat=MPP.lat,
        lng=MPP.lng,
        note=MPP.note,
    )


def job_for(request: DocumentRequest, *, window: Window | None = None) -> Job:
    """What the courier carries, to whom, and that only a PIN releases it."""
    kind = DocumentType(request.document_type)
    cash = request.fee if request.payment_method == PaymentMethod.CASH else 0
    return Job(
        purpose=Purpose.DOCUMENT,
        pickup=mpp_stop(),
        dropoff=Stop(
            name=request.holder_name,
            phone=request.phone,
            address=request.address,
            lat=request.lat,
            lng=request.lng,
        ),
        window=window,
        requirements=Requirements(pin=True),
        reference=request.reference or f"document-request-{request.id}",
        description=TYPE_LABELS[kind],
        cash_to_collect=cash,
        receivers=tuple(request.receiver_names),
        collect=OLD_CARD if request.return_old_card else "",
    )


def open_delivery(request: DocumentRequest):
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    return delivery if delivery is not None and not delivery.final else None


def hand_to_courier(
    request: DocumentRequest,
    *,
    by: User,
    window: Window | None = None,
    return_old_card: bool = False,
    driver: User | None = None,
    now: datetime | None = None,
) -> None:
    """Ask the courier adapter for a PIN job; the PIN goes to the resident by SMS (and their page).

    `driver` gives the job to one verified local driver at once (the demo data does)."""
    now = now_or(now)
    locked(request)
    if request.state != S.READY:
        raise DocumentError(
            _l("Only a ready document can go to a courier; this one is %(s)s.", s=request.state.label.lower())
        )
    if open_delivery(request) is not None:
        raise DocumentError(_l("A courier has already been asked for this document."))
    payment = payments.payment_for(PAYABLE, request.id)
    if request.payment_method == PaymentMethod.CARD and (payment is None or not payment.state.paid):
        raise DocumentError(_l("The resident has not paid the delivery yet."))
    if window is not None and not (now <= window.start < window.end):
        raise DocumentError(_l("Choose a delivery window in the future."))
    request.return_old_card = return_old_card and request.document_type == DocumentType.KTP_EL
    delivery = couriers.request_delivery(
        job_for(request, window=window), origin_id=request.id, customer=request.resident, driver=driver, now=now
    )
    pin = delivery.issued_pin
    if pin:
        request.pin_encrypted = nik.encrypt(pin)
        notify.send(
            _l(
                "Your %(what)s (%(ref)s) is coming with a courier. Give the courier this PIN at the door: %(pin)s",
                what=DocumentType(request.document_type).label,
                ref=request.reference,
                pin=pin,
            ),
            phone=request.phone,
            locale=request.resident.locale,
            url=f"/documents/{request.id}",
        )
    request.updated_at = now
    db.session.flush()


def pin_for(request: DocumentRequest) -> str | None:
    """The handover PIN, for the resident's own page while the document is on its way."""
    if request.pin_encrypted and request.state in (S.READY, S.WITH_COURIER):
        return nik.decrypt(request.pin_encrypted)
    return None


def release_payment(request: DocumentRequest, *, reason: str, by: User | None) -> None:
    """Nothing is delivered: give back what was paid, or cancel what was not."""
    payment = payments.payment_for(PAYABLE, request.id)
    if payment is not None and (payment.state.open or payment.refundable > 0):
        payments.refund(payment, reason=reason, by=by)


# --- following the courier ----------------------------------------------------------------------

FOLLOWS = {
    D.PICKED_UP: S.WITH_COURIER,
    D.DELIVERING: S.WITH_COURIER,
    D.DELIVERED: S.DELIVERED,
    D.FAILED: S.RETURNED,
    D.RETURNED: S.RETURNED,
}


def follow_delivery(request: DocumentRequest, delivery, new: DeliveryStatus, *, now: datetime | None = None) -> None:
    target = FOLLOWS.get(DeliveryStatus(new))
    if target is None or request.state == target:
        return
    now = now or utcnow()
    note = delivery.driver_name or ""
    if request.state == S.READY and target in (S.DELIVERED, S.RETURNED):
        if target == S.RETURNED:
            # It never left the MPP (the courier did not come): still ready, hand it again.
            request.pin_encrypted = None
            return
        move(request, S.WITH_COURIER, by=None, note=note, now=now)  # a provider skipped the pick-up report
    if not request.state.can_become(target):
        return
    move(request, target, by=None, note=note, now=now)
    if target in (S.DELIVERED, S.RETURNED):
        request.pin_encrypted = None
    if target == S.DELIVERED:
        request.received_by = delivery.received_by or None
        if request.return_old_card:
            request.old_card_collected = delivery.collected
        _cash_received(request, delivery)
    if target == S.RETURNED:
        notify.send(
            _l(
                "Nobody could receive your %(what)s (%(ref)s); it is back at the MPP. Ask for a new delivery "
                "or collect it at the counter.",
                what=DocumentType(request.document_type).label,
                ref=request.reference,
            ),
            phone=request.phone,
            locale=request.resident.locale,
            url=f"/documents/{request.id}",
        )
    db.session.flush()


def _cash_received(request: DocumentRequest, delivery) -> None:
    payment = payments.payment_for(PAYABLE, request.id)
    if payment is not None and payment.kind == PaymentMethod.CASH and not payment.state.paid and delivery.courier:
        payments.mark_cash_received(payment, by=delivery.courier)


@delivery_changed.connect
def _on_delivery_changed(delivery, *, old=None, new=None, **_kwargs) -> None:
    if delivery.purpose != Purpose.DOCUMENT or new is None:
        return
    request = db.session.get(DocumentRequest, delivery.origin_id)
    if request is not None:
        follow_delivery(request, delivery, new)
