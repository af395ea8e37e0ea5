"""What everyone sees: the packages, and a package's departures on a night."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.database import utcnow
from portal.htmx import render
from portal.maps import services as maps
from portal.maps.geocoder import in_banyuwangi
from portal.rides import bp
from portal.rides import services as rides
from portal.rides.forms import BookingForm, WaitlistForm
from portal.rides.models import RidePackage


@bp.get("")
def packages():
    now = utcnow()
    return render(
        "rides/packages.html",
        packages=rides.packages(),
        closures=rides.current_closures(now),
        night=rides.next_bookable_night(now),
    )


@bp.get("/<package>")
def package(package: str):
    found = rides.package_by_slug(package)
    if found is None:
        abort(404)
    return package_page(found, request.args.get("date"))


def package_page(
    package: RidePackage,
    night_value: str | None,
    *,
    form: BookingForm | None = None,
    status: int = 200,
    full: str | None = None,
) -> Response:
    """The night's departures with the booking form; a refused booking comes back here with its form."""
    now = utcnow()
    night = rides.parse_night(night_value) if night_value else rides.next_bookable_night(now)
    closures = rides.current_closures(now)
    problem = None
    if night is None:
        problem = _("Choose a date like 2026-12-14.")
        night = rides.next_bookable_night(now)
    else:
        try:
            rides.check_night(night, now=now, closures=closures)
        except rides.RideError as error:
            problem = str(error)
    customer = current_user if current_user.is_authenticated else None
    departures = [] if problem else rides.departures(package, night, now=now, customer=customer)
    waiting = rides.my_waitlist(customer, night) if customer and not problem else None
    if form is None:
        form = BookingForm(formdata=None)
        # The night picker carries what the tourist typed and pinned, so changing the date loses
        # nothing; ?saved=<id> fills one of their saved addresses (from a food checkout: "Homestay").
        form.pickup_address.data = (request.args.get("pickup_address") or "")[:300] or None
        pin = (request.args.get("latitude", type=float), request.args.get("longitude", type=float))
        if form.pickup_address.data and None not in pin and in_banyuwangi(*pin):
            form.latitude.data, form.longitude.data = pin
            form.pin_for.data = (request.args.get("pin_for") or "")[:300]
        saved = maps.saved_address(customer, request.args.get("saved", type=int)) if customer else None
        if saved is not None:
            form.pickup_address.data = saved.address[:300]
            form.latitude.data, form.longitude.data = saved.lat, saved.lng
            form.pin_for.data = saved.address[:300]  # the pin is this address's: another one typed drops it
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
        offer=waiting if waiting is not None and waiting.offer_open(now) else None,
        waiting=waiting,
        position=rides.waitlist_position,
        closures=closures,
        cutoff=rides.cutoff_at(night),
        hold_minutes=rides.hold_minutes(),
        saved=maps.saved_addresses(customer) if customer and departures else [],
    )
