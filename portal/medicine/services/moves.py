"""The pharmacy's moves and the ones the courier causes (delivery_changed): each one workflow.move."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.accounts import nik
from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import Delivery, DeliveryStatus
from portal.couriers.photos import photo_path
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.extensions import db
from portal.jobs import enqueue
from portal.medicine.models import (
    BAGS_BACK,
    PAYABLE,
    SENT_AGAIN,
    HoldReason,
    MedicineDelivery,
    MedicineStatus,
)
from portal.medicine.services.errors import MedicineError
from portal.medicine.services.queue import courier_delivery
from portal.medicine.services.registration import delivery_job
from portal.medicine.services.sms import notify_patient
from portal.medicine.services.staff import check_staff
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.services import PaymentError, mark_cash_received, payment_for, refund
from portal.workflow import move

M = MedicineStatus
S = DeliveryStatus


def _move(delivery: MedicineDelivery, to: MedicineStatus, *, by: User | None, note: str = "", now=None) -> None:
    now = now or utcnow()
    move(delivery, to, by=by, note=note, now=now)
    if to.final:
        delivery.ended_at = now  # the patient's link works for 7 more days
    db.session.flush()


def start_preparing(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> None:
    check_staff(delivery, by)
    _move(delivery, M.PREPARING, by=by, now=now)


def put_on_hold(delivery: MedicineDelivery, *, by: User, reason: str, now: datetime | None = None) -> None:
    """Out of stock, prescription unclear, patient asked to wait: a coded reason, always."""
    check_staff(delivery, by)
    try:
        code = HoldReason(reason)
    except ValueError:
        raise MedicineError(_l("Choose why the delivery waits.")) from None
    _move(delivery, M.ON_HOLD, by=by, note=code.value, now=now)
    delivery.hold_reason = code.value


def resume(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> None:
    check_staff(delivery, by)
    _move(delivery, M.PREPARING, by=by, now=now)
    delivery.hold_reason = None


def _dispatch(delivery: MedicineDelivery, *, now: datetime | None, tell: bool = True) -> Delivery:
    """Ask the courier adapter for a trained driver with a PIN handover. The patient hears "ready,
    we are finding a courier" now; the PIN is sealed (DATA_KEY) and goes by SMS at the pick-up."""
    try:
        courier = couriers.request_delivery(delivery_job(delivery), origin_id=delivery.id, customer=None, now=now)
    except couriers.CourierError as error:
        raise MedicineError(str(error)) from None
    if courier.issued_pin:  # a new job (an open one comes back without it: a double click)
        delivery.pin_sealed = nik.encrypt(courier.issued_pin)
        if tell:
            enqueue(notify_patient, delivery.id, "ready")
    return courier


