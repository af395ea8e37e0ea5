"""Registering a delivery at the post, and the patient's link. The refusals come first; the
link's token is made here and only its hash is kept."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.accounts.models import User
from portal.accounts.phone import InvalidPhone, to_e164
from portal.couriers import services as couriers
from portal.couriers.contract import Job, Purpose, Requirements, Stop
from portal.database import utcnow
from portal.extensions import db
from portal.jobs import enqueue
from portal.medicine.models import (
    MAX_BAGS,
    PAYABLE,
    QUEUE,
    FareClass,
    Hospital,
    MedicineDelivery,
    MedicineEvent,
    MedicineStatus,
)
from portal.medicine.services.errors import DuplicatePrescription, MedicineError, PrescriptionInFlight
from portal.medicine.services.sms import notify_patient
from portal.medicine.services.staff import hospital_of
from portal.payments.models import Payment, PaymentMethod
from portal.payments.services import PaymentError, payment_for, start_payment

log = logging.getLogger(__name__)
M = MedicineStatus

SUBSIDY_PAYER = "Pemkab Banyuwangi (PBI/DTSEN)"
DUPLICATE_DAYS = 7
# Kabupaten Banyuwangi, as a box: a pin outside it is a typo or swapped coordinates.
LAT_RANGE = (-8.9, -7.7)
LNG_RANGE = (113.8, 114.7)
RESTRICTED_REASON = _l(
    "This prescription contains a medicine that may not be delivered (BPOM Regulation 8/2020, "
    "article 27: narcotics, psychotropics, precursors, “obat-obat tertentu”, injections other than "
    "insulin, implants). The patient collects it at the pharmacy."
)


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


def card_payment(delivery: MedicineDelivery) -> Payment | None:
    """The fare the patient may pay by card through the link now: a paid fare, by card, still
    open, for a delivery that is still on its way. None otherwise."""
    if delivery.free or delivery.payment_method != PaymentMethod.CARD or delivery.state.final:
        return None
    payment = payment_for(PAYABLE, delivery.id)
    if payment is None or payment.kind != PaymentMethod.CARD or not payment.state.open:
        return None
    return payment


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


def _pickup(hospital: Hospital) -> Stop:
    return Stop(
        name=str(_l("Gancang Aron post, %(hospital)s", hospital=hospital.name)),
        phone=hospital.post_phone,
        address=hospital.address,
        lat=hospital.lat,
        lng=hospital.lng,
    )


def _job(hospital: Hospital, *, name: str, phone: str, address: str, lat: float, lng: float, landmark: str,
         bags: int, cold_chain: bool, reference: str, cash: int = 0, receivers: tuple[str, ...] = ()) -> Job:  # fmt: skip
    # Translatable, so each courier reads it in their language (portal.couriers keeps both).
    what = lazy_ngettext("%(num)d sealed bag of medicine", "%(num)d sealed bags of medicine", bags)
    if cold_chain:
        what = _l("%(what)s. Cold chain: deliver this first, keep it cool", what=what)
    # Shown on the courier's job page, finished or not: after "not delivered" this is the order.
    what = _l("%(what)s. If not handed over: bring the bags back to %(post)s.", what=what, post=_pickup(hospital).name)
    return Job(
        purpose=Purpose.MEDICINE,
        pickup=_pickup(hospital),
        dropoff=Stop(name=name, phone=phone, address=address, lat=lat, lng=lng, note=landmark),
        # The hospital's contract for GoSend drivers it trained (admin setting): GoSend may take
        # the job then, if it can also check the PIN at the door (today it cannot: local fleet).
        requirements=Requirements(
            medicine_trained=True,
            pin=True,
            contracted_providers=frozenset({"gosend"}) if hospital.gosend_trained_contract else frozenset(),
        ),
        reference=reference,
        description=what,
        cash_to_collect=cash,
        receivers=receivers,
    )


# The courier job's names (the post's, who may receive) are stored as text by portal.couriers and
# shown as they are to whichever courier opens the job: we write them in Indonesian, which every
# courier in Banyuwangi reads. Its description is kept in every language.
COURIER_LOCALE = "id"


def delivery_job(delivery: MedicineDelivery) -> Job:
    with force_locale(COURIER_LOCALE):
        return _delivery_job(delivery)


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
        reference=delivery.reference,  # GA-…, as on the bags and the pharmacist's queue
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
            raise PrescriptionInFlight(
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
            # The patient pays (cash to the courier, or by card through the link) and has no
            # account: the link authorises them. The pharmacist is never the customer.
            customer=None,
            amount=quote.fee,
            method=method,
            return_url="/medicine",  # never the link: its token is kept only as a hash
            payer=SUBSIDY_PAYER if free else None,
            description=delivery.reference,
            now=now,
        )
    except PaymentError as error:
        raise MedicineError(str(error)) from None
    db.session.flush()
    delivery.issued_token = token
    kind = "registered_card" if method == PaymentMethod.CARD else "registered"
    enqueue(notify_patient, delivery.id, kind, token=token)
    log.info("medicine delivery %s registered at %s by %s", delivery.id, hospital.slug, by.id)
    return delivery
