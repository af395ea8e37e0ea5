"""The pin of every address form: hidden latitude/longitude inputs the map fills, and the one
rule for a form sent without them (no JavaScript, or no tap on the map): the server looks the
address up with the geocoder, and asks for a better address when it finds nothing."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, HiddenField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import HiddenInput

from portal.maps.geocoder import LAT_RANGE, LNG_RANGE, GeocoderUnavailable, geocoder


class _DegreesField(DecimalField):
    """Degrees as a decimal; "NaN", "sNaN" and "Infinity" are not a place (and a signalling NaN
    would make NumberRange raise instead of refusing)."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(_l("The pin is not a point on the map. Set it again."))


class LatitudeField(_DegreesField):
    def __init__(self, label=None, **kwargs):
        validators = [
            Optional(),
            NumberRange(*LAT_RANGE, message=_l("That point is not in Banyuwangi (latitude about -8.2).")),
        ]
        super().__init__(label or _l("Latitude"), places=6, validators=validators, **kwargs)


class LongitudeField(_DegreesField):
    def __init__(self, label=None, **kwargs):
        validators = [
            Optional(),
            NumberRange(*LNG_RANGE, message=_l("That point is not in Banyuwangi (longitude about 114.3).")),
        ]
        super().__init__(label or _l("Longitude"), places=6, validators=validators, **kwargs)


class PinForField(HiddenField):
    """The address the server looked the pin up for. A pin sent back with a different address
    (typed again on a page without JavaScript) is looked up anew; static/js/map.js empties it
    when the user sets the pin on the map, which makes the pin theirs."""

    widget = HiddenInput()


def resolve_pin(address, latitude, longitude, pin_for=None, *, look_up=True) -> tuple[float, float] | None:
    """The pin the form sent (unless it was looked up for another address), else the geocoder's
    first place for the address (written back into the form, so the page shown next carries it).
    None, with a message on the address field, when neither gives one. `look_up=False` (a ride's
    pick-up, booked with no page in between to show a guess): only a pin the user set, else None
    and no message."""
    text = (address.data or "").strip()
    looked_up_for = ((pin_for.data if pin_for is not None else "") or "").strip()
    if latitude.data is not None and longitude.data is not None and looked_up_for in ("", text):
        return float(latitude.data), float(longitude.data)
    if not text or not look_up:
        return None
    try:
        places = geocoder().search(text, language=str(get_locale() or "id"), limit=1)
    except GeocoderUnavailable:
        address.errors = [
            *address.errors,
            _l("We could not look this address up on the map just now. Set the pin on the map, or try again."),
        ]
        return None
    if not places:
        address.errors = [
            *address.errors,
            _l("We could not find this address on the map. Add the village or kecamatan (e.g. Kalibaru, Glagah)."),
        ]
        return None
    place = places[0]
    latitude.data, longitude.data = place.lat, place.lng
    latitude.raw_data = longitude.raw_data = None  # drawn from .data again, not from the empty input
    if pin_for is not None:
        pin_for.data, pin_for.raw_data = text, None
    return place.lat, place.lng


class PinMixin:
    """For a form with an address field (`address`, or the one `pin_address` names), `latitude`
    and `longitude`: once the address itself is fine, the pin is the map's or the geocoder's
    (`resolve_pin`), kept as `form.lat`, `form.lng`. Where the pin is only a help and nobody would
    see a guess before it is used (`pin_optional = True`), only a pin the user set is kept, and
    an address without one is accepted, pinless."""

    lat: float | None = None
    lng: float | None = None
    pin_for = PinForField()
    pin_address = "address"
    pin_optional = False

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        address = getattr(self, self.pin_address)
        pin_errors = [*self.latitude.errors, *self.longitude.errors]
        if pin_errors:  # said next to the address, the field a person sees (the pin's are hidden)
            address.errors = [*address.errors, *pin_errors]
            self.latitude.errors, self.longitude.errors = [], []
            return False
        if address.errors:
            return False
        pin = resolve_pin(address, self.latitude, self.longitude, self.pin_for, look_up=not self.pin_optional)
        if pin is None:
            return ok and self.pin_optional
        self.lat, self.lng = pin
        return ok
