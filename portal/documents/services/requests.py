"""The resident's side: submit a request (once per form, a few per day), correct an incomplete
one, cancel before it leaves, choose what happens to a returned one, and find their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import reasons
from portal.accounts import nik
from portal.accounts.models import User
from portal.accounts.phone import InvalidPhone, to_e164
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.documents.models import DocumentRequest, DocumentRequestEvent, DocumentStatus, DocumentType
from portal.documents.services import checks, fees
from portal.documents.services.base import PAYABLE, DocumentError, locked, now_or
from portal.documents.services.delivery import job_for, open_delivery, release_payment
from portal.extensions import db
from portal.payments import services as payments
from portal.payments.models import PaymentMethod
from portal.workflow import move

S = DocumentStatus
DAILY_LIMIT = 5  # new requests per account per 24 hours; DOCUMENTS_DAILY_LIMIT overrides
MAX_RECEIVERS = 4


@dataclass(frozen=True, slots=True)
class Answers:
    """Everything the resident answered, as typed (the service checks it all again)."""

    document_type: str
    registration_number: str
    holder_name: str
    nik: str
    kk_number: str
    address: str
    lat: float
    lng: float
    phone: str
    holder_only: bool = True
    receivers: tuple[str, ...] = field(default_factory=tuple)
    payment_method: str = "cash"  # card | cash, for a type the resident pays for


def find_by_key(resident: User, key: str) -> DocumentRequest | None:
    return db.session.scalar(
        select(DocumentRequest).where(
            DocumentRequest.resident_id == resident.id, DocumentRequest.idempotency_key == key
        )
    )


def submit_request(answers: Answers, *, resident: User, key: str, now: datetime | None = None) -> DocumentRequest:
    """File a request. The same `key` (one per form) returns the request it already made."""
    now = now_or(now)
    if not key or len(key) > 64:
        raise DocumentError(_l("This form has expired. Please start again."))
    existing = find_by_key(resident, key)
    if existing is not None:
        return existing
    limit = int(current_app.config.get("DOCUMENTS_DAILY_LIMIT") or DAILY_LIMIT)
    recent = db.session.scalar(
        select(func.count())
        .select_from(DocumentRequest)
        .where(DocumentRequest.resident_id == resident.id, DocumentRequest.created_at > now - timedelta(days=1))
    )
    if recent >= limit:
        raise DocumentError(
            _l("You have made %(n)s requests today. Please wait until tomorrow or ask at the MPP.", n=recent)
        )
    checked = _checked(answers)
    kind = DocumentType(checked.document_type)
    _refuse_a_second_open(resident, kind, checked.registration_number)
    free = fees.is_free(kind)
    request = DocumentRequest(
        resident_id=resident.id,
        idempotency_key=key,
        document_type=kind.value,
        registration_number=checked.registration_number,
        holder_name=checked.holder_name,
        nik_encrypted=nik.encrypt(checked.nik),
        nik_hash=nik.lookup_hash(checked.nik),
        nik_masked=nik.mask(checked.nik),
        kk_encrypted=nik.encrypt(checked.kk_number),
        kk_masked=nik.mask(checked.kk_number),
        address=checked.address,
        lat=checked.lat,
        lng=checked.lng,
        phone=checked.phone,
        holder_only=checked.holder_only,
        receivers=list(checked.receivers),
        status=S.SUBMITTED,
        payment_method=PaymentMethod.SUBSIDY.value if free else checked.payment_method,
        created_at=now,
        updated_at=now,
    )
    request.resident = resident
    request.fee = couriers.quote(job_for(request), now=now).fee
    db.session.add(request)
    db.session.flush()
    request.reference = f"MPP-{now.year}-{request.id:06d}"
    request.events.append(DocumentRequestEvent(from_status=None, status=S.SUBMITTED, at=now, by_id=resident.id))
    db.session.flush()
    if free:
        payments.start_payment(
            payable_type=PAYABLE,
            payable_id=request.id,
            customer=resident,
            amount=request.fee,
            method=PaymentMethod.SUBSIDY,
            payer=fees.SUBSIDY_PAYER,
            return_url=f"/documents/{request.id}",
            description=request.reference,
            now=now,
        )
    elif request.payment_method == PaymentMethod.CASH:
        payments.start_payment(
            payable_type=PAYABLE,
            payable_id=request.id,
            customer=resident,
            amount=request.fee,
            method=PaymentMethod.CASH,
            return_url=f"/documents/{request.id}",
            description=request.reference,
            now=now,
        )
    return request


def _refuse_a_second_open(resident: User, kind: DocumentType, registration: str) -> None:
    """One open request per registration number and document: a second is refused until the first is final."""
    open_one = db.session.scalar(
        select(DocumentRequest).where(
            DocumentRequest.resident_id == resident.id,
            DocumentRequest.document_type == kind.value,
            DocumentRequest.registration_number == registration,
            DocumentRequest.status.in_([status.value for status in S.active()]),
        )
    )
    if open_one is not None:
        raise DocumentError(
            _l(
                "You already asked for this document with registration number %(number)s: follow request "
                "%(reference)s, or cancel it first.",
                number=registration,
                reference=open_one.reference,
            )
        )


def _distinct(holder: str, kind: DocumentType, names) -> tuple[str, ...]:
    """The family receivers, each once; the holder (who signs anyway, except for a death certificate) not again."""
    seen = set() if kind == DocumentType.DEATH_CERTIFICATE else {holder.casefold()}
    distinct = []
    for name in (" ".join((raw or "").split()) for raw in names):
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            distinct.append(name)
    return tuple(distinct)


def _checked(answers: Answers) -> Answers:
    """The answers in their stored form, or DocumentError naming the first one that is wrong."""
    try:
        kind = DocumentType(answers.document_type)
    except ValueError:
        raise DocumentError(_l("Choose which document to deliver.")) from None
    registration = checks.registration_number(answers.registration_number)
    if registration is None:
        raise DocumentError(_l("The registration number is not in the MPP's shape."))
    try:
        holder_nik = nik.parse(answers.nik).value
    except nik.InvalidNIK:
        raise DocumentError(_l("The NIK is not valid.")) from None
    kk = checks.kk_number(answers.kk_number)
    if kk is None:
        raise DocumentError(_l("The KK number is not valid."))
    name = " ".join((answers.holder_name or "").split())
    address = (answers.address or "").strip()
    if not name or not address:
        raise DocumentError(_l("The holder's name and the address are needed."))
    if not checks.in_regency(answers.lat, answers.lng):
        raise DocumentError(_l("The map pin is outside Kabupaten Banyuwangi."))
    try:
        phone = to_e164(answers.phone)
    except InvalidPhone:
        raise DocumentError(_l("The phone number is not valid.")) from None
    receivers = _distinct(name, kind, answers.receivers)
    holder_only = answers.holder_only or not receivers
    if kind == DocumentType.DEATH_CERTIFICATE and holder_only:
        raise DocumentError(_l("Name the family members who may receive the death certificate."))
    if len(receivers) > MAX_RECEIVERS:
        raise DocumentError(_l("Name at most %(n)s family members.", n=MAX_RECEIVERS))
    method = answers.payment_method if answers.payment_method in ("card", "cash") else "cash"
    return Answers(
        document_type=kind.value,
        registration_number=registration,
        holder_name=name,
        nik=holder_nik,
        kk_number=kk,
        address=address,
        lat=float(answers.lat),
        lng=float(answers.lng),
        phone=phone,
        holder_only=holder_only,
        receivers=() if holder_only else receivers,
        payment_method=method,
    )


def resubmit(
    request: DocumentRequest,
    *,
    by: User,
    registration_number: str,
    kk_number: str,
    address: str,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """The resident corrects what the clerk found missing; the request goes back in the queue."""
    locked(request)
    registration = checks.registration_number(registration_number)
    if registration is None:
        raise DocumentError(_l("The registration number is not in the MPP's shape."))
    kk = checks.kk_number(kk_number)
    if kk is None:
        raise DocumentError(_l("The KK number is not valid."))
    if not (address or "").strip():
        raise DocumentError(_l("The holder's name and the address are needed."))
    move(request, S.SUBMITTED, by=by, note=note.strip()[:500], now=now)
    request.registration_number = registration
    request.kk_encrypted, request.kk_masked = nik.encrypt(kk), nik.mask(kk)
    request.address = address.strip()
    db.session.flush()


def cancel_request(request: DocumentRequest, *, by: User, now: datetime | None = None) -> None:
    """The resident changes their mind before the document leaves with a courier."""
    locked(request)
    if not request.cancellable:
        raise DocumentError(_l("This request can no longer be cancelled: it is %(s)s.", s=request.state.label.lower()))
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    if delivery is not None and not delivery.final:
        couriers.cancel_delivery(delivery, by=by, reason="request cancelled by the resident", now=now)
    move(request, S.CANCELLED, by=by, now=now)
    request.pin_encrypted = None
    release_payment(request, reason=reasons.REQUEST_CANCELLED, by=by)


def pay_by_card(request: DocumentRequest, *, by: User):
    """The resident's card payment for the delivery fee (started when they choose to pay)."""
    if request.payment_method != PaymentMethod.CARD:
        raise DocumentError(_l("This delivery is not paid by card."))
    if request.state.final:
        raise DocumentError(_l("This request is closed: there is nothing to pay."))
    return _start_payment(request, PaymentMethod.CARD, by=by)


