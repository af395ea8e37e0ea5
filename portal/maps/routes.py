"""The map picker's server side: address search and reverse lookup (JSON for static/js/map.js),
the settings the map macro (templates/_map.html) writes into the page, and saved addresses."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.access import ensure
from portal.accounts.forms import EmptyForm
from portal.actions import act
from portal.extensions import limiter
from portal.maps import bp, services
from portal.maps.geocoder import GeocoderUnavailable, geocoder, in_banyuwangi


def _limit() -> str:
    return current_app.config["GEOCODER_RATE_LIMIT"]


def _private(response):
    response.cache_control.private = True
    response.cache_control.max_age = 300
    return response


@bp.get("/maps/search")
@login_required
@limiter.limit(_limit)
def search():
    """?q=Homestay Ijen → {"results": [{"name", "lat", "lng"}, …]} (places in Banyuwangi)."""
    query = request.args.get("q", "").strip()
    if len(query) < 3:
        return jsonify(results=[], error=_("Type at least 3 letters.")), 422
    try:
        places = geocoder().search(query, language=str(get_locale()))
    except GeocoderUnavailable:
        return jsonify(results=[], error=_("The address search is not answering. Drag the pin instead.")), 503
    message = None if places else _("Nothing found in Banyuwangi. Try a village or street name, or drag the pin.")
    return _private(jsonify(results=[p.as_json() for p in places], error=message))


@bp.get("/maps/reverse")
@login_required
@limiter.limit(_limit)
def reverse():
    """?lat=-8.2&lng=114.3 → {"name": "Jl. …"} (or null): fills an empty address field after a tap."""
    lat = request.args.get("lat", type=float)
    lng = request.args.get("lng", type=float)
    if lat is None or lng is None or not in_banyuwangi(lat, lng):
        return jsonify(name=None, error=_("That point is not in Banyuwangi.")), 422
    try:
        place = geocoder().reverse(lat, lng, language=str(get_locale()))
    except GeocoderUnavailable:
        return jsonify(name=None), 503
    return _private(jsonify(name=place.name if place else None))


@bp.app_template_global()
def map_settings() -> dict:
    """What templates/_map.html writes into data- attributes for static/js/map.js."""
    config = current_app.config
    return {
        "tiles": config["MAP_TILE_URL"],
        "attribution": config["MAP_ATTRIBUTION"],
        "center": "{:.5f},{:.5f}".format(*config["MAP_CENTER"]),
        "images": url_for("static", filename="vendor/"),
        "search": url_for("maps.search"),
        "reverse": url_for("maps.reverse"),
    }


@bp.app_template_global()
def saved_addresses_of(user) -> list:
    return services.saved_addresses(user)


@bp.post("/account/addresses/<int:address_id>/delete")
@login_required
def delete_saved_address(address_id: int):
    """The second tap of "Delete" on /account (the first opens the question). Only one's own."""
    saved = services.saved_address(current_user, address_id)
    ensure(saved is not None)  # someone else's is not found
    if EmptyForm().validate_on_submit():
        with act(success=_("%(label)s is deleted.", label=saved.label)):
            services.delete_address(current_user, address_id)
    return redirect(url_for("accounts.account") + "#saved-addresses")
