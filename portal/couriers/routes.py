"""HTTP for couriers: the customer's tracking page, the provider webhook, the courier workspace,
the driver application and the admin's verification."""

from __future__ import annotations

import logging
import time

import click
from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.couriers import bp, providers, services
from portal.couriers.contract import WebhookRejected
from portal.couriers.forms import DriverApplicationForm, HandoverForm, NotDeliveredForm, RejectForm
from portal.couriers.models import Delivery, DeliveryStatus, DriverProfile, DriverStatus
from portal.couriers.photos import BadPhoto, PhotoTooLarge, delete_photo, photo_path, save_photo
from portal.couriers.services import CourierError
from portal.database import serialized
from portal.extensions import csrf, db, limiter
from portal.formatting import rupiah
from portal.htmx import not_modified, render, wants_fragment, with_etag
from portal.jobs import enqueue

log = logging.getLogger(__name__)


@bp.get("/deliveries/<int:delivery_id>")
@login_required
def delivery(delivery_id: int):
    """The customer's own view of one delivery; the tracking block polls this same URL."""
    found = db.session.get(Delivery, delivery_id)
    ensure(found is not None and found.customer_id == current_user.id)
    # The page and its polled fragment are different bodies: never answer one with the other's 304.
    poll_etag = services.tracking_etag(found, str(get_locale()), "fragment")
    etag = poll_etag if wants_fragment() else services.tracking_etag(found, str(get_locale()), "page")
    cached = not_modified(etag)
    if cached is not None:
        return cached
    return with_etag(render("couriers/delivery.html", "tracking", delivery=found, poll_etag=poll_etag), etag)


@bp.post("/webhooks/couriers/<provider>")
@csrf.exempt
def webhook(provider: str):
    courier = providers.get(provider)
    if courier is None:
        abort(404)
    try:
        updates = courier.parse_webhook(request)
    except WebhookRejected as exc:
        log.info("courier webhook from %s rejected: %s", provider, exc)
        return jsonify(error=str(exc)), exc.status
    # Authenticated and readable: acknowledge now, apply in a job (after this commit, or on RQ).
    if updates:
        enqueue(services.apply_updates, courier.name, [services.update_to_dict(u) for u in updates])
    db.session.commit()
    return jsonify(received=len(updates)), 202


# --- the courier workspace ---------------------------------------------------------------------


def _workspace_context() -> dict:
    profile = services.driver_profile(current_user)
    verified = profile is not None and profile.verified
    earned, jobs_done = services.earnings_today(current_user)
    return {
        "profile": profile,
        "open_jobs": services.open_jobs_for(profile) if verified and profile.online else [],
        "my_jobs": services.my_jobs(current_user) if verified else [],
        "earned": earned,
        "jobs_done": jobs_done,
        "form": EmptyForm(),
    }


@bp.get("/courier")
@role_required(Role.DRIVER)
def workspace():
    context = _workspace_context()
    # The open-jobs list polls: answer 304 while nothing in it changed.
    profile = context["profile"]
    context["poll_etag"] = etag = services.tracking_etag(
        None,
        str(get_locale()),
        "fragment",
        profile.online if profile else None,
        [(job.id, job.updated_at.isoformat()) for job in context["open_jobs"]],
    )
    if not wants_fragment():
        return render("couriers/workspace.html", "open_jobs", **context)
    cached = not_modified(etag)
    if cached is not None:
        return cached
    return with_etag(render("couriers/workspace.html", "open_jobs", **context), etag)


@bp.post("/courier/online")
@role_required(Role.DRIVER)
def toggle_online():
    profile = services.driver_profile(current_user)
    if profile is None:
        return redirect(url_for("couriers.apply"))
    if EmptyForm().validate_on_submit():
        online = request.form.get("online") == "1"
        try:
            services.set_online(profile, online)
        except CourierError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("You are online: new jobs appear below.") if online else _("You are offline."), "success")
    return redirect(url_for("couriers.workspace"))


def _job_or_404(delivery_id: int, *, lock: bool = False) -> Delivery:
    """POST routes pass lock=True: the row stays locked (PostgreSQL) until the route commits, so a
    double submit waits for the first and then sees the move already made."""
    delivery = services.load_locked(delivery_id) if lock else db.session.get(Delivery, delivery_id)
    ensure(delivery is not None)
    return delivery


