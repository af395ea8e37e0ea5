"""The customer's tracking page of one delivery, and the webhook outside providers push to."""

from __future__ import annotations

import logging

from flask import abort, jsonify, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from portal.accounts.access import ensure
from portal.accounts.models import Role
from portal.actions import act
from portal.audit import audit
from portal.couriers import bp, providers, services
from portal.couriers.contract import WebhookRejected
from portal.couriers.models import Delivery
from portal.couriers.photos import photo_path, send_photo
from portal.extensions import csrf, db
from portal.htmx import not_modified, render, wants_fragment, with_etag
from portal.jobs import enqueue

log = logging.getLogger(__name__)


@bp.get("/deliveries/<int:delivery_id>")
@login_required
def delivery(delivery_id: int):
    """The customer's own view of one delivery; the tracking block polls this same URL. Admins see
    it too (a complaint, a lost courier): the courier's position is personal data, so an admin's
    look at a job on the road is logged."""
    found = db.session.get(Delivery, delivery_id)
    staff = found is not None and found.customer_id != current_user.id and current_user.has_role(Role.ADMIN)
    ensure(found is not None and (found.customer_id == current_user.id or staff))
    if staff and not wants_fragment() and found.position_at is not None:
        audit("view", found, by=current_user, detail="courier position")
        db.session.commit()
    # The page and its polled fragment are different bodies: never answer one with the other's 304.
    poll_etag = services.tracking_etag(found, str(get_locale()), "fragment")
    etag = poll_etag if wants_fragment() else services.tracking_etag(found, str(get_locale()), "page")
    cached = not_modified(etag)
    if cached is not None:
        return cached
    return with_etag(render("couriers/delivery.html", "tracking", delivery=found, poll_etag=poll_etag), etag)


@bp.get("/media/drivers/<name>")
@login_required
def driver_photo(name: str):
    """Every driver photo is served here (uploads live outside static/): to the driver, an
    admin, and the customers the driver carries."""
    profile = services.photo_owner(name)
    path = photo_path(name) if profile is not None else None
    ensure(path is not None and services.may_see_photo(current_user, profile))
    return send_photo(path)


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
    with act():
        if updates:
            enqueue(services.apply_updates, courier.name, [services.update_to_dict(u) for u in updates])
    return jsonify(received=len(updates)), 202
