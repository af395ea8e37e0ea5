"""What a trail driver does: offer nights, and move tonight's ride along."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.couriers import services as couriers
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import WIB
from portal.htmx import render, wants_fragment
from portal.rides import bp
from portal.rides import services as rides
from portal.rides.forms import AvailabilityForm
from portal.rides.models import BookingStatus, RideBooking
from portal.rides.routes.customer import TRACKING_FROM

CALENDAR_NIGHTS = 14
# What the driver is told after a step: their next move, not the tourist's wording.
DRIVER_STEP_SAVED = {
    BookingStatus.DRIVER_ON_THE_WAY: _l("Saved: you are on your way to %(place)s. %(tourist)s has been told."),
    BookingStatus.RIDING: _l("Saved: %(tourist)s is on board. Ride safely to Paltuding."),
    BookingStatus.COMPLETED: _l("Ride finished. Thank you!"),
    BookingStatus.NO_SHOW: _l("Saved: %(tourist)s did not come."),
}


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
    closures = rides.current_closures(now)
    ride_list = rides.driver_rides(current_user, now=now) if profile else []
    return render(
        "rides/driver.html",
        "calendar",
        profile=profile,
        problem=problem,
        nights=nights,
        available=rides.availability(current_user, nights) if profile else set(),
        booked=rides.booked_nights(current_user, nights, now=now) if profile else {},
        closed={n for n in nights if rides.closure_for(n, among=closures) is not None},
        ride_list=ride_list,
        sharing=_sharing(ride_list, now) if not wants_fragment() else {},
        tonight=first,
        # After midnight the current night began yesterday evening: "last night", not "tonight".
        tonight_word=_("tonight") if now.astimezone(WIB).hour >= 12 else _("last night"),
        tonight_badge=_("Tonight") if now.astimezone(WIB).hour >= 12 else _("Last night"),
        now=now,
        form=EmptyForm(formdata=None),
        fragment=wants_fragment(),  # the calendar alone: it shows its own flashes
    )


def _sharing(ride_list: list[RideBooking], now) -> dict:
    """{booking id: its delivery} for the rides whose tourist is watching the driver come (the
    same window as the booking page's tracking): this page sends the phone's position for them."""
    coming = [
        ride
        for ride in ride_list
        if ride.state == BookingStatus.DRIVER_ON_THE_WAY
        or (ride.state == BookingStatus.CONFIRMED and now >= ride.pickup_at - TRACKING_FROM)
    ]
    deliveries = {ride.id: rides.delivery_of(ride) for ride in coming}
    return {ride_id: d for ride_id, d in deliveries.items() if d is not None and couriers.shares_position(d)}


@bp.post("/driver/availability")
@role_required(Role.DRIVER)
def set_availability():
    form = AvailabilityForm()
    night = rides.parse_night(form.night.data)
    if form.validate_on_submit() and night is not None:
        with act():
            rides.set_availability(current_user, night, form.available.data == "1")
    elif night is None:
        flash(_("Choose a date like 2026-12-14."), "error")
    return driver() if wants_fragment() else redirect(url_for("rides.driver"))


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
        saved = DRIVER_STEP_SAVED.get(to)
        words = {"tourist": booking.customer.name, "place": booking.pickup_address}
        with act(success=str(saved) % words if saved else None):
            rides.driver_move(booking, to, by=current_user)
    return redirect(url_for("rides.driver"))
