"""Ride verbs: seats, holds, bookings, the waitlist, cancellations and route closures.

    from portal.rides import services as rides
    rides.book_ride(customer, package=..., departure=..., night=..., pickup_address=..., token=...)

Seat rule: on a night, every verified trail driver who marked themselves available is one seat;
a booking (paid, or an unpaid hold that has not run out) holds one driver, and an open waitlist
offer keeps one seat for the person it was offered to. Everything that reads-then-writes seats
locks the night's row first (seats.lock_night). Every booking's status change goes through
`workflow.move`. Verbs flush; the request or job commits.

The rooms, by what they hold: calendar (which nights are open), packages, seats (counting and
the night lock), waitlist, bookings (hold, payment, confirmation, cancellation), closures,
drivers, activity ("my activity" rows).
"""

from portal.rides.services import activity as activity
from portal.rides.services.bookings import (
    DRIVER_PATH,
    PAYABLE,
    book_ride,
    booking_path,
    cancel_booking,
    confirm_booking,
    delivery_of,
    driver_profile,
    payment_of,
    refund_due,
    start_payment,
)
from portal.rides.services.calendar import (
    check_night,
    closure_for,
    current_closures,
    cutoff_at,
    cutoff_time,
    hold_minutes,
    max_days_ahead,
    next_bookable_night,
    night_label,
    offer_minutes,
    parse_night,
    tonight,
)
from portal.rides.services.closures import close_route, closure_of, lift_closure
from portal.rides.services.drivers import (
    DRIVER_MOVES,
    availability,
    booked_nights,
    driver_move,
    driver_rides,
    require_trail_driver,
    set_availability,
    trail_profile,
)
from portal.rides.services.errors import RideError, RideFull
from portal.rides.services.packages import RESERVED_SLUGS, package_by_slug, packages, parse_times, save_package
from portal.rides.services.seats import Departure, departures, ensure_night, expire_holds, free_seats
from portal.rides.services.waitlist import (
    join_waitlist,
    leave_waitlist,
    my_waitlist,
    open_offer,
    refresh_offers,
    sweep,
    waitlist_position,
)

__all__ = [
    "DRIVER_MOVES",
    "DRIVER_PATH",
    "PAYABLE",
    "RESERVED_SLUGS",
    "Departure",
    "RideError",
    "RideFull",
    "availability",
    "book_ride",
    "booked_nights",
    "booking_path",
    "cancel_booking",
    "check_night",
    "close_route",
    "closure_for",
    "closure_of",
    "confirm_booking",
    "current_closures",
    "cutoff_at",
    "cutoff_time",
    "delivery_of",
    "departures",
    "driver_move",
    "driver_profile",
    "driver_rides",
    "ensure_night",
    "expire_holds",
    "free_seats",
    "hold_minutes",
    "join_waitlist",
    "leave_waitlist",
    "lift_closure",
    "max_days_ahead",
    "my_waitlist",
    "next_bookable_night",
    "night_label",
    "offer_minutes",
    "open_offer",
    "package_by_slug",
    "packages",
    "parse_night",
    "parse_times",
    "payment_of",
    "refresh_offers",
    "refund_due",
    "require_trail_driver",
    "save_package",
    "set_availability",
    "start_payment",
    "sweep",
    "tonight",
    "trail_profile",
    "waitlist_position",
]
