"""Gancang Aron verbs: register at the post, prepare, hold, ready (a trained courier is called),
follow the courier, take the bags back, re-send or keep for collection, cancel.

They flush and raise MedicineError; the request commits once (portal.actions.act), or the job.
Every status change goes through portal.workflow.move. Nothing here ever names a medicine: the
bags are sealed at the pharmacy, and no SMS, page or courier job says what is inside.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from portal import notify
from portal.accounts.models import Role, User
from portal.accounts.phone import InvalidPhone, to_e164
from portal.accounts.services import grant_role, revoke_role
from portal.audit import AuditEntry, audit
from portal.couriers import services as couriers
from portal.couriers.contract import Job, Purpose, Requirements, Stop
from portal.couriers.models import Delivery, DeliveryStatus
from portal.couriers.signals import delivery_changed
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import to_wib
from portal.jobs import enqueue
from portal.medicine.models import (
    MAX_BAGS,
    PAYABLE,
    QUEUE,
    FareClass,
    HoldReason,
    Hospital,
    HospitalPharmacist,
    MedicineDelivery,
    MedicineEvent,
    MedicineStatus,
)
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.services import PaymentError, mark_cash_received, payment_for, refund, start_payment
from portal.workflow import DomainError, move

log = logging.getLogger(__name__)
M = MedicineStatus
S = DeliveryStatus

SUBSIDY_PAYER = "Pemkab Banyuwangi (PBI/DTSEN)"
DUPLICATE_DAYS = 7
PREP_MINUTES = 20
COMPOUNDED_MINUTES = 60  # a racikan takes about an hour
DEFAULT_TRAVEL_MINUTES = 30
# Kabupaten Banyuwangi, as a box: a pin outside it is a typo or swapped coordinates.
LAT_RANGE = (-8.9, -7.7)
LNG_RANGE = (113.8, 114.7)
RESTRICTED_REASON = _l(
    "This prescription contains a medicine that may not be delivered (BPOM Regulation 8/2020, "
    "article 27: narcotics, psychotropics, precursors, “obat-obat tertentu”, injections other than "
    "insulin, implants). The patient collects it at the pharmacy."
)


class MedicineError(DomainError):
    """A refusal; str(error) is a translated message for the pharmacist."""


class DuplicatePrescription(MedicineError):
    """The prescription number was registered in the last 7 days: the pharmacist confirms or stops."""

    def __init__(self, previous: MedicineDelivery) -> None:
        super().__init__(
            _l(
                "Prescription %(number)s was already registered on %(when)s (%(ref)s). "
                "If this is a new prescription, tick “Register anyway”.",
                number=previous.prescription_number,
                when=to_wib(previous.created_at).strftime("%d-%m-%Y %H:%M WIB"),
                ref=previous.reference,
            )
        )
        self.previous = previous


@dataclass
class Registration:
    """What the pharmacist types at the post (routes fill it from the form, tests directly)."""

    patient_name: str
    phone: str
    prescription_number: str
    address: str
    lat: float
    lng: float
    landmark: str = ""
    receivers: list[tuple[str, str]] = field(default_factory=list)  # (name, relationship)
    fare_class: str = FareClass.FREE
    card_checked_by: str = ""
    payment_method: str = PaymentMethod.CASH  # for a paid fare: cash or card
    bags: int = 1
    cold_chain: bool = False
    compounded: bool = False
    restricted: bool = False
    confirm_duplicate: bool = False


# --- reading -----------------------------------------------------------------------------------


def hospital_of(user: User | None) -> Hospital | None:
    """The hospital a pharmacist works at (None for anyone else)."""
    if user is None or not getattr(user, "id", None):
        return None
    return db.session.scalar(select(Hospital).join(HospitalPharmacist).where(HospitalPharmacist.user_id == user.id))


def may_handle(user: User | None, delivery: MedicineDelivery) -> bool:
    """Only the pharmacists of the delivery's own hospital see and move it."""
    if user is None or not getattr(user, "id", None) or not user.has_role(Role.PHARMACIST):
        return False
    return bool(
        db.session.scalar(
            select(HospitalPharmacist.id).where(
                HospitalPharmacist.user_id == user.id, HospitalPharmacist.hospital_id == delivery.hospital_id
            )
        )
    )


