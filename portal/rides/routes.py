"""HTTP for rides: form -> service -> render. Every page works without JavaScript."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import WIB
from portal.htmx import not_modified, render, with_etag
from portal.rides import bp
from portal.rides import services as rides
from portal.rides.forms import AvailabilityForm, BookingForm, ClosureForm, PackageForm, WaitlistForm
from portal.rides.models import (
    BookingStatus,
    RideBooking,
    RideDeparture,
    RidePackage,
    RouteClosure,
    WaitlistEntry,
)

CALENDAR_NIGHTS = 14
TRACKING_FROM = timedelta(hours=6)  # the booking page follows the driver from this long before pick-up


@bp.app_template_filter("hm_wib")
def hm_wib(moment) -> str:
    """00:30 WIB: ride times in 24-hour form for everyone (12:30 AM invites a wrong night)."""
    return "" if moment is None else f"{moment.astimezone(WIB):%H:%M} WIB"


@bp.app_template_filter("pickup_wib")
def pickup_wib(moment) -> str:
    """Friday, 27 November 2026, 00:30 WIB: the date the pick-up really falls on, and the time."""
    from portal.formatting import long_date

    return "" if moment is None else f"{long_date(moment.astimezone(WIB).date())}, {hm_wib(moment)}"


# Language names as their speakers write them (a tourist reads "Basa Jawa", not "JV").
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English", "jv": "Basa Jawa", "osing": "Basa Using", "md": "Madura"}


@bp.app_template_filter("languages")
def languages(codes: str | list[str] | None) -> str:
    if isinstance(codes, str):
        codes = codes.split(",")
    return ", ".join(LANGUAGE_NAMES.get(c.strip().lower(), c.strip()) for c in codes or [] if c.strip())


def _customer():
    return current_user if current_user.is_authenticated else None


@bp.get("")
def packages():
    now = utcnow()
    return render(
        "rides/packages.html",
        packages=rides.packages(),
        closures=rides.current_closures(now),
        night=rides.next_bookable_night(now),
    )


def _package_page(
    package: RidePackage,
    night_value: str | None,
    *,
    form: BookingForm | None = None,
    status: int = 200,
    full: str | None = None,
):
    now = utcnow()
    night = rides.parse_night(night_value) if night_value else rides.next_bookable_night(now)
    problem = None
    if night is None:
        problem = _("Choose a date like 2026-12-14.")
        night = rides.next_bookable_night(now)
    else:
        try:
            rides.check_night(night, now=now)
        except rides.RideError as error:
            problem = str(error)
    customer = _customer()
    departures = [] if problem else rides.departures(package, night, now=now, customer=customer)
    if form is None:
        form = BookingForm(formdata=None)
        # The night picker carries what the tourist typed, so changing the date loses nothing.
        form.pickup_address.data = (request.args.get("pickup_address") or "")[:300] or None
    if not form.token.data:
        form.token.data = secrets.token_urlsafe(16)
    selected = request.values.get("departure", type=int) or (departures[0].id if departures else None)
    return render(
        "rides/package.html",
        "night",
        status=status,
        package=package,
        night=night,
        first_night=rides.tonight(now),
        last_night=rides.tonight(now) + timedelta(days=rides.max_days_ahead()),
        problem=problem,
        full=full,
        departures=departures,
        selected=selected,
        form=form,
        waitlist_form=WaitlistForm(formdata=None),
        offer=rides.open_offer(customer, night, now=now) if customer and not problem else None,
        waiting=rides.my_waitlist(customer, night) if customer and not problem else None,
        position=rides.waitlist_position,
        closures=rides.current_closures(now),
        cutoff=rides.cutoff_at(night),
        hold_minutes=rides.hold_minutes(),
    )


@bp.get("/<package>")
def package(package: str):
    found = rides.package_by_slug(package)
    if found is None:
        abort(404)
    return _package_page(found, request.args.get("date"))


UNKNOWN_PACKAGE = _l("We do not know that ride package. Choose one from the list.")


def _posted_package(form) -> RidePackage | None:
    """The package a booking or waitlist form names; None, with the message flashed, if unknown."""
    package = rides.package_by_slug(form.package.data or "")
    if package is None:
        flash(str(UNKNOWN_PACKAGE), "error")
    return package


def _resolve(form) -> tuple[RidePackage, RideDeparture, object]:
    """The package, departure and night a booking or waitlist form names, or RideError."""
    package = rides.package_by_slug(form.package.data or "")
    if package is None:
        raise rides.RideError(UNKNOWN_PACKAGE)
    try:
        departure_id = int(form.departure.data or "")
    except ValueError:
        departure_id = 0
    departure = db.session.get(RideDeparture, departure_id)
    if departure is None or departure.package_id != package.id or not departure.active:
        raise rides.RideError(_("That departure is not offered. Choose one of the listed pick-up times."))
    night = rides.parse_night(form.date.data)
    if night is None:
        raise rides.RideError(_("Choose a date like 2026-12-14."))
    return package, departure, night


@bp.post("/bookings")
@login_required
def book():
    form = BookingForm()
    package = _posted_package(form)
    if package is None:
        return redirect(url_for("rides.packages"))
    if not form.validate_on_submit():
        return _package_page(package, form.date.data, form=form, status=422)
    try:
        package, departure, night = _resolve(form)
        booking = rides.book_ride(
            current_user,
            package=package,
            departure=departure,
            night=night,
            pickup_address=form.pickup_address.data,
            latitude=form.latitude.data,
            longitude=form.longitude.data,
            token=form.token.data or secrets.token_urlsafe(16),
        )
    except rides.RideFull as full:
        db.session.rollback()
        return _package_page(package, form.date.data, form=form, status=409, full=str(full))
    except rides.RideError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _package_page(package, form.date.data, form=form, status=422)
    db.session.commit()  # the seat is held; the lock is released before talking to the card processor
    return _go_pay(booking)


def _go_pay(booking: RideBooking):
    if booking.state != BookingStatus.AWAITING_PAYMENT:
        return redirect(url_for("rides.booking", booking_id=booking.id))
    from portal.payments.services import PaymentError

    try:
        pay_url = rides.start_payment(booking)
        db.session.commit()
    except (PaymentError, rides.RideError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("rides.booking", booking_id=booking.id))
    return redirect(pay_url)


def _own_booking(booking_id: int) -> RideBooking:
    booking = db.session.get(RideBooking, booking_id)
    ensure(booking is not None and booking.customer_id == current_user.id)
    return booking


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int):
    booking = _own_booking(booking_id)
    now = utcnow()
    if booking.state == BookingStatus.AWAITING_PAYMENT and not request.if_none_match:
        _sync_payment(booking)
    delivery = rides.delivery_of(booking)
    from portal.couriers.services import tracking_etag

    etag = tracking_etag(delivery, booking.status, booking.updated_at.isoformat(), booking.refunded_amount)
    cached = not_modified(etag)
    if cached is not None:
        return cached
    tracking = booking.state in (BookingStatus.DRIVER_ON_THE_WAY, BookingStatus.RIDING) or (
        booking.state == BookingStatus.CONFIRMED and now >= booking.pickup_at - TRACKING_FROM
    )
    profile = None
    if booking.state not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.EXPIRED):
        from portal.couriers.models import DriverProfile

        profile = db.session.scalar(select(DriverProfile).where(DriverProfile.user_id == booking.driver_id))
    response = render(
        "rides/booking.html",
        "live",
        booking=booking,
        delivery=delivery,
        tracking=tracking,
        profile=profile,
        payment=rides.payment_of(booking),
        refund_now=rides.refund_due(booking, now=now),
        full_refund_until=booking.pickup_at - timedelta(hours=24),
        now=now,
        cancel_form=EmptyForm(formdata=None),
        poll_etag=etag,
    )
    return with_etag(response, etag)


def _sync_payment(booking: RideBooking) -> None:
    """Coming back from the card page: pull the payment's state (it confirms the booking once paid)."""
    from portal.payments.services import PaymentError, sync_payment

    payment = rides.payment_of(booking)
    if payment is None:
        return
    try:
        sync_payment(payment)
        db.session.commit()
    except (PaymentError, OperationalError):
        # The webhook (or the next visit) will bring the news; the page still shows.
        db.session.rollback()
    db.session.refresh(booking)


