"""The courier workspace through HTTP: who sees which job, accepting, moving, the PIN handover."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal import notify
from portal.accounts.models import Role
from portal.couriers import services
from portal.couriers.contract import Purpose, Vehicle
from portal.couriers.models import Delivery, DeliveryStatus, DriverProfile, DriverStatus
from portal.database import utcnow
from tests.couriers.factories import HOMESTAY, make_driver, make_job, picked_up_with_pin, requested
from tests.factories import UserFactory

S = DeliveryStatus


@pytest.fixture
def customer(customer, db):
    """This file reads the customer's pages in English."""
    customer.locale = "en"
    db.session.commit()
    return customer


def assigned_job(db, customer, driver) -> Delivery:
    """A job the customer opened and the driver has accepted."""
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    return delivery


def test_a_driver_goes_online_sees_the_job_and_takes_it(db, client, auth, customer):
    driver = make_driver(online=False)
    db.session.commit()
    delivery = requested(customer)
    auth.login(driver)
    page = client.get("/courier").get_data(as_text=True)
    assert "Warung Bu Sri" not in page and 'name="online" value="1"' in page  # offline: no jobs shown
    client.post("/courier/online", data={"online": "1", "csrf_token": auth.csrf_token("/courier")})
    page = client.get("/courier").get_data(as_text=True)
    assert "Warung Bu Sri" in page and HOMESTAY.address not in page  # drop-off hidden before accepting
    # htmx refresh returns only the open-jobs block
    fragment = client.get("/courier", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="open-jobs"') and "Warung Bu Sri" in fragment
    etag = client.get("/courier", headers={"HX-Request": "true"}).headers["ETag"]
    assert client.get("/courier", headers={"HX-Request": "true", "If-None-Match": etag}).status_code == 304
    preview = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert HOMESTAY.address not in preview
    response = auth.post(f"/courier/jobs/{delivery.id}/accept", page="/courier")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/courier/jobs/{delivery.id}")
    db.session.refresh(delivery)
    assert delivery.status == S.DRIVER_ASSIGNED and delivery.courier_id == driver.id
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert HOMESTAY.address in page and HOMESTAY.phone in page


def test_the_second_driver_is_told_the_job_is_taken(db, client, auth, customer):
    first, second = make_driver(), make_driver()
    second.locale = "en"
    db.session.commit()
    delivery = requested(customer)
    services.accept_job(delivery, driver=first)
    db.session.commit()
    auth.login(second)
    response = auth.post(f"/courier/jobs/{delivery.id}/accept", page="/courier")
    assert response.headers["Location"].endswith("/courier")
    assert "another courier already took this job" in client.get("/courier").get_data(as_text=True)
    assert client.get(f"/courier/jobs/{delivery.id}").status_code == 404  # not theirs, not open


def test_unverified_and_wrong_vehicle_drivers_cannot_see_or_take(db, client, auth, customer):
    pending = make_driver(status=DriverStatus.PENDING)
    motorbike = make_driver(vehicle=Vehicle.MOTORBIKE)
    db.session.commit()
    trail_job = requested(customer, make_job(Purpose.RIDE, vehicle=Vehicle.TRAIL))
    for driver in (pending, motorbike):
        auth.login(driver)
        assert "Warung Bu Sri" not in client.get("/courier").get_data(as_text=True)
        assert client.get(f"/courier/jobs/{trail_job.id}").status_code == 404
        auth.post(f"/courier/jobs/{trail_job.id}/accept", page="/courier")
        auth.logout()
    db.session.refresh(trail_job)
    assert trail_job.courier_id is None and trail_job.status == S.FINDING_DRIVER


def test_pickup_and_pin_handover_then_details_are_hidden(db, client, auth, customer, driver):
    notify.outbox.clear()
    delivery = services.request_delivery(make_job(Purpose.DOCUMENT, pin=True), origin_id=2, customer=customer)
    delivery_pin = delivery.issued_pin  # what the document office sent the recipient
    db.session.commit()
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    auth.login(driver)
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    client.post(f"/courier/jobs/{delivery.id}/status", data={"status": "picked_up", "csrf_token": token})
    db.session.refresh(delivery)
    assert delivery.status == S.PICKED_UP
    guess = "0000" if delivery_pin != "0000" else "1111"
    wrong = client.post(f"/courier/jobs/{delivery.id}/deliver", data={"pin": guess, "csrf_token": token})
    assert wrong.status_code == 422 and "Wrong PIN. 4 tries left." in wrong.get_data(as_text=True)
    db.session.refresh(delivery)
    assert delivery.pin_attempts == 1 and delivery.status == S.PICKED_UP
    right = client.post(f"/courier/jobs/{delivery.id}/deliver", data={"pin": delivery_pin, "csrf_token": token})
    assert right.status_code == 302
    db.session.refresh(delivery)
    assert delivery.status == S.DELIVERED
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert HOMESTAY.address not in page and HOMESTAY.phone not in page
    workspace = client.get("/courier").get_data(as_text=True)
    assert re.search(r"Rp[\d.]+", workspace) and "1 job delivered" in workspace


def test_pin_entry_is_rate_limited(db, client, auth, customer, driver):
    """Well-formed wrong PINs: each is counted (the job locks after five) and the eleventh try
    within a minute is refused before it reaches the job at all."""
    delivery, wrong = picked_up_with_pin(customer, driver, origin_id=3)
    auth.login(driver)
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    answers = [
        client.post(f"/courier/jobs/{delivery.id}/deliver", data={"pin": wrong, "csrf_token": token}) for _ in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [422] * 10 and answers[10].status_code == 429
    assert "Wrong PIN. 4 tries left." in answers[0].get_data(as_text=True)
    assert "this job is locked" in answers[4].get_data(as_text=True)
    db.session.refresh(delivery)
    assert delivery.pin_attempts == 10 and delivery.pin_locked and delivery.status == S.PICKED_UP


def test_the_customer_tracks_their_delivery_and_polls_with_304(db, client, auth, customer):
    delivery = requested(customer)
    auth.login(customer)
    first = client.get(f"/deliveries/{delivery.id}", headers={"HX-Request": "true"})
    assert first.status_code == 200 and "Finding a courier" in first.get_data(as_text=True)
    again = client.get(
        f"/deliveries/{delivery.id}", headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    other = UserFactory()
    db.session.commit()
    auth.logout()
    auth.login(other)
    assert client.get(f"/deliveries/{delivery.id}").status_code == 404


def test_a_customer_opening_the_workspace_is_asked_to_apply_first(db, client, auth, customer):
    auth.login(customer)
    response = client.get("/courier")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You have not applied as a driver yet." in page and 'href="/courier/apply"' in page
    assert "Go online" not in page
    # Taking jobs stays for drivers.
    assert auth.post("/courier/online", {"online": "1"}, page="/courier").status_code == 403


def test_an_applicant_sees_where_the_application_stands(db, client, auth):
    applicant = make_driver(status=DriverStatus.PENDING, role=False)
    applicant.locale = "en"
    db.session.commit()
    auth.login(applicant)
    page = client.get("/courier").get_data(as_text=True)
    assert f"Your application: {DriverStatus.PENDING.label}." in page
    assert "Go online" not in page


def test_verified_drivers_are_not_invited_to_become_one_and_reach_their_rides(db, client, auth, customer):
    auth.login(customer)
    assert "Drive with Gancang" in client.get("/").get_data(as_text=True)
    auth.logout()
    trail = make_driver(vehicle=Vehicle.TRAIL)
    trail.locale = "en"
    db.session.commit()
    auth.login(trail)
    home = client.get("/").get_data(as_text=True)
    assert "Drive with Gancang" not in home and "Courier work" in home
    workspace = client.get("/courier").get_data(as_text=True)
    assert 'href="/rides/driver"' in workspace and "My Ijen rides and nights" in workspace
    application = client.get("/courier/apply").get_data(as_text=True)
    assert "<h1>Your driver application</h1>" in application and "Become a Gancang driver" not in application
    auth.logout()
    motorbike = make_driver(vehicle=Vehicle.MOTORBIKE)
    motorbike.locale = "en"
    db.session.commit()
    auth.login(motorbike)  # a motorbike has no Ijen rides
    assert 'href="/rides/driver"' not in client.get("/courier").get_data(as_text=True)


def test_staff_unlock_a_locked_pin_and_send_a_job_out_again(db, client, auth, customer):
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    driver = make_driver()
    db.session.commit()
    locked = services.request_delivery(make_job(Purpose.DOCUMENT, pin=True), origin_id=1, customer=customer)
    db.session.commit()
    services.accept_job(locked, driver=driver)
    services.mark(locked, S.PICKED_UP, by=driver)
    locked.pin_locked, locked.pin_attempts = True, 5
    stuck = requested(customer, origin_id=2)
    services.sweep(now=utcnow() + timedelta(hours=2))
    db.session.commit()
    assert stuck.status == S.NO_DRIVER
    auth.login(admin)
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert "PIN locked" in page and "Look for a courier again" in page
    auth.post(f"/admin/deliveries/{locked.id}/unlock", page="/admin/deliveries")
    auth.post(f"/admin/deliveries/{stuck.id}/redispatch", page="/admin/deliveries")
    db.session.refresh(locked)
    db.session.refresh(stuck)
    assert not locked.pin_locked and locked.pin_tries_left == 5
    assert stuck.status == S.FINDING_DRIVER


def test_a_couriers_jobs_appear_in_their_activity(db, client, auth, customer, driver):
    assigned_job(db, customer, driver)
    auth.login(driver)
    page = client.get("/my/activity").get_data(as_text=True)
    assert "Courier job" in page and "Warung Bu Sri" in page


def test_a_job_cannot_be_delivered_before_it_is_picked_up(db, client, auth, customer, driver):
    delivery = assigned_job(db, customer, driver)
    auth.login(driver)
    token = auth.csrf_token(f"/courier/jobs/{delivery.id}")
    response = client.post(f"/courier/jobs/{delivery.id}/deliver", data={"csrf_token": token})
    assert response.status_code == 422
    assert "Mark the job as picked up first" in response.get_data(as_text=True)
    db.session.refresh(delivery)
    assert delivery.status == S.DRIVER_ASSIGNED
    # Picking up on the way is fine; then "delivered" is.
    client.post(f"/courier/jobs/{delivery.id}/status", data={"status": "picked_up", "csrf_token": token})
    assert client.post(f"/courier/jobs/{delivery.id}/deliver", data={"csrf_token": token}).status_code == 302
    db.session.refresh(delivery)
    assert delivery.status == S.DELIVERED


def test_withdrawing_a_driver_hands_back_untouched_jobs_and_waits_for_carried_ones(db, client, auth, customer):
    """Rejecting a verified driver used to strand their jobs (403 for them, invisible to staff)."""
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    driver = make_driver()
    db.session.commit()
    assigned = requested(customer, origin_id=1)
    carried = requested(customer, origin_id=2)
    for job in (assigned, carried):
        services.accept_job(job, driver=driver)
    services.mark(carried, S.PICKED_UP, by=driver)
    db.session.commit()
    profile = db.session.query(DriverProfile).filter_by(user_id=driver.id).one()
    auth.login(admin)
    page = f"/admin/drivers/{profile.id}"
    refused = auth.post(f"{page}/reject", {"reason": "Complaints"}, page=page, follow_redirects=True)
    assert "carrying 1 picked-up job(s)" in refused.get_data(as_text=True)
    db.session.refresh(profile)
    db.session.refresh(assigned)
    assert profile.status == DriverStatus.VERIFIED and assigned.courier_id == driver.id
    # The role cannot be pulled from under the jobs on the users page either.
    revoked = auth.post(
        f"/admin/users/{driver.id}/roles/driver/revoke", {"confirmed": "1"}, page="/admin/users", follow_redirects=True
    )
    assert revoked.status_code == 200 and "still has 2 open courier job(s)" in revoked.get_data(as_text=True)
    db.session.refresh(driver)
    assert driver.has_role(Role.DRIVER)
    # Delivered: now the withdrawal goes through and the untouched job is open for others.
    services.mark(carried, S.DELIVERED, by=driver)
    db.session.commit()
    auth.post(f"{page}/reject", {"reason": "Complaints"}, page=page)
    db.session.refresh(profile)
    db.session.refresh(assigned)
    db.session.refresh(driver)
    assert profile.status == DriverStatus.REJECTED and profile.reject_reason == "Complaints"
    assert not driver.has_role(Role.DRIVER)
    assert assigned.status == S.FINDING_DRIVER and assigned.courier_id is None
    assert assigned in services.open_jobs_for(services.driver_profile(make_driver()))


def test_removing_the_driver_role_withdraws_the_driver_profile(db, client, auth):
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    driver = make_driver()
    db.session.commit()
    auth.login(admin)
    auth.post(f"/admin/users/{driver.id}/roles/driver/revoke", {"confirmed": "1"}, page="/admin/users")
    profile = services.driver_profile(driver)
    db.session.refresh(profile)
    assert profile.status == DriverStatus.REJECTED and not profile.online
    assert services.verified_driver(driver) is None


def test_the_full_tracking_page_is_not_answered_with_the_fragments_304(db, client, auth, customer):
    """A browser that cached the polled fragment must still get the whole page on a reload."""
    delivery = requested(customer)
    auth.login(customer)
    fragment = client.get(f"/deliveries/{delivery.id}", headers={"HX-Request": "true"})
    etag = fragment.headers["ETag"]
    page = client.get(f"/deliveries/{delivery.id}", headers={"If-None-Match": etag})
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert page.headers["ETag"] != etag
    again = client.get(f"/deliveries/{delivery.id}", headers={"HX-Request": "true", "If-None-Match": etag})
    assert again.status_code == 304  # the fragment's own etag still saves the poll