def _check_staff(delivery: MedicineDelivery, by: User) -> None:
    if not may_handle(by, delivery):
        raise MedicineError(_l("This delivery belongs to another hospital."))


def hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).order_by(Hospital.name)))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def by_token(token: str, *, now: datetime | None = None) -> MedicineDelivery | None:
    """The delivery behind a patient's link; None for a wrong token and for an expired one alike."""
    if not token or len(token) > 100:
        return None
    delivery = db.session.scalar(select(MedicineDelivery).where(MedicineDelivery.token_hash == token_hash(token)))
    if delivery is None or not delivery.link_valid(now or utcnow()):
        return None
    return delivery


def courier_delivery(delivery: MedicineDelivery) -> Delivery | None:
    return couriers.find_delivery(Purpose.MEDICINE, delivery.id)


def courier_deliveries(deliveries: list[MedicineDelivery]) -> dict[int, Delivery]:
    """The latest courier delivery of each, in one query (the queue shows them all)."""
    ids = [d.id for d in deliveries]
    if not ids:
        return {}
    found: dict[int, Delivery] = {}
    rows = db.session.scalars(
        select(Delivery).where(Delivery.purpose == Purpose.MEDICINE, Delivery.origin_id.in_(ids)).order_by(Delivery.id)
    )
    for row in rows:
        found[row.origin_id] = row  # later ones replace earlier ones
    return found


def _start_of_day(now: datetime) -> datetime:
    return to_wib(now).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def queue(hospital: Hospital, *, now: datetime | None = None) -> list[MedicineDelivery]:
    """The post's working list: every open delivery (oldest first within a status), then today's
    finished ones."""
    now = now or utcnow()
    order = case({status.value: index for index, status in enumerate(QUEUE)}, value=MedicineDelivery.status, else_=99)
    stmt = (
        select(MedicineDelivery)
        .where(
            MedicineDelivery.hospital_id == hospital.id,
            or_(MedicineDelivery.status.in_(list(QUEUE)), MedicineDelivery.updated_at >= _start_of_day(now)),
        )
        .order_by(order, MedicineDelivery.created_at, MedicineDelivery.id)
        .limit(200)
    )
    return list(db.session.scalars(stmt))


def queue_etag(hospital: Hospital, *, now: datetime | None = None) -> str:
    """Changes when a delivery of this hospital or its courier moves, and once a minute (the
    waiting times): the queue polls with it and gets 304 otherwise."""
    now = now or utcnow()
    count, latest = db.session.execute(
        select(func.count(MedicineDelivery.id), func.max(MedicineDelivery.updated_at)).where(
            MedicineDelivery.hospital_id == hospital.id
        )
    ).one()
    open_ids = select(MedicineDelivery.id).where(
        MedicineDelivery.hospital_id == hospital.id, MedicineDelivery.status.in_(list(QUEUE))
    )
    courier_latest = db.session.scalar(
        select(func.max(Delivery.updated_at)).where(
            Delivery.purpose == Purpose.MEDICINE, Delivery.origin_id.in_(open_ids)
        )
    )
    stamp = "-".join(str(int(t.timestamp())) if t else "0" for t in (latest, courier_latest))
    return f"rsud-{hospital.id}-{count}-{stamp}-{int(now.timestamp()) // 60}"


def expected_at(delivery: MedicineDelivery, courier: Delivery | None, *, now: datetime | None = None):
    """When the patient can expect the medicine at the door (None when nothing is on its way)."""
    now = now or utcnow()
    state = delivery.state
    if state not in (M.REGISTERED, M.PREPARING, M.READY, M.WITH_COURIER):
        return None
    if courier is not None and courier.eta is not None and not courier.final:
        return courier.eta
    travel = timedelta(minutes=delivery.travel_minutes or DEFAULT_TRAVEL_MINUTES)
    if state in (M.REGISTERED, M.PREPARING):
        prep = timedelta(minutes=COMPOUNDED_MINUTES if delivery.compounded else PREP_MINUTES)
        return max(now, delivery.created_at + prep) + travel
    return max(now, delivery.updated_at + travel)