def _job_page(
    delivery: Delivery,
    *,
    mine: bool,
    handover: HandoverForm | None = None,
    not_delivered: NotDeliveredForm | None = None,
    status: int = 200,
):
    """A job as a driver sees it: the drop-off (address, phone, receivers) only for its own
    courier, until the job is over; before that, the area and the distance."""
    return render(
        "couriers/job.html",
        delivery=delivery,
        mine=mine,
        show_dropoff=mine and not delivery.final,
        form=EmptyForm(),
        handover=handover or HandoverForm.for_delivery(delivery),
        not_delivered=not_delivered or NotDeliveredForm(formdata=None),
        status=status,
    )


@bp.get("/courier/jobs/<int:delivery_id>")
@role_required(Role.DRIVER)
def job(delivery_id: int):
    delivery = _job_or_404(delivery_id)
    mine = delivery.courier_id == current_user.id
    if not mine:
        # Other drivers may look at a job they could take, without the drop-off details.
        ensure(services.may_take(services.verified_driver(current_user), delivery))
    return _job_page(delivery, mine=mine)


@bp.post("/courier/jobs/<int:delivery_id>/accept")
@role_required(Role.DRIVER)
def accept(delivery_id: int):
    delivery = _job_or_404(delivery_id, lock=True)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("couriers.workspace"))
    try:
        services.accept_job(delivery, driver=current_user)
    except CourierError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("couriers.workspace"))
    db.session.commit()
    flash(_("The job is yours. Go to the pickup."), "success")
    return redirect(url_for("couriers.job", delivery_id=delivery.id))


# Where the courier stands at the door: "could not deliver" here asks why.
HANDOVER_STATUSES = frozenset({DeliveryStatus.PICKED_UP, DeliveryStatus.DELIVERING, DeliveryStatus.ON_HOLD})

COURIER_BUTTONS = {
    DeliveryStatus.PICKING_UP: _l("On my way to pick up"),
    DeliveryStatus.PICKED_UP: _l("Picked up"),
    DeliveryStatus.DELIVERING: _l("On my way to the recipient"),
    DeliveryStatus.FAILED: _l("Could not deliver"),
    DeliveryStatus.RETURNED: _l("Brought it back"),
}


@bp.post("/courier/jobs/<int:delivery_id>/status")
@role_required(Role.DRIVER)
def move(delivery_id: int):
    delivery = _job_or_404(delivery_id, lock=True)
    ensure(delivery.courier_id == current_user.id)
    status = request.form.get("status", "")
    note = request.form.get("note", "")[:300]
    if status == DeliveryStatus.FAILED and delivery.status in HANDOVER_STATUSES:
        # At the door: why it failed, from a fixed list (the origin's office acts on it).
        not_delivered = NotDeliveredForm()
        if not not_delivered.validate_on_submit():
            return _job_page(delivery, mine=True, not_delivered=not_delivered, status=422)
        note = not_delivered.reason.data
    if EmptyForm().validate_on_submit() and status in {s.value for s in COURIER_BUTTONS}:
        try:
            services.mark(delivery, DeliveryStatus(status), by=current_user, note=note)
        except CourierError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Saved: %(status)s.", status=delivery.status.label), "success")
    return redirect(url_for("couriers.job", delivery_id=delivery.id))


def _pin_key() -> str:
    return f"courier-pin:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


@bp.post("/courier/jobs/<int:delivery_id>/deliver")
@limiter.limit("10 per minute", key_func=_pin_key)
@role_required(Role.DRIVER)
def deliver(delivery_id: int):
    delivery = _job_or_404(delivery_id, lock=True)
    ensure(delivery.courier_id == current_user.id)
    form = HandoverForm.for_delivery(delivery)
    if not form.validate_on_submit():
        if form.errors.keys() <= {"csrf_token"}:
            return redirect(url_for("couriers.job", delivery_id=delivery.id))
        return _job_page(delivery, mine=True, handover=form, status=422)
    try:
        services.mark(
            delivery,
            DeliveryStatus.DELIVERED,
            by=current_user,
            pin=form.pin.data if form.pin else None,
            receiver=form.receiver.data if form.receiver else None,
            collected=form.collected.data if form.collected else None,
        )
    except CourierError as exc:
        db.session.commit()  # a wrong PIN counts even though the move failed
        if form.pin:
            form.pin.errors = [str(exc)]
        else:
            flash(str(exc), "error")  # no PIN field to show it under
        return _job_page(delivery, mine=True, handover=form, status=422)
    db.session.commit()
    flash(_("Delivered. Thank you! %(fee)s added to today's earnings.", fee=rupiah(delivery.fee)), "success")
    return redirect(url_for("couriers.workspace"))


