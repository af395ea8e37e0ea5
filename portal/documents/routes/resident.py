"""The resident's request, GOV.UK style: one question per page, each with a back link, the
answers kept in the session between pages (NIK and KK number encrypted), then check your
answers, then the confirmation. Works without JavaScript; htmx only polls the status page."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from portal.accounts import nik
from portal.accounts.access import ensure, phone_verified_required
from portal.accounts.forms import EmptyForm
from portal.actions import act
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.database import utcnow
from portal.documents import bp
from portal.documents import services as documents
from portal.documents.forms import (
    FAMILY,
    HOLDER,
    AddressForm,
    CancelForm,
    CorrectForm,
    HolderForm,
    PaymentForm,
    PhoneForm,
    ReceiversForm,
    RegistrationForm,
    SubmitForm,
    TypeForm,
)
from portal.documents.models import DocumentRequest, DocumentStatus, DocumentType
from portal.extensions import db
from portal.formatting import phone as display_phone
from portal.formatting import rupiah
from portal.htmx import not_modified, render, with_etag
from portal.payments import services as payments
from portal.payments.models import Payment, PaymentMethod
from portal.payments.pages import cash_instead

DRAFT = "document_draft"
S = DocumentStatus

# step -> (form, the question as the page's heading, the draft keys it answers)
STEPS = {
    "type": (TypeForm, _l("Which document should we deliver?"), ("document_type",)),
    "registration": (RegistrationForm, _l("Your MPP registration number"), ("registration_number",)),
    "holder": (HolderForm, _l("Whose document is it?"), ("holder_name", "nik", "kk_number")),
    "address": (AddressForm, _l("Where should we deliver it?"), ("address", "lat", "lng")),
    "phone": (PhoneForm, _l("Your phone number"), ("phone",)),
    "receivers": (ReceiversForm, _l("Who may receive it?"), ("who",)),
    "payment": (PaymentForm, _l("How will you pay for the delivery?"), ("payment_method",)),
}


# --- the draft ----------------------------------------------------------------------------------


def _draft() -> dict:
    return dict(session.get(DRAFT) or {})


def _save(draft: dict) -> None:
    draft.setdefault("key", secrets.token_urlsafe(18))
    session[DRAFT] = draft


def _steps(draft: dict) -> list[str]:
    """The questions this draft needs: payment only for a type the resident pays for."""
    kind = draft.get("document_type")
    paid = kind in set(DocumentType) and not documents.fees.is_free(kind)
    return [step for step in STEPS if step != "payment" or paid]


def _gap(draft: dict) -> str:
    """The first question not answered yet, or "check"."""
    for step in _steps(draft):
        if any(key not in draft for key in STEPS[step][2]):
            return step
    return "check"


def _url(step: str, **args) -> str:
    return url_for("documents.new_request", **args) if step == "type" else url_for("documents.step", step=step, **args)


def _initial(step: str, draft: dict) -> dict:
    """What the resident answered before, to fill the form again."""
    if step == "holder" and "nik" in draft:
        return {
            "holder_name": draft["holder_name"],
            "nik": nik.decrypt(draft["nik"]),
            "kk_number": nik.decrypt(draft["kk_number"]),
        }
    if step == "address" and "address" in draft:
        return {"address": draft["address"], "latitude": draft["lat"], "longitude": draft["lng"]}
    if step == "phone":
        return {"phone": display_phone(draft.get("phone") or current_user.phone)}
    if step == "receivers":
        if "who" in draft:
            return {"who": draft["who"], "family": "\n".join(draft.get("family", []))}
        return {"who": HOLDER if draft.get("document_type") == DocumentType.KTP_EL else None}
    return {key: draft[key] for key in STEPS[step][2] if key in draft}


def _answers(step: str, form) -> dict:
    if step == "holder":
        return {
            "holder_name": " ".join(form.holder_name.data.split()),
            "nik": nik.encrypt(form.nik.data),
            "kk_number": nik.encrypt(form.kk_number.data),
        }
    if step == "address":
        return {"address": form.address.data.strip(), "lat": form.lat, "lng": form.lng}
    if step == "phone":
        return {"phone": form.phone.e164}
    if step == "receivers":
        return {"who": form.who.data, "family": form.names() if form.who.data == FAMILY else []}
    return {key: getattr(form, key).data for key in STEPS[step][2]}


def _to_answers(draft: dict) -> documents.Answers:
    return documents.Answers(
        document_type=draft["document_type"],
        registration_number=draft["registration_number"],
        holder_name=draft["holder_name"],
        nik=nik.decrypt(draft["nik"]),
        kk_number=nik.decrypt(draft["kk_number"]),
        address=draft["address"],
        lat=draft["lat"],
        lng=draft["lng"],
        phone=draft["phone"],
        holder_only=draft["who"] == HOLDER,
        receivers=tuple(draft.get("family", [])),
        payment_method=draft.get("payment_method") or "cash",
    )


# --- the questions ----------------------------------------------------------------------------


@bp.route("/documents/new", methods=["GET", "POST"])
@phone_verified_required
def new_request():
    if request.method == "GET" and request.args.get("restart"):
        session.pop(DRAFT, None)
    return _question("type")


@bp.route("/documents/new/<step>", methods=["GET", "POST"])
@phone_verified_required
def step(step: str):
    if step not in STEPS:
        abort(404)
    return _question(step)


def _question(step: str):
    draft = _draft()
    steps = _steps(draft)
    if step not in steps:
        return redirect(_url(_gap(draft)))
    gap = _gap(draft)
    if gap != "check" and steps.index(step) > steps.index(gap):
        return redirect(_url(gap))
    changing = bool(request.args.get("change"))
    form_class, heading, _keys = STEPS[step]
    form = form_class() if request.method == "POST" else form_class(data=_initial(step, draft))
    if step == "receivers" and draft.get("document_type") == DocumentType.DEATH_CERTIFICATE:
        form.who.data = FAMILY  # the holder of a death certificate cannot sign for it
    if form.validate_on_submit():
        draft.update(_answers(step, form))
        _save(draft)
        following = _steps(draft)
        if changing:
            return redirect(_url(_gap(draft)))
        index = following.index(step) + 1
        return redirect(_url(following[index] if index < len(following) else "check"))
    position = steps.index(step)
    if changing:
        back = url_for("documents.check")
    elif position == 0:
        back = url_for("documents.mine")
    else:
        back = _url(steps[position - 1])
    quote = _quote(draft) if step == "payment" else None
    return (
        render_template(
            "documents/question.html",
            form=form,
            step=step,
            heading=heading,
            back=back,
            position=position + 1,
            total=len(steps),  # the questions only, not the check page
            quote=quote,
            action=_url(step, change=1) if changing else _url(step),
            death=draft.get("document_type") == DocumentType.DEATH_CERTIFICATE,
        ),
        422 if request.method == "POST" else 200,
    )


def _quote(draft: dict) -> int | None:
    """What the delivery will cost, for the payment question."""
    if "lat" not in draft:
        return None
    probe = DocumentRequest(
        document_type=draft["document_type"],
        holder_name=draft.get("holder_name", ""),
        phone=draft.get("phone") or current_user.phone,
        address=draft["address"],
        lat=draft["lat"],
        lng=draft["lng"],
        holder_only=True,
        receivers=[],
        payment_method="card",
        fee=0,
    )
    return couriers.quote(documents.job_for(probe)).fee


@bp.route("/documents/new/check", methods=["GET", "POST"])
@phone_verified_required
def check():
    draft = _draft()
    if _gap(draft) != "check":
        if request.method == "POST" and (done := documents.find_by_key(current_user, request.form.get("key", ""))):
            return redirect(url_for("documents.confirmation", request_id=done.id))  # a double submit
        return redirect(_url(_gap(draft)))
    form = SubmitForm(data={"key": draft.get("key")})
    status = 200
    if form.validate_on_submit():
        key = form.key.data or draft.get("key")
        done = documents.find_by_key(current_user, key)
        if done is None:
            try:
                with act() as outcome:
                    done = documents.submit_request(_to_answers(draft), resident=current_user, key=key)
            except IntegrityError:  # the same form submitted twice at the same instant
                db.session.rollback()
                done = documents.find_by_key(current_user, key)
            else:
                if not outcome.ok:
                    done = None
        if done is not None:
            session.pop(DRAFT, None)
            return redirect(url_for("documents.confirmation", request_id=done.id))
        status = 422
    kind = DocumentType(draft["document_type"])
    return render_template(
        "documents/check.html",
        form=form,
        draft=draft,
        kind=kind,
        free=documents.fees.is_free(kind),
        nik_masked=nik.mask(nik.decrypt(draft["nik"])),
        kk_masked=nik.mask(nik.decrypt(draft["kk_number"])),
        phone=display_phone(draft["phone"]),
        change=lambda step: _url(step, change=1),
        death=kind == DocumentType.DEATH_CERTIFICATE,
        back=_url(_steps(draft)[-1]),
    ), status


# --- after the request ------------------------------------------------------------------------


def _mine(request_id: int) -> DocumentRequest:
    found = documents.for_resident(request_id, current_user)
    ensure(found is not None)
    return found


@bp.get("/documents")
@login_required
def mine():
    return render_template(
        "documents/mine.html", requests=documents.my_requests(current_user), draft=bool(session.get(DRAFT))
    )


@bp.get("/documents/<int:request_id>/confirmation")
@login_required
def confirmation(request_id: int):
    found = _mine(request_id)
    return render_template(
        "documents/confirmation.html",
        req=found,
        button=EmptyForm(),
        cash_instead=documents.may_pay_cash_instead(found),
    )


def _status_etag(found: DocumentRequest, delivery) -> str:
    parts = (found.id, found.status, found.updated_at.timestamp(), couriers.tracking_etag(delivery), str(get_locale()))
    return "doc-" + "-".join(str(part) for part in parts)


@bp.get("/documents/<int:request_id>", endpoint="request")
@login_required
def request_page(request_id: int):
    found = _mine(request_id)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, found.id)
    polling = bool(request.headers.get("HX-Request"))
    etag = _status_etag(found, delivery)
    if polling and (cached := not_modified(etag)) is not None:
        return cached
    payment = payments.payment_for(documents.PAYABLE, found.id)
    if payment is not None and payment.kind == PaymentMethod.CARD and payment.state.open and not polling:
        # Back from the card page (return_url): pull the payment's state; a refusal is not this
        # page's news (the webhook or the next visit brings it).
        with act(flash_error=False):
            payments.sync_payment(payment)
    due = None
    if found.state == S.VERIFIED and found.verified_at:
        due = documents.workdays.ready_due(found.verified_at)
    elif found.state == S.SUBMITTED:
        due = documents.workdays.ready_due(utcnow())
    response = render(
        "documents/request.html",
        "status",
        req=found,
        delivery=delivery,
        pin=documents.pin_for(found),
        due=due,
        payment=payment,
        cancel=CancelForm(),
        must_pay=found.payment_method == PaymentMethod.CARD
        and not (payment and payment.state.paid)
        and not found.state.final,
        cash_instead=documents.may_pay_cash_instead(found),
        button=EmptyForm(),
    )
    return with_etag(response, etag) if polling else response


@bp.post("/documents/<int:request_id>/pay")
@login_required
def pay(request_id: int):
    found = _mine(request_id)
    if not EmptyForm().validate_on_submit() or found.payment_method != PaymentMethod.CARD:
        return redirect(url_for("documents.request", request_id=found.id))
    with act() as outcome:
        payment = documents.pay_by_card(found, by=current_user)
    if outcome.ok:
        return redirect(payments.pay_url(payment))
    return redirect(url_for("documents.request", request_id=found.id))


@bp.route("/documents/<int:request_id>/cash", methods=["GET", "POST"])
@login_required
def pay_cash(request_id: int):
    """The way out of a card fee without JavaScript (or without a card): cash to the courier,
    asked first on its own page; only the request's resident, with the CSRF token."""
    found = _mine(request_id)
    back = url_for("documents.request", request_id=found.id)
    return cash_instead(
        allowed=documents.may_pay_cash_instead(found),
        switch=lambda: documents.switch_to_cash(found, by=current_user),
        switched=_("You pay %(fee)s in cash to the courier when your document arrives.", fee=rupiah(found.fee)),
        amount=found.fee,
        what=f"{found.kind.label} · {found.reference}",
        action=url_for("documents.pay_cash", request_id=found.id),
        back=back,
    )


