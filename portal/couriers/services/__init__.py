"""Courier verbs: quote, request, dispatch (with retries and fallback), accept, mark, cancel.

They flush; the request or the job runner commits. Every status move goes through
`portal.workflow.move`, which writes the event row and announces it; `deliveries` answers by
sending `delivery_changed`, so the service that asked for the delivery (food, rides, documents,
medicine) moves its own order in the same transaction.

Callers import the package (`from portal.couriers import services as couriers`); the rooms:
deliveries (the record, locking, tracking, what follows a move), booking (quote, request,
cancel), dispatcher (providers, retries, sweep), updates (webhooks and pulls), workspace (the
local courier's jobs and handover), drivers (applications and the admin's decisions),
simulate (demo motion), activity ("my activity"), positions (the courier on the customer's map),
day (the courier's day at a glance).
"""

from portal.couriers.services import activity as activity
from portal.couriers.services.booking import cancel_delivery, quote, request_delivery
from portal.couriers.services.day import (
    CashForWarung,
    Day,
    day_at_a_glance,
    register_cash_source,
    register_rating_source,
)
from portal.couriers.services.deliveries import (
    TRACKED,
    CourierError,
    find_delivery,
    load_locked,
    lock,
    tracking_etag,
)
from portal.couriers.services.dispatcher import (
    dispatch,
    redispatch,
    stuck_clause,
    stuck_cutoff,
    sweep,
)
from portal.couriers.services.drivers import (
    apply_as_driver,
    driver_profile,
    may_see_photo,
    photo_owner,
    reject_driver,
    release_jobs,
    reveal_nik,
    verified_driver,
    verify_driver,
)
from portal.couriers.services.positions import (
    CourierOnMap,
    courier_on_map,
    forget_old_positions,
    record_position,
    shares_position,
)
from portal.couriers.services.simulate import simulate_step
from portal.couriers.services.updates import (
    apply_update,
    apply_updates,
    refresh_from_provider,
    update_to_dict,
)
from portal.couriers.services.workspace import (
    accept_job,
    mark,
    may_take,
    my_jobs,
    open_jobs_for,
    set_online,
    unlock_pin,
)

__all__ = [
    "TRACKED",
    "CashForWarung",
    "CourierError",
    "CourierOnMap",
    "Day",
    "accept_job",
    "apply_as_driver",
    "apply_update",
    "apply_updates",
    "cancel_delivery",
    "courier_on_map",
    "day_at_a_glance",
    "dispatch",
    "driver_profile",
    "find_delivery",
    "forget_old_positions",
    "load_locked",
    "lock",
    "mark",
    "may_see_photo",
    "may_take",
    "my_jobs",
    "open_jobs_for",
    "photo_owner",
    "quote",
    "record_position",
    "redispatch",
    "refresh_from_provider",
    "register_cash_source",
    "register_rating_source",
    "reject_driver",
    "release_jobs",
    "request_delivery",
    "reveal_nik",
    "set_online",
    "shares_position",
    "simulate_step",
    "stuck_clause",
    "stuck_cutoff",
    "sweep",
    "tracking_etag",
    "unlock_pin",
    "update_to_dict",
    "verified_driver",
    "verify_driver",
]
