from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from portal import notify
from portal.accounts.models import Role
from portal.couriers.contract import Vehicle
from portal.extensions import db
from portal.medicine import services as medicine
from portal.medicine.demo import HOSPITALS
from portal.medicine.models import Hospital
from tests.couriers.factories import make_driver
from tests.factories import UserFactory

# Tuesday 24 Nov 2026, 09:00 WIB
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services raise translated messages and build links, as inside a request (English here)."""
    notify.outbox.clear()
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def make_hospital(slug: str) -> Hospital:

    row = next(h for h in HOSPITALS if h[0] == slug)
    hospital = Hospital(slug=row[0], name=row[1], address=row[2], post_phone=row[3], lat=row[4], lng=row[5])
    db.session.add(hospital)
    db.session.flush()
    return hospital


@pytest.fixture
def blambangan(db):
    return make_hospital("rsud-blambangan")


@pytest.fixture
def genteng(db):
    return make_hospital("rsud-genteng")


@pytest.fixture
def pharmacist(db, blambangan, admin):
    user = UserFactory(name="Apt. Rina", roles=[Role.PHARMACIST], locale="en")
    medicine.assign_pharmacist(user, blambangan, by=admin)
    db.session.commit()
    return user


@pytest.fixture
def genteng_pharmacist(db, genteng, admin):
    user = UserFactory(name="Apt. Yuli", roles=[Role.PHARMACIST], locale="en")
    medicine.assign_pharmacist(user, genteng, by=admin)
    db.session.commit()
    return user


@pytest.fixture
def driver(db):
    """A verified, medicine-trained courier of the local fleet, online."""
    user = make_driver(vehicle=Vehicle.MOTORBIKE, medicine=True)
    user.name = "Hasan Basri"
    db.session.commit()
    return user


def registration(**changes) -> medicine.Registration:
    values = {
        "patient_name": "Ibu Sumarni",
        "phone": "0812 3456 7890",
        "prescription_number": "RX-1001",
        "address": "Jl. Kepiting No. 3, Kepatihan, Banyuwangi",
        "lat": -8.2135,
        "lng": 114.3701,
        "landmark": "green fence",
        "receivers": [("Siti", "daughter")],
        "fare_class": "free",
        "card_checked_by": "Apt. Rina",
        "bags": 2,
    }
    values.update(changes)
    return medicine.Registration(**values)


def register(hospital, by, *, key: str | None = None, now=None, **changes):

    delivery = medicine.register(
        hospital, registration(**changes), by=by, key=key or f"key-{next(_keys)}", now=now or MORNING
    )
    db.session.commit()
    return delivery