@bp.post("/bookings/<int:booking_id>/pay")
@login_required
def pay(booking_id: int):
    booking = _own_booking(booking_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("rides.booking", booking_id=booking.id))
    if booking.hold_expired(utcnow()):
        flash(_("Your hold ran out and the seat went back on sale. Book again if a seat is free."), "error")
        return redirect(url_for("rides.booking", booking_id=booking.id))
    return _go_pay(booking)


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    booking = _own_booking(booking_id)
    if EmptyForm().validate_on_submit():
        try:
            refunded = rides.cancel_booking(booking, by=current_user)
        except rides.RideError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            if refunded:
                from portal.formatting import rupiah

                flash(
                    _("Your ride is cancelled. We refunded %(amount)s to your card.", amount=rupiah(refunded)),
                    "success",
                )
            else:
                flash(_("Your ride is cancelled."), "success")
    return redirect(url_for("rides.booking", booking_id=booking.id))


@bp.post("/waitlist")
@login_required
def join_waitlist():
    form = WaitlistForm()
    package = _posted_package(form)
    if package is None:
        return redirect(url_for("rides.packages"))
    if form.validate_on_submit():
        try:
            package, departure, night = _resolve(form)
            entry = rides.join_waitlist(current_user, package=package, departure=departure, night=night)
        except rides.RideError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "You are number %(n)d on the waitlist. We will message you when a seat frees up.",
                    n=rides.waitlist_position(entry),
                ),
                "success",
            )
    return redirect(url_for("rides.package", package=package.slug, date=form.date.data))


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave_waitlist(entry_id: int):
    entry = db.session.get(WaitlistEntry, entry_id)
    ensure(entry is not None and entry.customer_id == current_user.id)
    if EmptyForm().validate_on_submit():
        rides.leave_waitlist(entry)
        db.session.commit()
        flash(_("You left the waitlist."), "success")
    return redirect(url_for("rides.package", package=entry.package.slug, date=entry.night.isoformat()))


