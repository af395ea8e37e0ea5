"""What a request must look like: the registration number's shape, the KK number, the map pin.

The forms and the services use the same checks, so a request built in a test, a shell or a job
is held to what the resident's form enforces.
"""

from __future__ import annotations

import re
from datetime import date

from portal.accounts import nik

# The MPP's registration receipt: regency code, date of registration, queue serial.
REGISTRATION = re.compile(r"^3510-(\d{4})(\d{2})(\d{2})-(\d{4})$")
REGISTRATION_EXAMPLE = "3510-20261204-0042"

# Kabupaten Banyuwangi, roughly (lat, lng), clockwise from the north-west: the Bali Strait side
# runs between Ketapang and Gilimanuk, so a pin in Bali is outside. The clerk checks the address.
REGENCY_OUTLINE = (
    (-7.80, 114.05),
    (-7.70, 114.30),
    (-7.70, 114.47),
    (-8.05, 114.47),
    (-8.10, 114.41),
    (-8.40, 114.41),
    (-8.48, 114.47),
    (-8.55, 114.64),
    (-8.82, 114.64),
    (-8.82, 113.85),
    (-8.10, 113.85),
)


def registration_number(raw: str) -> str | None:
    """The number in its one written form, or None if it is not one."""
    value = "".join((raw or "").split()).upper().replace("/", "-")
    match = REGISTRATION.match(value)
    if match is None:
        return None
    year, month, day, _serial = (int(part) for part in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return None
    return value


def kk_number(raw: str) -> str | None:
    """A Kartu Keluarga number: 16 digits starting with a known region code."""
    value = "".join((raw or "").split())
    if len(value) != 16 or not value.isdigit():
        return None
    if int(value[:2]) not in nik.PROVINCES or value[2:4] == "00" or value[12:] == "0000":
        return None
    return value


def in_regency(lat: float, lng: float) -> bool:
    """Ray casting against REGENCY_OUTLINE."""
    inside = False
    points = REGENCY_OUTLINE
    for (lat1, lng1), (lat2, lng2) in zip(points, points[1:] + points[:1], strict=True):
        if (lng1 > lng) != (lng2 > lng):
            crossing = lat1 + (lng - lng1) * (lat2 - lat1) / (lng2 - lng1)
            if lat < crossing:
                inside = not inside
    return inside
