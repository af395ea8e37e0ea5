"""Courier verbs: quote, request, dispatch (with retries and fallback), accept, mark, cancel.

They flush; the request or the job runner commits. Every status move goes through
`portal.workflow.move`, which writes the event row and announces it; `deliveries` answers by
sending `delivery_changed`, so the service that asked for the delivery (food, rides, documents,
medicine) moves its own order in the same transaction.

Callers import the package (`from portal.couriers import services as couriers`); the rooms:
deliveries (the record, locking, tracking, what follows a move), booking (quote, request,
cancel), dispatcher (providers, retries, sweep), updates (webhooks and pulls), workspace (the
local courier's jobs and handover), drivers (applications and the admin's decisions),
simulate (demo motion), activity ("my activity").
"""

from portal.couriers.services import activity as activity
from portal.couriers.services.booking import cancel_delivery, quote, request_delivery
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
    reject_driver,
    release_jobs,
    reveal_nik,
    verified_driver,
    verify_driver,
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
    earnings_today,
    mark,
    may_take,
    my_jobs,
    open_jobs_for,
    set_online,
    unlock_pin,
)

__all__ = [
    "TRACKED",
    "CourierError",
    "accept_job",
    "apply_as_driver",
    "apply_update",
    "apply_updates",
    "cancel_delivery",
    "dispatch",
    "driver_profile",
    "earnings_today",
    "find_delivery",
    "load_locked",
    "lock",
    "mark",
    "may_take",
    "my_jobs",
    "open_jobs_for",
    "quote",
    "redispatch",
    "refresh_from_provider",
    "reject_driver",
    "release_jobs",
    "request_delivery",
    "reveal_nik",
    "set_online",
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
