"""The patient's link shows the courier on the way (position, ETA); the pharmacist's page, which
handles the prescription, does not show where the courier is."""

from __future__ import annotations

import pytest

from portal.couriers import services as couriers
from portal.medicine import services as medicine
from tests.medicine.conftest import register


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


def test_the_patient_link_shows_the_courier_and_the_pharmacy_page_does_not(
    app, client, auth, db, pharmacist, blambangan, driver
):
    delivery = register(blambangan, pharmacist)
    medicine.start_preparing(delivery, by=pharmacist)
    courier = medicine.mark_ready(delivery, by=pharmacist)
    db.session.commit()
    couriers.accept_job(courier, driver=driver)
    db.session.commit()
    link = f"/medicine/{delivery.issued_token}"
    etag = client.get(link, headers={"HX-Request": "true"}).headers["ETag"]
    page = client.get(link).get_data(as_text=True)
    assert "Expected at your door around" in page and "Courier last seen" not in page  # no position yet

    couriers.record_position(courier, driver=driver, lat=-8.2170, lng=114.3690)
    db.session.commit()
    polled = client.get(link, headers={"HX-Request": "true", "If-None-Match": etag})
    assert polled.status_code == 200  # the courier moved: a new answer, not a 304
    page = polled.get_data(as_text=True)
    assert "Courier last seen at" in page and "Arrives around" in page and "data-courier-map=" in page
    assert "Expected at your door around" not in page  # one estimate, not two

    auth.login(pharmacist)
    detail = client.get(f"/rsud/deliveries/{delivery.id}").get_data(as_text=True)
    assert "Hasan" in detail and "Courier last seen" not in detail and "data-courier-map=" not in detail
