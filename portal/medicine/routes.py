"""HTTP for Gancang Aron: the post's queue and registration (pharmacists), the patient's link
(no account), hospitals and pharmacists (admin). Each POST is form → one service verb → act()."""

from __future__ import annotations

import secrets

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.accounts.services import find_by_email
from portal.actions import act
from portal.couriers import services as couriers
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import rupiah
from portal.htmx import not_modified, render, with_etag
from portal.medicine import bp
from portal.medicine import services as medicine
from portal.medicine.forms import CancelForm, ContractForm, HoldForm, PharmacistForm, RegistrationForm
from portal.medicine.models import (
    AUDIT_DETAILS,
    QUEUE,
    FareClass,
    Hospital,
    HospitalPharmacist,
    MedicineDelivery,
    MedicineStatus,
)
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.pages import card_page, cash_instead, confirm_answer
from portal.payments.services import payment_for, sync_payment

M = MedicineStatus


# --- public ------------------------------------------------------------------------------------


@bp.get("/medicine")
def about():
    return render("medicine/about.html", hospitals=medicine.hospitals())


def _patient_etag(delivery: MedicineDelivery, courier) -> str:
    return f"ga-{delivery.id}-{delivery.status}-{delivery.updated_at.timestamp()}-" + "-".join(
        (couriers.tracking_etag(courier), str(get_locale()))
    )


def _patient_delivery(token: str) -> MedicineDelivery:
    """The link is the key: a wrong and an expired token look the same (404)."""
    delivery = medicine.by_token(token)
    if delivery is None:
        abort(404)
    return delivery


def _private(response):
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/medicine/<token>")
def track(token: str):
    """The patient's page: no account, the link is the key."""
    delivery = _patient_delivery(token)
    courier = medicine.courier_delivery(delivery)
    payment = medicine.card_payment(delivery)
    etag = _patient_etag(delivery, courier) + (f"-pay-{payment.status}" if payment is not None else "")
    polling = bool(request.headers.get("HX-Request"))
    if polling and (cached := not_modified(etag)) is not None:
        return cached
    shown = medicine.courier_shown(delivery, courier)
    response = render(
        "medicine/track.html",
        "status",
        delivery=delivery,
        courier=courier,
        courier_first_name=medicine.first_name(courier) if shown else "",
        courier_photo=shown and medicine.courier_photo(delivery, courier) is not None,
        expected=medicine.expected_at(delivery, courier),
        payment=payment,
        cash_instead=payment is not None and medicine.may_pay_cash_instead(delivery),
        token=token,
        poll_etag=etag,
    )
    _private(response)
    return with_etag(response, etag) if polling else response


@bp.get("/medicine/<token>/courier.jpg")
def courier_photo(token: str):
    """The assigned courier's photo, to the link's holder only, while the courier is on the way."""
    delivery = _patient_delivery(token)
    path = medicine.courier_photo(delivery, medicine.courier_delivery(delivery))
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return _private(response)


def _fare_payment(token: str):
    delivery = _patient_delivery(token)
    payment = medicine.card_payment(delivery)
    if payment is None:  # free, cash, already paid, or the delivery is over: back to the page
        return delivery, None
    return delivery, payment


@bp.get("/medicine/<token>/pay")
def pay(token: str):
    """The delivery fare by card, paid by whoever holds the link (the patient has no account)."""
    delivery, payment = _fare_payment(token)
    if payment is not None:  # paid in another tab, webhook not here yet: never offer to pay twice
        sync_payment(payment)
        db.session.commit()
        payment = medicine.card_payment(delivery)
    if payment is None or payment.state == PaymentStatus.PROCESSING:
        return _private(redirect(url_for("medicine.track", token=token)))
    way_out = None
    if medicine.may_pay_cash_instead(delivery):
        way_out = (
            _("Pay %(fee)s in cash to the courier instead", fee=rupiah(delivery.fee)),
            url_for("medicine.pay_cash", token=token),
        )
    return _private(
        card_page(payment, confirm_url=url_for("medicine.pay_confirm", token=token), details_url=None, way_out=way_out)
    )


@bp.post("/medicine/<token>/pay")
def pay_confirm(token: str):
    """static/js/payments.js's submit for the link's card page."""
    _, payment = _fare_payment(token)
    back = url_for("medicine.track", token=token)
    if payment is None:
        return jsonify(redirect=back)
    return _private(
        confirm_answer(payment, done_url=back, checking_url=back, retry_url=url_for("medicine.pay", token=token))
    )