def view_personal(delivery: MedicineDelivery, *, by: User, detail: str = "prescription, address, receivers") -> None:
    """A pharmacist opens the delivery's personal data: refused for another hospital, logged otherwise."""
    _check_staff(delivery, by)
    audit("view", delivery, by=by, detail=detail)


# --- registration ------------------------------------------------------------------------------


def indonesian_phone(raw: str) -> str:
    """E.164 for an Indonesian number (08…, 62…, +62…); anything else is refused."""
    try:
        e164 = to_e164(raw)
    except InvalidPhone:
        e164 = ""
    if not e164.startswith("+62"):
        raise MedicineError(_l("Enter the patient's Indonesian phone number, e.g. 0812 3456 7890."))
    return e164


def in_regency(lat: float, lng: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LNG_RANGE[0] <= lng <= LNG_RANGE[1]


def previous_registration(hospital: Hospital, number: str, *, now: datetime) -> MedicineDelivery | None:
    return db.session.scalar(
        select(MedicineDelivery)
        .where(
            MedicineDelivery.hospital_id == hospital.id,
            func.upper(MedicineDelivery.prescription_number) == number.upper(),
            or_(
                MedicineDelivery.status.in_(list(QUEUE)),
                MedicineDelivery.created_at >= now - timedelta(days=DUPLICATE_DAYS),
            ),
        )
        .order_by(MedicineDelivery.id.desc())
        .limit(1)
    )


def delivery_for_key(key: str) -> MedicineDelivery | None:
    return db.session.scalar(select(MedicineDelivery).where(MedicineDelivery.idempotency_key == key))


def _clean_receivers(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    receivers = []
    for name, relation in pairs:
        name, relation = (name or "").strip(), (relation or "").strip()
        if not name and not relation:
            continue
        if not name or not relation:
            raise MedicineError(_l("Give each family member who may receive it a name and a relationship."))
        receivers.append({"name": name[:120], "relation": relation[:60]})
    return receivers


def _check(reg: Registration) -> None:
    """Refusals that need no database, in the order the form shows the fields."""
    if reg.restricted:
        raise MedicineError(RESTRICTED_REASON)
    if not reg.patient_name.strip():
        raise MedicineError(_l("Enter the patient's name."))
    if not reg.prescription_number.strip():
        raise MedicineError(_l("Enter the prescription or visit number."))
    if not reg.address.strip():
        raise MedicineError(_l("Enter the delivery address."))
    if not in_regency(reg.lat, reg.lng):
        raise MedicineError(_l("The map pin is outside Kabupaten Banyuwangi. Check it (latitude about -8.2)."))
    if not 1 <= reg.bags <= MAX_BAGS:
        raise MedicineError(_l("Number of bags: 1 to %(n)s.", n=MAX_BAGS))
    if reg.fare_class not in (FareClass.FREE, FareClass.PAID):
        raise MedicineError(_l("Choose free (PBI / DTSEN) or paid."))
    if reg.fare_class == FareClass.FREE and not reg.card_checked_by.strip():
        raise MedicineError(_l("A free delivery needs the name of who checked the PBI / DTSEN card."))
    if reg.fare_class == FareClass.PAID and reg.payment_method not in (PaymentMethod.CASH, PaymentMethod.CARD):
        raise MedicineError(_l("Choose cash on delivery or card."))


def _pickup(hospital: Hospital, bags: int) -> Stop:
    return Stop(
        name=str(_l("Gancang Aron post, %(hospital)s", hospital=hospital.name)),
        phone=hospital.post_phone,
        address=hospital.address,
        lat=hospital.lat,
        lng=hospital.lng,
    )


def _job(hospital: Hospital, *, name: str, phone: str, address: str, lat: float, lng: float, landmark: str,
         bags: int, cold_chain: bool, reference: str, cash: int = 0, receivers: tuple[str, ...] = ()) -> Job:  # fmt: skip
    what = str(_l("%(n)s sealed bag(s) of medicine", n=bags))
    if cold_chain:
        what = str(_l("%(what)s. Cold chain: deliver this first, keep it cool", what=what))
    return Job(
        purpose=Purpose.MEDICINE,
        pickup=_pickup(hospital, bags),
        dropoff=Stop(name=name, phone=phone, address=address, lat=lat, lng=lng, note=landmark),
        requirements=Requirements(medicine_trained=True, pin=True),
        reference=reference,
        description=what,
        cash_to_collect=cash,
        receivers=receivers,
    )


def _delivery_job(delivery: MedicineDelivery) -> Job:
    cash = delivery.fee if delivery.payment_method == PaymentMethod.CASH and not delivery.free else 0
    return _job(
        delivery.hospital,
        name=delivery.patient_name,
        phone=delivery.phone,
        address=delivery.address,
        lat=delivery.lat,
        lng=delivery.lng,
        landmark=delivery.landmark,
        bags=delivery.bags,
        cold_chain=delivery.cold_chain,
        reference=f"medicine-{delivery.id}",
        cash=cash,
        receivers=who_may_receive(delivery),
    )


def who_may_receive(delivery: MedicineDelivery) -> tuple[str, ...]:
    """The patient and the family members named at the post: the courier hands over to no one else."""
    patient = str(_l("%(name)s (patient)", name=delivery.patient_name))
    return (patient, *delivery.receiver_names)


def register(
    hospital: Hospital, reg: Registration, *, by: User, key: str, now: datetime | None = None
) -> MedicineDelivery:
    """A patient's delivery, registered at the post. The same `key` (one form) yields one delivery.

    Refused: a restricted medicine, a non-Indonesian phone, a pin outside the regency, a free
    fare without who checked the card, a prescription number still in flight. A number
    registered in the last 7 days needs `confirm_duplicate`. The patient gets the link by SMS.
    """
    now = now or utcnow()
    existing = delivery_for_key(key)
    if existing is not None:
        if existing.hospital_id != hospital.id:
            raise MedicineError(_l("This form has expired. Please fill it in again."))
        return existing
    works_at = hospital_of(by)
    if works_at is None or works_at.id != hospital.id:
        raise MedicineError(_l("You are not a pharmacist of %(hospital)s.", hospital=hospital.name))
    _check(reg)
    phone = indonesian_phone(reg.phone)
    receivers = _clean_receivers(reg.receivers)
    number = reg.prescription_number.strip()
    previous = previous_registration(hospital, number, now=now)
    if previous is not None:
        if previous.state in QUEUE:
            raise MedicineError(
                _l(
                    "Prescription %(number)s is already on its way to the patient (%(ref)s, %(status)s).",
                    number=number,
                    ref=previous.reference,
                    status=previous.state.label.lower(),
                )
            )
        if not reg.confirm_duplicate:
            raise DuplicatePrescription(previous)
    free = reg.fare_class == FareClass.FREE
    method = PaymentMethod.SUBSIDY if free else PaymentMethod(reg.payment_method)
    job = _job(
        hospital,
        name=reg.patient_name.strip(),
        phone=phone,
        address=reg.address.strip(),
        lat=reg.lat,
        lng=reg.lng,
        landmark=reg.landmark.strip(),
        bags=reg.bags,
        cold_chain=reg.cold_chain,
        reference="medicine-new",
    )
    quote = couriers.quote(job, now=now)
    token = secrets.token_urlsafe(24)  # 192 bits; only its hash is kept
    delivery = MedicineDelivery(
        idempotency_key=key,
        hospital_id=hospital.id,
        status=M.REGISTERED,
        patient_name=reg.patient_name.strip()[:120],
        phone=phone,
        prescription_number=number[:40],
        address=reg.address.strip(),
        lat=reg.lat,
        lng=reg.lng,
        landmark=reg.landmark.strip()[:200],
        receivers=receivers,
        fare_class=FareClass(reg.fare_class).value,
        card_checked_by=reg.card_checked_by.strip()[:120] if free else None,
        payment_method=method.value,
        fee=quote.fee,
        travel_minutes=quote.eta_minutes,
        bags=reg.bags,
        cold_chain=reg.cold_chain,
        compounded=reg.compounded,
        token_hash=token_hash(token),
        registered_by_id=by.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    delivery.events.append(MedicineEvent(status=M.REGISTERED, at=now, by_id=by.id))
    try:
        start_payment(
            payable_type=PAYABLE,
            payable_id=delivery.id,
            customer=by,  # the post registers it; the patient has no account
            amount=quote.fee,
            method=method,
            return_url=f"/rsud/deliveries/{delivery.id}",
            payer=SUBSIDY_PAYER if free else None,
            description=delivery.reference,
            now=now,
        )
    except PaymentError as error:
        raise MedicineError(str(error)) from None
    db.session.flush()
    delivery.issued_token = token
    enqueue(notify_patient, delivery.id, "registered", token=token)
    log.info("medicine delivery %s registered at %s by %s", delivery.id, hospital.slug, by.id)
    return delivery


# --- the pharmacy's moves ----------------------------------------------------------------------


def _move(delivery: MedicineDelivery, to: MedicineStatus, *, by: User | None, note: str = "", now=None) -> None:
    now = now or utcnow()
    move(delivery, to, by=by, note=note, now=now)
    if to.final:
        delivery.ended_at = now  # the patient's link works for 7 more days
    db.session.flush()


def start_preparing(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> None:
    _check_staff(delivery, by)
    _move(delivery, M.PREPARING, by=by, now=now)


def put_on_hold(delivery: MedicineDelivery, *, by: User, reason: str, now: datetime | None = None) -> None:
    """Out of stock, prescription unclear, patient asked to wait: a coded reason, always."""
    _check_staff(delivery, by)
    try:
        code = HoldReason(reason)
    except ValueError:
        raise MedicineError(_l("Choose why the delivery waits.")) from None
    _move(delivery, M.ON_HOLD, by=by, note=code.label, now=now)
    delivery.hold_reason = code.value


def resume(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> None:
    _check_staff(delivery, by)
    _move(delivery, M.PREPARING, by=by, now=now)
    delivery.hold_reason = None


def _dispatch(delivery: MedicineDelivery, *, now: datetime | None) -> Delivery:
    """Ask the courier adapter for a trained driver with a PIN handover; the PIN goes by SMS."""
    try:
        courier = couriers.request_delivery(_delivery_job(delivery), origin_id=delivery.id, customer=None, now=now)
    except couriers.CourierError as error:
        raise MedicineError(str(error)) from None
    if courier.issued_pin:
        enqueue(notify_patient, delivery.id, "ready", pin=courier.issued_pin)
    return courier


def mark_ready(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> Delivery:
    """Prepared and sealed: a medicine-trained courier is called (whenPrepared)."""
    _check_staff(delivery, by)
    now = now or utcnow()
    _move(delivery, M.READY, by=by, now=now)
    delivery.prepared_at = now
    return _dispatch(delivery, now=now)


def call_courier_again(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> Delivery:
    """Ready, but the courier job ended without a pick-up (nobody came, cancelled): a new one, a new PIN."""
    _check_staff(delivery, by)
    if delivery.state != M.READY:
        raise MedicineError(_l("Only a ready delivery waits for a courier."))
    current = courier_delivery(delivery)
    if current is not None and not current.final and current.status != S.NO_DRIVER:
        raise MedicineError(_l("A courier job is still open for this delivery."))
    if current is not None and current.status == S.NO_DRIVER:
        couriers.cancel_delivery(current, by=by, reason="called again by the pharmacy")
    return _dispatch(delivery, now=now)


def cancel(delivery: MedicineDelivery, *, by: User, reason: str, now: datetime | None = None) -> None:
    """Before the courier has it. Any courier job is cancelled and the payment released."""
    _check_staff(delivery, by)
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
    _check_staff(delivery, by)
    _move(delivery, M.RETURNED_TO_PHARMACY, by=by, note=str(_l("%(n)s bag(s) back", n=delivery.bags)), now=now)


def resend(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> Delivery:
    """Back at the pharmacy → ready again: a new courier job and a new PIN."""
    _check_staff(delivery, by)
    if delivery.state != M.RETURNED_TO_PHARMACY:
        raise MedicineError(_l("Only a delivery whose bags are back can be sent again."))
    _move(delivery, M.READY, by=by, note=str(_l("sent again")), now=now)
    return _dispatch(delivery, now=now)


def collect_at_hospital(delivery: MedicineDelivery, *, by: User, now: datetime | None = None) -> None:
    """The patient collects it at the post instead (they are told by SMS)."""
    _check_staff(delivery, by)
    current = courier_delivery(delivery)
    if delivery.state == M.READY and current is not None and not current.final:
        try:
            couriers.cancel_delivery(current, by=by, reason="to collect at the hospital")
        except couriers.CourierError as error:
            raise MedicineError(str(error)) from None
    _move(delivery, M.COLLECT_AT_HOSPITAL, by=by, now=now)
    enqueue(notify_patient, delivery.id, "collect")


# --- following the courier ---------------------------------------------------------------------


def first_name(courier: Delivery) -> str:
    name = courier.driver_name or ""
    return name.split()[0] if name.split() else ""


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
    if new == S.DELIVERED and delivery.state == M.WITH_COURIER:
        delivery.handed_over_at = now
        delivery.received_by = getattr(courier, "received_by", None) or None
        _move(delivery, M.DELIVERED, by=driver, note=delivery.received_by or "", now=now)
        payment = payment_for(PAYABLE, delivery.id)
        if payment is not None and payment.kind == PaymentMethod.CASH and payment.state.open and driver is not None:
            mark_cash_received(payment, by=driver, now=now)
    elif new in (S.FAILED, S.RETURNED) and delivery.state == M.WITH_COURIER:
        reason = _courier_reason(courier)
        delivery.reason = reason[:500]
        _move(delivery, M.NOT_DELIVERED, by=driver, note=reason, now=now)
        enqueue(notify_patient, delivery.id, "not_delivered")


@delivery_changed.connect
def _on_delivery_changed(courier: Delivery, old=None, new=None, **_kwargs) -> None:
    if courier.purpose != Purpose.MEDICINE:
        return
    delivery = db.session.get(MedicineDelivery, courier.origin_id)
    if delivery is not None:
        follow_courier(delivery, courier, str(new))


# --- hospitals and pharmacists (admin) ---------------------------------------------------------


def set_gosend_contract(hospital: Hospital, on: bool, *, by: User) -> None:
    hospital.gosend_trained_contract = on
    audit("setting", hospital, by=by, detail=f"gosend_trained_contract={on}")


def assign_pharmacist(user: User, hospital: Hospital, *, by: User) -> HospitalPharmacist:
    """One hospital per pharmacist: assigning again moves them."""
    row = db.session.scalar(select(HospitalPharmacist).where(HospitalPharmacist.user_id == user.id))
    if row is None:
        row = HospitalPharmacist(user_id=user.id, hospital_id=hospital.id, assigned_by_id=by.id)
        db.session.add(row)
    else:
        row.hospital_id, row.assigned_by_id, row.assigned_at = hospital.id, by.id, utcnow()
    grant_role(user, Role.PHARMACIST, by=by)
    db.session.flush()
    return row


def unassign_pharmacist(user: User, *, by: User) -> None:
    row = db.session.scalar(select(HospitalPharmacist).where(HospitalPharmacist.user_id == user.id))
    if row is not None:
        db.session.delete(row)
    revoke_role(user, Role.PHARMACIST, by=by)
    db.session.flush()


# --- SMS to the patient (jobs: ids and plain values; never a medicine name) ---------------------

SMS = {
    "registered": _l("%(hospital)s: we received your prescription for home delivery (%(ref)s). Follow it here:"),
    "ready": _l(
        "%(hospital)s: your medicine is ready and a courier is coming (%(ref)s). "
        "Give the courier this PIN at the door, not before: %(pin)s"
    ),
    "not_delivered": _l(
        "%(hospital)s: we could not hand over your medicine (%(ref)s). It goes back to the pharmacy "
        "and the post will call you. Post: %(post)s"
    ),
    "collect": _l("%(hospital)s: please collect your medicine (%(ref)s) at the Gancang Aron post. Post: %(post)s"),
    "cancelled": _l("%(hospital)s: the home delivery %(ref)s is cancelled. Questions? Call the post: %(post)s"),
}


def notify_patient(delivery_id: int, kind: str, *, token: str | None = None, pin: str | None = None) -> None:
    """Job: one SMS to the patient's phone, in Indonesian (they have no account to choose)."""
    delivery = db.session.get(MedicineDelivery, delivery_id)
    if delivery is None:
        return
    hospital = delivery.hospital
    params = {"hospital": hospital.name, "ref": delivery.reference, "pin": pin or "", "post": hospital.post_phone}
    notify.send(
        _Message(SMS[kind], params),
        phone=delivery.phone,
        url=f"/medicine/{token}" if token else None,
    )


class _Message:
    """A lazy message with its parameters, rendered in the recipient's language at send time."""

    def __init__(self, message, params: dict) -> None:
        self.message, self.params = message, params

    def __str__(self) -> str:
        return str(self.message) % self.params


# --- figures for the admin (and the dashboard) -------------------------------------------------


@dataclass
class Figures:
    hospital: str
    day: str  # WIB date, YYYY-MM-DD
    registered: int = 0
    free: int = 0
    paid: int = 0
    delivered: int = 0
    failed_attempts: int = 0  # handovers that did not happen (not delivered)
    minutes: list[int] = field(default_factory=list)  # registration → handover, per delivered one

    @property
    def median(self) -> int | None:
        return _percentile(self.minutes, 50)

    @property
    def p90(self) -> int | None:
        return _percentile(self.minutes, 90)

    @property
    def failed_rate(self) -> float | None:
        attempts = self.delivered + self.failed_attempts
        return self.failed_attempts / attempts if attempts else None


def _percentile(values: list[int], pct: int) -> int | None:
    """Nearest-rank percentile: the value at least pct % of the deliveries took no longer than."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]


def figures(*, days: int = 7, now: datetime | None = None) -> list[Figures]:
    """Per hospital per day (WIB, by registration): free vs paid, delivered, median and 90th
    percentile minutes from registration to handover, failed handovers. No personal data."""
    now = now or utcnow()
    since = _start_of_day(now) - timedelta(days=days - 1)
    rows: dict[tuple[str, str], Figures] = {}
    deliveries = db.session.scalars(
        select(MedicineDelivery).where(MedicineDelivery.created_at >= since).order_by(MedicineDelivery.created_at)
    )
    failed = dict(
        db.session.execute(
            select(MedicineEvent.delivery_id, func.count(MedicineEvent.id))
            .join(MedicineDelivery, MedicineDelivery.id == MedicineEvent.delivery_id)
            .where(MedicineDelivery.created_at >= since, MedicineEvent.status == M.NOT_DELIVERED)
            .group_by(MedicineEvent.delivery_id)
        ).all()
    )
    names = {h.id: h.name for h in hospitals()}
    for delivery in deliveries:
        key = (names.get(delivery.hospital_id, "?"), to_wib(delivery.created_at).date().isoformat())
        row = rows.setdefault(key, Figures(*key))
        row.registered += 1
        row.free += delivery.free
        row.paid += not delivery.free
        row.failed_attempts += failed.get(delivery.id, 0)
        if delivery.state == M.DELIVERED and delivery.handed_over_at is not None:
            row.delivered += 1
            row.minutes.append(int((delivery.handed_over_at - delivery.created_at).total_seconds() // 60))
    return sorted(rows.values(), key=lambda row: (row.day, row.hospital), reverse=True)


def recent_views(limit: int = 50) -> list:
    """The audit trail of medicine deliveries' personal data, newest first (admins read it)."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == "medicine_delivery")
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
