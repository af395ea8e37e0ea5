"""The resident's request page shows the courier on the way; the MPP clerk's page does not."""

from __future__ import annotations

from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from tests.couriers.factories import make_driver
from tests.documents.test_services import handed


def test_the_resident_sees_the_courier_and_the_clerk_does_not(db, client, auth, resident, clerk):
    request = handed(db, resident, clerk)
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    driver = make_driver()
    couriers.accept_job(delivery, driver=driver)
    couriers.record_position(delivery, driver=driver, lat=-8.2150, lng=114.3600)
    db.session.commit()

    auth.login(resident)
    page = client.get(f"/documents/{request.id}").get_data(as_text=True)
    assert "Courier last seen at" in page and "Mal Pelayanan Publik Banyuwangi" in page
    assert "data-courier-map=" in page
    auth.logout()
    auth.login(clerk)
    response = client.get(f"/office/documents/{request.id}")
    office = response.get_data(as_text=True)
    assert response.status_code == 200 and "Courier assigned" in office  # the clerk follows the status …
    assert "Courier last seen" not in office and "data-courier-map=" not in office  # … not the courier