# --- applying as a driver ----------------------------------------------------------------------


@bp.route("/courier/apply", methods=["GET", "POST"])
@login_required
def apply():
    profile = services.driver_profile(current_user)
    if profile is not None and profile.status != DriverStatus.REJECTED:
        return render("couriers/apply.html", profile=profile, form=None)
    form = DriverApplicationForm()
    if form.validate_on_submit():
        old_photo = profile.photo if profile is not None else None
        try:
            photo = save_photo(form.photo.data.stream)
        except PhotoTooLarge:
            form.photo.errors = [_("This photo has too many pixels. Send a picture of at most 24 megapixels.")]
        except BadPhoto:
            form.photo.errors = [_("This photo cannot be used. Send a JPEG, PNG or WebP picture of up to 5 MB.")]
        else:
            try:
                services.apply_as_driver(
                    current_user,
                    nik_value=form.nik.data,
                    ktp_address=form.ktp_address.data,
                    vehicle=form.vehicle.data,
                    plate=form.plate.data,
                    photo=photo,
                    languages=form.languages.data,
                    medicine_trained=form.medicine_trained.data,
                )
            except CourierError as exc:
                db.session.rollback()
                delete_photo(photo)  # nothing refers to it
                flash(str(exc), "error")
            else:
                try:
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    delete_photo(photo)
                    raise
                if photo and old_photo and old_photo != photo:
                    delete_photo(old_photo)  # the rejected application's photo is not kept
                flash(_("Thank you! An officer will check your application and tell you."), "success")
                return redirect(url_for("couriers.apply"))
    return render("couriers/apply.html", profile=profile, form=form, status=422 if form.errors else 200)


# --- admin: driver verification ----------------------------------------------------------------

ADMIN_PER_PAGE = 20


@bp.get("/admin/drivers")
@role_required(Role.ADMIN)
def admin_drivers():
    status = request.args.get("status", DriverStatus.PENDING.value)
    if status not in {s.value for s in DriverStatus}:
        status = DriverStatus.PENDING.value
    stmt = (
        select(DriverProfile)
        .where(DriverProfile.status == DriverStatus(status))
        .order_by(DriverProfile.applied_at.desc(), DriverProfile.id.desc())
    )
    page = db.paginate(stmt, per_page=ADMIN_PER_PAGE, error_out=False)
    return render("couriers/admin_drivers.html", page=page, selected=status, statuses=list(DriverStatus))


def _profile_or_404(profile_id: int) -> DriverProfile:
    profile = db.session.get(DriverProfile, profile_id)
    ensure(profile is not None)
    return profile


def _driver_page(
    profile: DriverProfile, *, full_nik: str | None = None, reject: RejectForm | None = None, status: int = 200
):
    """One admin page for a driver's application: shown, with the NIK revealed, or with a rejection to fix."""
    return render(
        "couriers/admin_driver.html",
        profile=profile,
        full_nik=full_nik,
        form=EmptyForm(),
        reject=reject or RejectForm(),
        status=status,
    )


@bp.get("/admin/drivers/<int:profile_id>")
@role_required(Role.ADMIN)
def admin_driver(profile_id: int):
    profile = _profile_or_404(profile_id)
    return _driver_page(profile)


@bp.post("/admin/drivers/<int:profile_id>/nik")
@role_required(Role.ADMIN)
def admin_reveal_nik(profile_id: int):
    profile = _profile_or_404(profile_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("couriers.admin_driver", profile_id=profile.id))
    full_nik = services.reveal_nik(profile, viewer=current_user)
    db.session.commit()
    response = _driver_page(profile, full_nik=full_nik)
    response.cache_control.no_store = True
    return response


@bp.get("/admin/drivers/<int:profile_id>/photo")
@role_required(Role.ADMIN)
def admin_driver_photo(profile_id: int):
    profile = _profile_or_404(profile_id)
    path = photo_path(profile.photo or "")
    ensure(path is not None)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.cache_control.private = True
    return response


@bp.post("/admin/drivers/<int:profile_id>/verify")
@role_required(Role.ADMIN)
def admin_verify(profile_id: int):
    profile = _profile_or_404(profile_id)
    if EmptyForm().validate_on_submit():
        services.verify_driver(profile, by=current_user)
        db.session.commit()
        flash(_("%(name)s is now a verified driver.", name=profile.user.name), "success")
    return redirect(url_for("couriers.admin_drivers"))


