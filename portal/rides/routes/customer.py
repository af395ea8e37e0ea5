"""What a signed-in tourist does: book a seat, pay, follow the ride, cancel, wait for a seat."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import OperationalError

from portal.accounts.access import ensure, phone_verified_required
from portal.accounts.forms import EmptyForm
from portal.actions import act
from portal.couriers import services as couriers
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import rupiah
from portal.htmx import not_modified, render, with_etag
from portal.payments import services as payments
from portal.payments.models import Payment
from portal.payments.services import register_other_way
from portal.rides import bp
from portal.rides import services as rides
from portal.rides.forms import BookingForm, WaitlistForm
from portal.rides.models import BookingStatus, RideBooking, RideDeparture, RidePackage, WaitlistEntry
from portal.rides.routes.public import package_page

TRACKING_FROM = timedelta(hours=6)  # the booking page follows the driver from this long before pick-up
UNKNOWN_PACKAGE = _l("We do not know that ride package. Choose one from the list.")
NO_CARD_WITHOUT_JS = _l(
    "Rides are paid by card, and the card page needs JavaScript. Turn JavaScript on to book: no seat was held."
)


def _posted_package(form: BookingForm | WaitlistForm) -> RidePackage | None:
    """The package a booking or waitlist form names; None, with the message flashed, if unknown."""
    package = rides.package_by_slug(form.package.data or "")
    if package is None:
        flash(str(UNKNOWN_PACKAGE), "error")
    return package


def _resolve(form: BookingForm | WaitlistForm) -> tuple[RidePackage, RideDeparture, date]:
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
@phone_verified_required
def book():
    form = BookingForm()
    package = _posted_package(form)
    if package is None:
        return redirect(url_for("rides.packages"))
    if not form.validate_on_submit():
        return package_page(package, form.date.data, form=form, status=422)
    if request.form.get("js") == "off":
        # Sent only from a <noscript> field: this browser cannot run the card page, and a ride is
        # paid by card only, so a hold would keep a seat from others for nothing.
        form.form_errors.append(NO_CARD_WITHOUT_JS)
        return package_page(package, form.date.data, form=form, status=422)
    full = None
    # The seat is held once this commits; the night's lock is released before the card processor is asked.
    with act(flash_error=False) as outcome:
        try:
            package, departure, night = _resolve(form)
            booking = rides.book_ride(
                current_user,
                package=package,
                departure=departure,
                night=night,
                pickup_address=form.pickup_address.data,
                latitude=form.lat,
                longitude=form.lng,
                token=form.token.data or secrets.token_urlsafe(16),
            )
        except rides.RideFull as error:
            full = str(error)  # the page offers the waitlist instead of a form error
            raise
    if full is not None:
        return package_page(package, form.date.data, form=form, status=409, full=full)
    if outcome.error is not None:
        form.form_errors.append(outcome.error)
        return package_page(package, form.date.data, form=form, status=422)
    return _go_pay(booking)


def _go_pay(booking: RideBooking) -> Response:
    if booking.state != BookingStatus.AWAITING_PAYMENT:
        return redirect(url_for("rides.booking", booking_id=booking.id))
    with act() as outcome:
        pay_url = rides.start_payment(booking)
    return redirect(pay_url if outcome.ok else url_for("rides.booking", booking_id=booking.id))


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
    etag = couriers.tracking_etag(delivery, booking.status, booking.updated_at.isoformat(), booking.refunded_amount)
    cached = not_modified(etag)
    if cached is not None:
        return cached
    tracking = booking.state in (BookingStatus.DRIVER_ON_THE_WAY, BookingStatus.RIDING) or (
        booking.state == BookingStatus.CONFIRMED and now >= booking.pickup_at - TRACKING_FROM
    )
    response = render(
        "rides/booking.html",
        "live",
        booking=booking,
        delivery=delivery,
        tracking=tracking,
        profile=rides.driver_profile(booking),
        payment=rides.payment_of(booking),
        closure=rides.closure_of(booking),
        refund_now=rides.refund_due(booking, now=now),
        full_refund_until=booking.pickup_at - timedelta(hours=24),
        now=now,
        cancel_form=EmptyForm(formdata=None),
        poll_etag=etag,
    )
    return with_etag(response, etag)


def _sync_payment(booking: RideBooking) -> None:
    """Coming back from the card page: pull the payment's state (it confirms the booking once paid)."""
    payment = rides.payment_of(booking)
    if payment is None:
        return
    try:
        # A refusal (or a busy database) is not this page's news: the webhook or the next visit brings it.
        with act(flash_error=False):
            payments.sync_payment(payment)
    except OperationalError:
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


@register_other_way(rides.PAYABLE)
def _release_instead(payment: Payment) -> tuple[str, str] | None:
    """A ride is paid by card only: the way out of its card page is giving the held seat back."""
    booking = db.session.get(RideBooking, payment.payable_id)
    if booking is None or booking.state != BookingStatus.AWAITING_PAYMENT:
        return None
    return _("Give the seat back (nothing is charged)"), url_for("rides.cancel", booking_id=booking.id)


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    booking = _own_booking(booking_id)
    if EmptyForm().validate_on_submit():
        held = booking.state == BookingStatus.AWAITING_PAYMENT
        with act() as outcome:
            refunded = rides.cancel_booking(booking, by=current_user)
        if outcome.ok and held:
            flash(_("The seat is given back. Nothing was charged."), "success")
        elif outcome.ok and refunded:
            flash(_("Your ride is cancelled. We refunded %(amount)s to your card.", amount=rupiah(refunded)), "success")
        elif outcome.ok:
            flash(_("Your ride is cancelled."), "success")
    return redirect(url_for("rides.booking", booking_id=booking.id))


@bp.post("/waitlist")
@login_required
@phone_verified_required
def join_waitlist():
    form = WaitlistForm()
    package = _posted_package(form)
    if package is None:
        return redirect(url_for("rides.packages"))
    if form.validate_on_submit():
        with act() as outcome:
            package, departure, night = _resolve(form)
            entry = rides.join_waitlist(current_user, package=package, departure=departure, night=night)
        if outcome.ok:
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
        with act(success=_("You left the waitlist.")):
            rides.leave_waitlist(entry)
    return redirect(url_for("rides.package", package=entry.package.slug, date=entry.night.isoformat()))
