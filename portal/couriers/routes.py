"""HTTP for couriers: the customer's tracking page, the provider webhook, the courier workspace,
the driver application and the admin's verification."""

from __future__ import annotations

import logging

from flask import abort, jsonify, request
from flask_login import current_user, login_required

from portal.accounts.access import ensure
from portal.couriers import bp, providers, services
from portal.couriers.contract import WebhookRejected
from portal.couriers.models import Delivery
from portal.extensions import csrf, db
from portal.htmx import not_modified, render, with_etag

log = logging.getLogger(__name__)


@bp.get("/deliveries/<int:delivery_id>")
@login_required
def delivery(delivery_id: int):
    """The customer's own view of one delivery; the tracking block polls this same URL."""
    found = db.session.get(Delivery, delivery_id)
    ensure(found is not None and found.customer_id == current_user.id)
    etag = services.tracking_etag(found, current_user.locale)
    cached = not_modified(etag)
    if cached is not None:
        return cached
    return with_etag(render("couriers/delivery.html", "tracking", delivery=found), etag)


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
    applied = sum(1 for update in updates if services.apply_update(courier.name, update))
    db.session.commit()
    return jsonify(received=len(updates), applied=applied)