@bp.route("/medicine/<token>/cash", methods=["GET", "POST"])
def pay_cash(token: str):
    """The way out of the card fare without JavaScript (or without a card): cash to the courier,
    asked first on its own page; whoever holds the link, with the CSRF token."""
    delivery = _patient_delivery(token)
    back = url_for("medicine.track", token=token)
    return _private(
        cash_instead(
            allowed=medicine.may_pay_cash_instead(delivery),
            switch=lambda: medicine.switch_to_cash(delivery),
            switched=_("You pay %(fee)s in cash to the courier when your medicine arrives.", fee=rupiah(delivery.fee)),
            amount=delivery.fee,
            what=_("Delivery fare · %(ref)s", ref=delivery.reference),
            action=url_for("medicine.pay_cash", token=token),
            back=back,
        )
    )


# --- the post (pharmacists) --------------------------------------------------------------------


def _my_hospital() -> Hospital | None:
    return medicine.hospital_of(current_user)


def _my_delivery(delivery_id: int) -> MedicineDelivery:
    """Another hospital's delivery answers 404, as if it did not exist."""
    delivery = db.session.get(MedicineDelivery, delivery_id)
    ensure(delivery is not None and medicine.may_handle(current_user, delivery))
    return delivery


@bp.get("/rsud/deliveries")
@role_required(Role.PHARMACIST)
def rsud():
    hospital = _my_hospital()
    if hospital is None:
        return render("medicine/no_hospital.html")
    polling = bool(request.headers.get("HX-Request"))
    etag = f"{medicine.queue_etag(hospital)}-{get_locale()}"
    if polling and (cached := not_modified(etag)) is not None:
        return cached
    deliveries = medicine.queue(hospital)
    now = utcnow()
    response = render(
        "medicine/queue.html",
        "queue",
        hospital=hospital,
        deliveries=deliveries,
        couriers=medicine.courier_deliveries(deliveries),
        open_statuses=QUEUE,
        now=now,
        hold=HoldForm(),
        cancel=CancelForm(),
        poll_etag=etag,
    )
    return with_etag(response, etag) if polling else response


def _registration(form: RegistrationForm) -> medicine.Registration:
    choice = form.fare_class.data
    return medicine.Registration(
        patient_name=form.patient_name.data or "",
        phone=form.phone.data or "",
        prescription_number=form.prescription_number.data or "",
        address=form.address.data or "",
        lat=form.lat,
        lng=form.lng,
        landmark=form.landmark.data or "",
        receivers=form.receivers(),
        fare_class=FareClass.FREE if choice == FareClass.FREE else FareClass.PAID,
        card_checked_by=form.card_checked_by.data or "",
        payment_method=choice if choice in (PaymentMethod.CASH, PaymentMethod.CARD) else PaymentMethod.CASH,
        bags=form.bags.data or 1,
        cold_chain=form.cold_chain.data,
        compounded=form.compounded.data,
        restricted=form.restricted.data,
        confirm_duplicate=form.confirm_duplicate.data,
    )


@bp.route("/rsud/deliveries/new", methods=["GET", "POST"])
@role_required(Role.PHARMACIST)
def new():
    hospital = _my_hospital()
    if hospital is None:
        return redirect(url_for("medicine.rsud"))
    form = RegistrationForm()
    if request.method == "GET":
        form.key.data = secrets.token_urlsafe(16)
    duplicate = False
    error = None
    if form.validate_on_submit():
        if not form.key.data:
            form.key.data = secrets.token_urlsafe(16)
        with act(flash_error=False) as outcome:
            try:
                delivery = medicine.register(hospital, _registration(form), by=current_user, key=form.key.data)
            except medicine.DuplicatePrescription as refusal:
                duplicate = True  # the form now offers "register anyway"
                form.prescription_number.errors = [str(refusal)]
                raise
            except medicine.PrescriptionInFlight as refusal:
                form.confirm_duplicate.data = False  # still on its way: no "register anyway" to tick
                form.prescription_number.errors = [str(refusal)]
                raise
        if outcome.ok:
            flash(
                _("%(ref)s registered for %(name)s. The patient gets the link by SMS.", ref=delivery.reference,
                  name=delivery.patient_name),
                "success",
            )  # fmt: skip
            return redirect(url_for("medicine.rsud") + f"#delivery-{delivery.id}")
        if not form.prescription_number.errors:  # the field shows it, and the summary links there
            error = outcome.error
    status = 422 if request.method == "POST" else 200
    return render("medicine/new.html", form=form, hospital=hospital, error=error, duplicate=duplicate, status=status)


@bp.get("/rsud/deliveries/<int:delivery_id>")
@role_required(Role.PHARMACIST)
def detail(delivery_id: int):
    delivery = _my_delivery(delivery_id)
    with act():
        medicine.view_personal(delivery, by=current_user)
    payment = payment_for("medicine_delivery", delivery.id)
    return render(
        "medicine/detail.html",
        delivery=delivery,
        courier=medicine.courier_delivery(delivery),
        payment=payment,
        hold=HoldForm(),
        cancel=CancelForm(),
    )