@bp.post("/admin/drivers/<int:profile_id>/reject")
@role_required(Role.ADMIN)
def admin_reject(profile_id: int):
    profile = _profile_or_404(profile_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _driver_page(profile, reject=form, status=422)
    try:
        services.reject_driver(profile, by=current_user, reason=form.reason.data)
    except CourierError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("couriers.admin_driver", profile_id=profile_id))
    db.session.commit()
    flash(_("The application of %(name)s was rejected; they have been told why.", name=profile.user.name), "success")
    return redirect(url_for("couriers.admin_drivers"))


@bp.app_errorhandler(CourierError)
def refused(exc: CourierError):
    """A courier rule refused a change started on another domain's page (e.g. removing the DRIVER
    role from a user who still has jobs): say why and go back, instead of a server error."""
    db.session.rollback()
    flash(str(exc), "error")
    target = request.referrer or "/"
    return redirect(target if target.startswith(request.host_url) or target.startswith("/") else "/")


@bp.app_template_global()
def courier_button(status: str) -> str:
    return str(COURIER_BUTTONS[DeliveryStatus(status)])


# --- CLI ---------------------------------------------------------------------------------------


@bp.cli.command("sweep")
@click.option("--every", type=float, default=0, help="Repeat every N seconds (0: once).")
def sweep_command(every: float) -> None:
    """Run due dispatch retries and mark jobs nobody took as no_driver (cron, or --every)."""
    while True:
        with serialized():
            result = services.sweep()
            db.session.commit()
        click.echo(f"retried {result['retried']}, no driver {result['no_driver']}")
        if not every:
            return
        time.sleep(every)


@bp.cli.command("simulate")
@click.option("--every", type=float, default=5.0, help="Seconds between steps.")
@click.option("--steps", type=int, default=0, help="Stop after N steps (0: run until Ctrl+C).")
def simulate_command(every: float, steps: int) -> None:
    """Move open local deliveries one step forward each round, with the demo drivers."""
    done = 0
    while True:
        with serialized():
            moved = services.simulate_step()
            db.session.commit()
        click.echo(f"moved {moved} deliveries")
        done += 1
        if steps and done >= steps:
            return
        time.sleep(every)


# --- admin: deliveries that need a person ------------------------------------------------------


@bp.get("/admin/deliveries")
@role_required(Role.ADMIN)
def admin_deliveries():
    """Locked PIN handovers, jobs nobody took, and jobs whose provider keeps failing."""
    stmt = (
        select(Delivery)
        .where(
            or_(
                Delivery.pin_locked.is_(True),
                Delivery.status.in_([DeliveryStatus.NO_DRIVER, DeliveryStatus.ON_HOLD]),
                Delivery.retry_at.is_not(None),
                services.stuck_clause(),
            )
        )
        .where(Delivery.status.not_in([s for s in DeliveryStatus if s.final]))
        .order_by(Delivery.updated_at.desc())
    )
    page = db.paginate(stmt, per_page=ADMIN_PER_PAGE, error_out=False)
    return render("couriers/admin_deliveries.html", page=page, form=EmptyForm(), stuck_before=services.stuck_cutoff())


@bp.post("/admin/deliveries/<int:delivery_id>/unlock")
@role_required(Role.ADMIN)
def admin_unlock_pin(delivery_id: int):
    delivery = _job_or_404(delivery_id, lock=True)
    if EmptyForm().validate_on_submit() and delivery.pin_locked:
        services.unlock_pin(delivery, by=current_user)
        db.session.commit()
        flash(_("The courier of delivery %(id)s may enter the PIN again.", id=delivery.id), "success")
    return redirect(url_for("couriers.admin_deliveries"))


@bp.post("/admin/deliveries/<int:delivery_id>/redispatch")
@role_required(Role.ADMIN)
def admin_redispatch(delivery_id: int):
    delivery = _job_or_404(delivery_id, lock=True)
    if EmptyForm().validate_on_submit():
        try:
            services.redispatch(delivery, by=current_user)
        except CourierError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Delivery %(id)s is looking for a courier again.", id=delivery.id), "success")
    return redirect(url_for("couriers.admin_deliveries"))


@bp.app_template_filter("km")
def km(value: float | None) -> str:
    """4,6 km in Indonesian, 4.6 km in English."""
    return "" if value is None else f"{format_decimal(value, format='#,##0.0')} km"
