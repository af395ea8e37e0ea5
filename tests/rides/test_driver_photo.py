"""A driver verified this week shows the tourist a real face: the photo uploaded with the
application is served (to those the driver carries), never linked from static/."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from portal.couriers import services as couriers
from portal.couriers.models import DriverProfile
from portal.rides import services as rides
from tests.factories import UserFactory
from tests.rides import factories as f


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path):
    app.config["COURIER_PHOTO_DIR"] = str(tmp_path / "drivers")
    return tmp_path / "drivers"


def photo() -> tuple[io.BytesIO, str]:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "teal").save(buffer, "JPEG")
    buffer.seek(0)
    return buffer, "me.jpg"


def newly_verified_driver(db, auth, client, admin):
    """Applies through the form with a phone photo, then the admin verifies."""
    applicant = UserFactory(locale="en", name="Pak Wayan")
    db.session.commit()
    auth.login(applicant)
    response = client.post(
        "/courier/apply",
        data={
            "csrf_token": auth.csrf_token("/courier/apply"),
            "nik": "3510011203850002",
            "ktp_address": "Jl. Ahmad Yani 12, Penganjuran, Banyuwangi",
            "vehicle": "trail",
            "plate": "P 4321 BA",
            "languages": ["id", "en"],
            "photo": photo(),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    auth.logout()
    profile = db.session.query(DriverProfile).filter_by(user_id=applicant.id).one()
    couriers.verify_driver(profile, by=admin)
    db.session.commit()
    return applicant


def test_the_tourist_sees_the_photo_the_new_driver_uploaded(app, db, auth, client, admin):
    driver = newly_verified_driver(db, auth, client, admin)
    package = f.package()
    tourist = f.CustomerFactory()
    db.session.commit()
    booking = f.paid_booking(
        app, package, rides.next_bookable_night() + timedelta(days=1), customer=tourist, driver_user=driver
    )

    auth.login(tourist)
    page = client.get(f"/rides/bookings/{booking.id}").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)" alt="Photo of Pak Wayan"', page).group(1)
    assert "/static/" not in src
    image = client.get(src)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(image.data)).size == (640, 480)
    assert "private" in image.headers["Cache-Control"]

    # Another tourist, who rides with someone else, cannot fetch it; nor can a stranger.
    auth.logout()
    auth.login(f.CustomerFactory())
    assert client.get(src).status_code == 404
    auth.logout()
    assert client.get(src).status_code == 302  # to the login page

    # The admin's review page shows the same photo through the same route.
    auth.login(admin)
    assert client.get(src).status_code == 200