# verb name in the URL -> (service verb, message once done)
MOVES = {
    "preparing": (medicine.start_preparing, lambda: _("%(ref)s: being prepared.")),
    "ready": (medicine.mark_ready, lambda: _("%(ref)s is ready: a trained courier is called; the patient gets the PIN when the courier sets out.")),
    "resume": (medicine.resume, lambda: _("%(ref)s: being prepared again.")),
    "returned": (medicine.confirm_returned, lambda: _("%(ref)s: bags back at the pharmacy.")),
    "resend": (medicine.resend, lambda: _("%(ref)s is sent again with a new PIN.")),
    "courier": (medicine.call_courier_again, lambda: _("%(ref)s: a courier is called again.")),
    "collect": (medicine.collect_at_hospital, lambda: _("%(ref)s waits at the post; the patient is told.")),
}  # fmt: skip


def _back(delivery: MedicineDelivery):
    target = request.form.get("next")
    if target == "detail":
        return redirect(url_for("medicine.detail", delivery_id=delivery.id))
    return redirect(url_for("medicine.rsud") + f"#delivery-{delivery.id}")


@bp.post("/rsud/deliveries/<int:delivery_id>/<verb>")
@role_required(Role.PHARMACIST)
def move(delivery_id: int, verb: str):
    delivery = _my_delivery(delivery_id)
    if verb == "hold":
        form = HoldForm()
        if form.validate_on_submit():
            with act(success=_("%(ref)s is on hold.", ref=delivery.reference)):
                medicine.put_on_hold(delivery, by=current_user, reason=form.reason.data)
        return _back(delivery)
    if verb == "cancel":
        form = CancelForm()
        if form.validate_on_submit():
            with act(success=_("%(ref)s is cancelled; the patient is told.", ref=delivery.reference)):
                medicine.cancel(delivery, by=current_user, reason=form.reason.data)
        else:
            flash(_("Say why %(ref)s is cancelled.", ref=delivery.reference), "error")
        return _back(delivery)
    if verb not in MOVES:
        abort(404)
    service_verb, message = MOVES[verb]
    if EmptyForm().validate_on_submit():
        with act(success=message() % {"ref": delivery.reference}):
            service_verb(delivery, by=current_user)
    return _back(delivery)


# --- admin: hospitals and pharmacists ----------------------------------------------------------


@bp.get("/admin/hospitals")
@role_required(Role.ADMIN)
def admin_hospitals():
    hospitals = medicine.hospitals()
    form = PharmacistForm()
    form.hospital_id.choices = [(h.id, h.name) for h in hospitals]
    contracts = {
        h.id: ContractForm(gosend_trained_contract=h.gosend_trained_contract, prefix=f"h{h.id}") for h in hospitals
    }
    return render(
        "medicine/admin_hospitals.html",
        hospitals=hospitals,
        form=form,
        contracts=contracts,
        remove=EmptyForm(),
        figures=medicine.figures(),
        views=medicine.recent_views(),
        audit_details=AUDIT_DETAILS,
    )


@bp.post("/admin/hospitals/<int:hospital_id>/contract")
@role_required(Role.ADMIN)
def admin_contract(hospital_id: int):
    hospital = db.get_or_404(Hospital, hospital_id)
    form = ContractForm(prefix=f"h{hospital.id}")
    if form.validate_on_submit():
        with act(success=_("%(hospital)s saved.", hospital=hospital.name)):
            medicine.set_gosend_contract(hospital, form.gosend_trained_contract.data, by=current_user)
    return redirect(url_for("medicine.admin_hospitals"))


@bp.post("/admin/hospitals/pharmacists")
@role_required(Role.ADMIN)
def admin_assign():
    form = PharmacistForm()
    form.hospital_id.choices = [(h.id, h.name) for h in medicine.hospitals()]
    if form.validate_on_submit():
        user = find_by_email(form.email.data)
        hospital = db.session.get(Hospital, form.hospital_id.data)
        if user is None or hospital is None:
            flash(_("No account with that email. The pharmacist registers first."), "error")
        else:
            with act(success=_("%(name)s works at %(hospital)s now.", name=user.name, hospital=hospital.name)):
                medicine.assign_pharmacist(user, hospital, by=current_user)
    return redirect(url_for("medicine.admin_hospitals"))


@bp.post("/admin/hospitals/pharmacists/<int:assignment_id>/remove")
@role_required(Role.ADMIN)
def admin_unassign(assignment_id: int):
    row = db.get_or_404(HospitalPharmacist, assignment_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("%(name)s is no longer a pharmacist here.", name=row.user.name)):
            medicine.unassign_pharmacist(row.user, by=current_user)
    return redirect(url_for("medicine.admin_hospitals"))
