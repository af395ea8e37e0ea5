"""The courier's side: the workspace (online, open jobs, my jobs), one job and its moves, the
handover at the door, and applying as a driver."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.couriers import bp, services
from portal.couriers.contract import DeliveryStatus
from portal.couriers.forms import DriverApplicationForm, HandoverForm, NotDeliveredForm, PositionForm
from portal.couriers.models import Delivery, DriverStatus
from portal.couriers.photos import BadPhoto, PhotoTooLarge, delete_photo, save_photo
from portal.couriers.services import CourierError
from portal.extensions import db, limiter
from portal.formatting import rupiah
from portal.htmx import not_modified, render, wants_fragment, with_etag

S = DeliveryStatus
# Where the courier stands at the door: "could not deliver" here asks why.
HANDOVER_STATUSES = frozenset({S.PICKED_UP, S.DELIVERING, S.ON_HOLD})
COURIER_BUTTONS = {
    S.PICKING_UP: _l("On my way to pick up"),
    S.PICKED_UP: _l("Picked up"),
    S.DELIVERING: _l("On my way to the recipient"),
    S.FAILED: _l("Could not deliver"),
    S.RETURNED: _l("Brought it back"),
}

# What the courier is told after each step they press: the next thing to do, never the
# customer's wording ("on the way to you"). %(place)s: where they go next.
COURIER_SAVED = {
    S.PICKING_UP: _l("Saved: you are on your way to %(place)s."),
    S.PICKED_UP: _l("Picked up. Now take it to %(place)s."),
    S.DELIVERING: _l("Saved: you are on your way to %(place)s."),
    S.FAILED: _l("Saved as not delivered. Follow the job's instructions for what to bring back."),
    S.RETURNED: _l("Saved: brought back to %(place)s."),
}


def _saved_message(delivery: Delivery) -> str:
    status = DeliveryStatus(delivery.status)
    start, end = delivery.driver_ends(True)
    return str(COURIER_SAVED[status]) % {"place": start if status in (S.PICKING_UP, S.RETURNED) else end}


@bp.app_template_global()
def courier_button(status: str) -> str:
    return str(COURIER_BUTTONS[DeliveryStatus(status)])


def _workspace_context() -> dict:
    profile = services.driver_profile(current_user)
    verified = profile is not None and profile.verified
    my_jobs = services.my_jobs(current_user) if verified else []
    return {
        "profile": profile,
        "open_jobs": services.open_jobs_for(profile) if verified and profile.online else [],
        "my_jobs": my_jobs,
        "sharing": any(services.shares_position(job) for job in my_jobs),
        # Not for the open jobs' 10 s poll: the day is drawn on the full page only.
        "day": services.day_at_a_glance(current_user) if verified and not wants_fragment() else None,
        "form": EmptyForm(),
    }


@bp.get("/courier")
@login_required
def workspace():
    if not current_user.has_role(Role.DRIVER):
        # Not (yet) a driver: the page says where the application stands, or how to apply.
        profile = services.driver_profile(current_user)
        pending = profile if profile is not None and not profile.verified else None
        return render("couriers/workspace.html", profile=pending)
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
        with act(success=_("You are online: new jobs appear below.") if online else _("You are offline.")):
            services.set_online(profile, online)
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
    with act(success=_("The job is yours. Go to the pickup.")) as outcome:
        services.accept_job(delivery, driver=current_user)
    if not outcome.ok:
        return redirect(url_for("couriers.workspace"))
    return redirect(url_for("couriers.job", delivery_id=delivery.id))


@bp.post("/courier/jobs/<int:delivery_id>/status")
@role_required(Role.DRIVER)
def move(delivery_id: int):
    delivery = _job_or_404(delivery_id, lock=True)
    ensure(delivery.courier_id == current_user.id)
    status = request.form.get("status", "")
    note = request.form.get("note", "")[:300]
    if status == S.FAILED and delivery.status in HANDOVER_STATUSES:
        # At the door: why it failed, from a fixed list (the origin's office acts on it).
        not_delivered = NotDeliveredForm()
        if not not_delivered.validate_on_submit():
            return _job_page(delivery, mine=True, not_delivered=not_delivered, status=422)
        note = not_delivered.reason.data
    if EmptyForm().validate_on_submit() and status in {s.value for s in COURIER_BUTTONS}:
        with act() as outcome:
            services.mark(delivery, DeliveryStatus(status), by=current_user, note=note)
        if outcome.ok:
            flash(_saved_message(delivery), "success")
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
    # Not act(): a refused handover still changes something that must stay, the wrong PIN's
    # count (act would roll it back), so this route commits on refusal too.
    try:
        services.mark(
            delivery,
            S.DELIVERED,
            by=current_user,
            pin=form.pin.data if form.pin else None,
            receiver=form.receiver.data if form.receiver else None,
            collected=form.collected.data if form.collected else None,
        )
    except CourierError as exc:
        db.session.commit()
        if form.pin:
            form.pin.errors = [str(exc)]
        else:
            flash(str(exc), "error")  # no PIN field to show it under
        return _job_page(delivery, mine=True, handover=form, status=422)
    db.session.commit()
    flash(_("Delivered. Thank you! %(fee)s added to today's earnings.", fee=rupiah(delivery.fee)), "success")
    return redirect(url_for("couriers.workspace"))


def _position_key() -> str:
    return f"courier-position:{current_user.get_id()}:{request.view_args.get('delivery_id')}"


def _position_limit() -> str:
    return current_app.config["COURIER_POSITION_RATE_LIMIT"]


@bp.post("/courier/jobs/<int:delivery_id>/position")
@limiter.limit(_position_limit, key_func=_position_key)
@role_required(Role.DRIVER)
def position(delivery_id: int):
    """The phone's position during an open job (the workspace's script, at most every 15 s).
    204 stored; 409 the job is off the road (the script stops); 422 not a usable position."""
    delivery = _job_or_404(delivery_id)
    ensure(delivery.courier_id == current_user.id)
    form = PositionForm()
    if not form.validate_on_submit():
        return jsonify(error=" ".join(str(e) for errors in form.errors.values() for e in errors)), 422
    try:
        services.record_position(
            delivery, driver=current_user, lat=form.lat.data, lng=form.lng.data, accuracy=form.accuracy.data
        )
    except CourierError as exc:
        db.session.rollback()
        status = 409 if not services.shares_position(delivery) else 422
        return jsonify(error=str(exc), stop=status == 409), status
    db.session.commit()
    return "", 204


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
                with act(success=_("Thank you! An officer will check your application and tell you.")) as outcome:
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
            except Exception:
                db.session.rollback()
                delete_photo(photo)  # the commit failed: nothing refers to it
                raise
            if not outcome.ok:
                delete_photo(photo)  # refused: nothing refers to it
            else:
                if photo and old_photo and old_photo != photo:
                    delete_photo(old_photo)  # the rejected application's photo is not kept
                return redirect(url_for("couriers.apply"))
    return render("couriers/apply.html", profile=profile, form=form, status=422 if form.errors else 200)