# --- driver ----------------------------------------------------------------------------------


@bp.get("/driver")
@role_required(Role.DRIVER)
def driver():
    now = utcnow()
    profile = rides.trail_profile(current_user)
    problem = None
    if profile is None:
        try:
            rides.require_trail_driver(current_user)
        except rides.RideError as error:
            problem = str(error)
    first = rides.tonight(now)
    nights = [first + timedelta(days=n) for n in range(CALENDAR_NIGHTS)]
    return render(
        "rides/driver.html",
        "calendar",
        profile=profile,
        problem=problem,
        nights=nights,
        available=rides.availability(current_user, nights) if profile else set(),
        booked=rides.booked_nights(current_user, nights, now=now) if profile else {},
        closed={n for n in nights if rides.closure_for(n) is not None},
        ride_list=rides.driver_rides(current_user, now=now) if profile else [],
        tonight=first,
        now=now,
        form=EmptyForm(formdata=None),
    )


@bp.post("/driver/availability")
@role_required(Role.DRIVER)
def set_availability():
    form = AvailabilityForm()
    night = rides.parse_night(form.night.data)
    if form.validate_on_submit() and night is not None:
        try:
            rides.set_availability(current_user, night, form.available.data == "1")
        except rides.RideError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
    elif night is None:
        flash(_("Choose a date like 2026-12-14."), "error")
    return driver() if request.headers.get("HX-Request") else redirect(url_for("rides.driver"))


