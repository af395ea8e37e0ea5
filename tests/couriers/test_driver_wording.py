"""What a driver reads, in both languages: a job named by where it goes ("Food: Warung Bu Sri →
Homestay Kemiren"), never an internal key or the recipient's details before the job is theirs;
after every step the next thing to do, not the customer's "on the way to you"; phone numbers as
Indonesians write them."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from portal import notify
from portal.couriers import services
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from tests.couriers.factories import HOMESTAY, WARUNG, make_driver, make_job, requested

S = DeliveryStatus


def visible(html: str) -> str:
    """The page's text as read: no tags, attributes or scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def heading(html: str) -> str:
    return visible(re.search(r"<h1[^>]*>.*?</h1>", html, flags=re.S).group(0)).strip()


def step(auth, delivery, status: str):
    return auth.post(f"/courier/jobs/{delivery.id}/status", {"status": status}, page=f"/courier/jobs/{delivery.id}")


def test_an_open_job_is_named_by_its_pickup_and_area_only(db, client, auth, customer, driver):
    delivery = requested(customer)
    auth.login(driver)
    workspace = visible(client.get("/courier").get_data(as_text=True))
    assert "Food: Warung Bu Sri → near Glagah" in workspace
    assert "food-order-1" not in workspace and "Job 1" not in workspace
    assert "Homestay Kemiren" not in workspace and HOMESTAY.name not in workspace  # before accepting: the area
    preview = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert heading(preview) == "Food: Warung Bu Sri → near Glagah"
    assert "<title>Food: Warung Bu Sri → near Glagah" in preview
    assert "Order 1" not in visible(preview)  # what to ask for at the pick-up: once the job is theirs


def test_a_taken_job_is_named_by_where_it_goes_in_both_languages(db, client, auth, customer, driver):
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    auth.login(driver)
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert heading(page) == "Food: Warung Bu Sri → Homestay Kemiren"
    assert "At the pick-up ask for: Order 1" in visible(page) and "food-order-1" not in page
    my_jobs = visible(client.get("/courier").get_data(as_text=True))
    assert "Food: Warung Bu Sri → Homestay Kemiren" in my_jobs and "food-order-1" not in my_jobs
    assert "Yours: go to the pick-up" in my_jobs

    driver.locale = "id"
    db.session.commit()
    auth.logout()
    auth.login(driver)
    page = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert heading(page) == "Makanan: Warung Bu Sri → Homestay Kemiren"
    assert "Di lokasi jemput sebutkan: Pesanan 1" in visible(page)
    assert "Milik Anda: menuju lokasi jemput" in visible(page)


@pytest.mark.parametrize(
    ("purpose", "english", "indonesian"),
    [
        (Purpose.DOCUMENT, "Documents: Warung Bu Sri → near Glagah", "Dokumen: Warung Bu Sri → dekat Glagah"),
        (Purpose.MEDICINE, "Medicine: Warung Bu Sri → near Glagah", "Obat: Warung Bu Sri → dekat Glagah"),
    ],
)
def test_documents_and_medicine_titles_name_no_person_and_no_contents(
    db, client, auth, customer, purpose, english, indonesian
):
    driver = make_driver(medicine=True)
    db.session.commit()
    job = make_job(
        purpose, medicine=purpose == Purpose.MEDICINE, reference="GA-7", receivers=("Siti Aminah (patient)",)
    )
    delivery = requested(customer, job)
    auth.login(driver)  # reads Indonesian
    workspace = visible(client.get("/courier").get_data(as_text=True))
    assert indonesian in workspace
    assert "Siti Aminah" not in workspace and HOMESTAY.name not in workspace and "3510" not in workspace
    assert delivery.driver_title(False) == english  # the tests' request reads English
    with force_locale("id"):
        assert delivery.driver_title(False) == indonesian
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    page = visible(client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True))
    assert indonesian.replace("dekat Glagah", "Homestay Kemiren") in page
    assert "Di lokasi jemput sebutkan: GA-7" in page  # the code on the bags, said at the post


def test_after_each_step_the_driver_is_told_what_to_do_next(db, client, auth, customer, driver):
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    auth.login(driver)
    step(auth, delivery, "picking_up")
    page = visible(client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True))
    assert "Saved: you are on your way to Warung Bu Sri." in page
    assert "On your way to the pick-up" in page and "Courier on the way to pick up" not in page

    step(auth, delivery, "picked_up")
    page = visible(client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True))
    assert "Picked up. Now take it to Homestay Kemiren." in page
    assert "Picked up: take it to the drop-off" in page

    step(auth, delivery, "delivering")
    page = visible(client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True))
    assert "Saved: you are on your way to Homestay Kemiren." in page
    assert "On your way to the drop-off" in page
    # The customer's wording is nowhere on the driver's page: not in the badge, the flash, the timeline.
    assert "On the way to you" not in page and "Saved: Picked up." not in page

    # The customer (reading Indonesian), on their own page, still reads theirs.
    auth.logout()
    auth.login(customer)
    tracking = visible(client.get(f"/deliveries/{delivery.id}").get_data(as_text=True))
    with force_locale("id"):
        theirs = S.DELIVERING.label
    assert theirs.endswith("ke Anda") and theirs in tracking and "Anda menuju tujuan antar" not in tracking


def test_the_steps_read_as_a_drivers_in_indonesian(db, client, auth, customer, driver):
    driver.locale = "id"
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    auth.login(driver)
    step(auth, delivery, "picked_up")
    page = visible(client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True))
    assert "Sudah diambil. Sekarang antar ke Homestay Kemiren." in page
    assert "Sudah diambil: antar ke tujuan" in page
    step(auth, delivery, "delivering")
    page = visible(client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True))
    assert "Tersimpan: Anda menuju Homestay Kemiren." in page and "Anda menuju tujuan antar" in page
    with force_locale("id"):
        assert S.DELIVERING.label not in page  # the customer's words for the same status


def test_a_refused_step_names_the_statuses_as_the_driver_knows_them(db, customer, driver):
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    with pytest.raises(services.CourierError, match="from “Yours: go to the pick-up” to “On your way to the drop-off”"):
        services.mark(delivery, S.DELIVERING, by=driver)


def test_a_cancelled_job_is_named_in_the_drivers_message(db, customer, driver):
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    notify.outbox.clear()
    services.cancel_delivery(delivery, by=customer, reason="changed my mind")
    (message,) = [m for m in notify.outbox if m.user_id == driver.id]
    assert message.text == "Job cancelled, you do not need to go: Food: Warung Bu Sri → near Glagah."
    assert "food-order" not in message.text and HOMESTAY.address not in message.text


def test_phone_numbers_read_as_indonesians_write_them_and_dial_in_full(db, client, auth, customer, driver):
    delivery = requested(customer)
    services.accept_job(delivery, driver=driver)
    db.session.commit()
    auth.login(driver)
    html = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert f'<a href="tel:{WARUNG.phone}">0811-0000-0002</a>' in html
    assert f'<a href="tel:{HOMESTAY.phone}">0811-0000-0006</a>' in html
    assert "+6281100000002" not in visible(html) and "+62 811" not in visible(html)
    assert delivery.pickup.phone == "+6281100000002"  # stored as it was