def _start_payment(request: DocumentRequest, method: PaymentMethod, *, by: User, now: datetime | None = None):
    """The request's payment of its delivery fee, by `method` (one payment per request: see
    payments.start_payment for what a second call answers)."""
    return payments.start_payment(
        payable_type=PAYABLE,
        payable_id=request.id,
        customer=by,
        amount=request.fee,
        method=method,
        return_url=f"/documents/{request.id}",
        description=request.reference or "",
        now=now,
    )


def may_pay_cash_instead(request: DocumentRequest) -> bool:
    """A card fee nobody has paid yet, before a courier is asked: the resident may pay the courier
    in cash instead (the MPP's couriers take cash, as for any request made with cash)."""
    if request.payment_method != PaymentMethod.CARD or request.state.final or open_delivery(request) is not None:
        return False
    payment = payments.payment_for(PAYABLE, request.id)
    return payment is None or payment.state.open


def switch_to_cash(request: DocumentRequest, *, by: User, now: datetime | None = None) -> bool:
    """The resident pays the delivery in cash to the courier instead of by card (no card at hand,
    no JavaScript). The card payment is called off first, so it can never charge as well. False
    if it turns out the card was paid meanwhile: nothing changes then."""
    locked(request)
    if request.resident_id != by.id:
        raise DocumentError(_l("This is not your request."))
    if not may_pay_cash_instead(request):
        raise DocumentError(_l("This delivery no longer waits for a card payment."))
    try:
        payment = _start_payment(request, PaymentMethod.CASH, by=by, now=now)
    except payments.PaymentError as error:
        raise DocumentError(str(error)) from None
    if payment.kind != PaymentMethod.CASH:
        return False  # the card was paid after all (its webhook had not come yet)
    request.payment_method = PaymentMethod.CASH.value
    request.updated_at = now_or(now)
    db.session.flush()
    return True


def my_requests(resident: User) -> list[DocumentRequest]:
    return list(
        db.session.scalars(
            select(DocumentRequest)
            .where(DocumentRequest.resident_id == resident.id)
            .order_by(DocumentRequest.created_at.desc(), DocumentRequest.id.desc())
        )
    )


def for_resident(request_id: int, resident: User) -> DocumentRequest | None:
    """The request if it is this resident's, else None (the route answers 404 either way)."""
    request = db.session.get(DocumentRequest, request_id)
    return request if request is not None and request.resident_id == resident.id else None