@payments.register_other_way(documents.PAYABLE)
def _cash_instead(payment: Payment) -> tuple[str, str] | None:
    found = db.session.get(DocumentRequest, payment.payable_id)
    if found is None or not documents.may_pay_cash_instead(found):
        return None
    return _("Pay %(fee)s in cash to the courier instead", fee=rupiah(found.fee)), url_for(
        "documents.pay_cash", request_id=found.id
    )


def _resident_move(request_id: int, verb, success: str):
    found = _mine(request_id)
    if EmptyForm().validate_on_submit():
        with act(success=success):
            verb(found, by=current_user)
    return redirect(url_for("documents.request", request_id=found.id))


@bp.post("/documents/<int:request_id>/cancel")
@login_required
def cancel(request_id: int):
    found = _mine(request_id)
    form = CancelForm()
    if form.validate_on_submit():
        with act(success=_("Your request is cancelled.")):
            documents.cancel_request(found, by=current_user)
    elif form.sure.errors:
        flash(" ".join(str(error) for error in form.sure.errors), "error")
    return redirect(url_for("documents.request", request_id=found.id))


@bp.post("/documents/<int:request_id>/resend")
@login_required
def resend(request_id: int):
    return _resident_move(
        request_id, documents.resend, _("The MPP will send it again with a new courier and a new PIN.")
    )


@bp.post("/documents/<int:request_id>/counter")
@login_required
def counter(request_id: int):
    return _resident_move(
        request_id, documents.collect_at_counter, _("It waits for you at the MPP counter. Bring your receipt.")
    )


@bp.route("/documents/<int:request_id>/correct", methods=["GET", "POST"])
@login_required
def correct(request_id: int):
    found = _mine(request_id)
    if found.state != S.INCOMPLETE:
        return redirect(url_for("documents.request", request_id=found.id))
    if request.method == "POST":
        form = CorrectForm()
    else:
        form = CorrectForm(
            data={
                "registration_number": found.registration_number,
                "kk_number": nik.decrypt(found.kk_encrypted),
                "address": found.address,
            }
        )
    if form.validate_on_submit():
        with act(success=_("Thank you. The MPP will check your request again.")) as outcome:
            documents.resubmit(
                found,
                by=current_user,
                registration_number=form.registration_number.data,
                kk_number=form.kk_number.data,
                address=form.address.data,
                note=form.note.data or "",
            )
        if outcome.ok:
            return redirect(url_for("documents.request", request_id=found.id))
    return render_template("documents/correct.html", req=found, form=form), 422 if request.method == "POST" else 200