def mark_ready(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> Delivery:
    """Prepared and sealed: a medicine-trained courier is called (whenPrepared)."""
    check_staff(delivery, by)
    now = now or utcnow()
    _move(delivery, M.READY, by=by, now=now)
    delivery.prepared_at = now
    return _dispatch(delivery, now=now)


def call_courier_again(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> Delivery:
    """Ready, but the courier job ended without a pick-up (nobody came, cancelled): a new one, a new PIN."""
    check_staff(delivery, by)
    if delivery.state != M.READY:
        raise MedicineError(_l("Only a ready delivery waits for a courier."))
    current = courier_delivery(delivery)
    if current is not None and not current.final and current.status != S.NO_DRIVER:
        raise MedicineError(_l("A courier job is still open for this delivery."))
    if current is not None and current.status == S.NO_DRIVER:
        couriers.cancel_delivery(current, by=by, reason="called again by the pharmacy")
    return _dispatch(delivery, now=now, tell=False)


def cancel(delivery: MedicineDelivery, *, by: User, reason: str, now: datetime | None = None) -> None:
    """Before the courier has it. Any courier job is cancelled and the payment released."""
    check_staff(delivery, by)
    reason = (reason or "").strip()
    if not reason:
        raise MedicineError(_l("Say why the delivery is cancelled."))
    if delivery.state == M.WITH_COURIER:
        raise MedicineError(_l("The courier has the medicine: wait until it is delivered or comes back."))
    current = courier_delivery(delivery)
    if current is not None and not current.final:
        try:
            couriers.cancel_delivery(current, by=by, reason=reason)
        except couriers.CourierError as error:
            raise MedicineError(str(error)) from None
    _move(delivery, M.CANCELLED, by=by, note=reason, now=now)
    delivery.reason = reason[:500]
    delivery.pin_sealed = None
    _release_payment(delivery, reason, by)
    enqueue(notify_patient, delivery.id, "cancelled")


def _release_payment(delivery: MedicineDelivery, reason: str, by: User | None) -> None:
    payment = payment_for(PAYABLE, delivery.id)
    if payment is None or payment.status in (PaymentStatus.CANCELLED, PaymentStatus.REFUNDED):
        return
    try:
        refund(payment, reason=reason, by=by)
    except PaymentError as error:
        raise MedicineError(str(error)) from None


def confirm_returned(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> None:
    """The pharmacist has the bags back on the counter, every one of them."""
    check_staff(delivery, by)
    _move(delivery, M.RETURNED_TO_PHARMACY, by=by, note=f"{BAGS_BACK}:{delivery.bags}", now=now)


def resend(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> Delivery:
    """Back at the pharmacy → ready again: a new courier job and a new PIN."""
    check_staff(delivery, by)
    if delivery.state != M.RETURNED_TO_PHARMACY:
        raise MedicineError(_l("Only a delivery whose bags are back can be sent again."))
    _move(delivery, M.READY, by=by, note=SENT_AGAIN, now=now)
    return _dispatch(delivery, now=now)


def collect_at_hospital(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> None:
    """The patient collects it at the post instead (they are told by SMS)."""
    check_staff(delivery, by)
    current = courier_delivery(delivery)
    if delivery.state == M.READY and current is not None and not current.final:
        try:
            couriers.cancel_delivery(current, by=by, reason="to collect at the hospital")
        except couriers.CourierError as error:
            raise MedicineError(str(error)) from None
    _move(delivery, M.COLLECT_AT_HOSPITAL, by=by, now=now)
    delivery.pin_sealed = None
    enqueue(notify_patient, delivery.id, "collect")


# --- following the courier ---------------------------------------------------------------------


def first_name(courier: Delivery) -> str:
    name = courier.driver_name or ""
    return name.split()[0] if name.split() else ""


def courier_shown(delivery: MedicineDelivery, courier: Delivery | None) -> bool:
    """The patient's page names (and shows) the courier only while it is theirs to meet."""
    return courier is not None and bool(courier.driver_name) and delivery.state in (M.READY, M.WITH_COURIER)


def courier_photo(delivery: MedicineDelivery, courier: Delivery | None) -> Path | None:
    """The assigned local driver's profile photo (stored outside /static), for the patient's
    link while the courier is on the way; None for GoSend's drivers and drivers without one."""
    if not courier_shown(delivery, courier) or courier.courier is None:
        return None
    profile = couriers.driver_profile(courier.courier)
    return photo_path(profile.photo or "") if profile is not None else None


def _courier_reason(courier: Delivery) -> str:
    for event in reversed(courier.events):
        if event.note and event.status in (S.FAILED, S.RETURNED):
            return event.note
    return ""


def follow_courier(delivery: MedicineDelivery, courier: Delivery, new: str, *, now: datetime | None = None) -> None:
    """The courier picked it up → with the courier; delivered (PIN checked) → delivered;
    failed or brought back → not delivered, and the bags return to the pharmacy."""
    now = now or utcnow()
    driver = courier.courier
    new = S(new)
    if new in (S.PICKED_UP, S.DELIVERING, S.DELIVERED) and delivery.state == M.READY:
        _move(delivery, M.WITH_COURIER, by=driver, note=first_name(courier), now=now)
        if new != S.DELIVERED:  # the courier sets out: now the patient needs the PIN
            enqueue(notify_patient, delivery.id, "pin")
    if new == S.DELIVERED and delivery.state == M.WITH_COURIER:
        delivery.pin_sealed = None
        delivery.handed_over_at = now
        delivery.received_by = getattr(courier, "received_by", None) or None
        _move(delivery, M.DELIVERED, by=driver, note=delivery.received_by or "", now=now)
        payment = payment_for(PAYABLE, delivery.id)
        if payment is not None and payment.kind == PaymentMethod.CASH and payment.state.open and driver is not None:
            mark_cash_received(payment, by=driver, now=now)
    elif new in (S.FAILED, S.RETURNED) and delivery.state == M.WITH_COURIER:
        reason = _courier_reason(courier)
        delivery.reason = reason[:500]
        delivery.pin_sealed = None  # a re-send makes a new job with a new PIN
        _move(delivery, M.NOT_DELIVERED, by=driver, note=reason, now=now)
        enqueue(notify_patient, delivery.id, "not_delivered")


@delivery_changed.connect
def _on_delivery_changed(courier: Delivery, old=None, new=None, **_kwargs) -> None:
    if courier.purpose != Purpose.MEDICINE:
        return
    delivery = db.session.get(MedicineDelivery, courier.origin_id)
    if delivery is not None:
        follow_courier(delivery, courier, str(new))