@bp.post("/driver/rides/<int:booking_id>/<step>")
@role_required(Role.DRIVER)
def driver_step(booking_id: int, step: str):
    booking = db.session.get(RideBooking, booking_id)
    ensure(booking is not None and booking.driver_id == current_user.id)
    try:
        to = BookingStatus(step)
    except ValueError:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            rides.driver_move(booking, to, by=current_user)
        except Exception as error:
            from portal.couriers.services import CourierError

            if not isinstance(error, rides.RideError | CourierError):
                raise
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Ride %(n)d: %(status)s.", n=booking.id, status=to.label), "success")
    return redirect(url_for("rides.driver"))


# --- admin -----------------------------------------------------------------------------------


@bp.route("/admin/closures", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_closures():
    form = ClosureForm()
    status = 200
    if form.validate_on_submit():
        try:
            _closure, affected = rides.close_route(
                first_night=form.first_night.data,
                last_night=form.last_night.data,
                reason_en=form.reason_en.data,
                reason_id=form.reason_id.data,
                by=current_user,
            )
        except rides.RideError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = 422
        else:
            db.session.commit()
            flash(
                _("The route is closed. %(n)d bookings were cancelled, refunded and notified.", n=len(affected)),
                "success",
            )
            return redirect(url_for("rides.admin_closures"))
    elif request.method == "POST":
        status = 422
    closures = db.paginate(
        select(RouteClosure).order_by(RouteClosure.first_night.desc(), RouteClosure.id.desc()),
        per_page=20,
        error_out=False,
    )
    return render(
        "rides/admin_closures.html", form=form, closures=closures, lift_form=EmptyForm(formdata=None), status=status
    )


@bp.post("/admin/closures/<int:closure_id>/lift")
@role_required(Role.ADMIN)
def lift_closure(closure_id: int):
    closure = db.get_or_404(RouteClosure, closure_id)
    if EmptyForm().validate_on_submit():
        rides.lift_closure(closure, by=current_user)
        db.session.commit()
        flash(_("The route is open again on those nights. Refunded bookings stay cancelled."), "success")
    return redirect(url_for("rides.admin_closures"))


@bp.get("/admin/packages")
@role_required(Role.ADMIN)
def admin_packages():
    return render("rides/admin_packages.html", packages=rides.packages(include_inactive=True))


def _fill_package_form(form: PackageForm, package: RidePackage) -> None:
    form.process(obj=package)
    form.departures.data = ", ".join(d.pickup_time.strftime("%H:%M") for d in package.active_departures)
    form.return_time.data = package.return_time.strftime("%H:%M") if package.return_time else ""


@bp.route("/admin/packages/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_new_package():
    return _package_editor(None)


@bp.route("/admin/packages/<int:package_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_package(package_id: int):
    return _package_editor(db.get_or_404(RidePackage, package_id))


def _package_editor(package: RidePackage | None):
    form = PackageForm()
    if request.method == "GET" and package is not None:
        _fill_package_form(form, package)
    status = 200
    if form.validate_on_submit():
        try:
            times = rides.parse_times(form.departures.data)
            back = rides.parse_times(form.return_time.data)[0] if form.return_time.data else None
            package = rides.save_package(
                package,
                departures=times,
                slug=form.slug.data,
                name_en=form.name_en.data,
                name_id=form.name_id.data,
                summary_en=form.summary_en.data or "",
                summary_id=form.summary_id.data or "",
                included_en=form.included_en.data or "",
                included_id=form.included_id.data or "",
                languages=form.languages.data,
                price=form.price.data,
                return_time=back,
                position=form.position.data or 0,
                active=form.active.data,
            )
        except rides.RideError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = 422
        else:
            db.session.commit()
            flash(_("Package “%(name)s” saved.", name=package.name), "success")
            return redirect(url_for("rides.admin_packages"))
    elif request.method == "POST":
        status = 422
    return render("rides/admin_package.html", form=form, package=package, status=status)


from portal.rides import cli  # noqa: E402, F401 - registers `flask rides sweep` on the blueprint
