"""The post's pages, the patient's link without an account, and the admin's hospitals page."""

from __future__ import annotations

import re
from datetime import timedelta

from portal import notify
from portal.audit import trail
from portal.database import utcnow
from portal.formatting import wib
from portal.medicine import services as medicine
from portal.medicine.models import MedicineDelivery
from portal.medicine.models import MedicineStatus as M
from tests.factories import UserFactory
from tests.html import without_csrf
from tests.medicine.conftest import MORNING, register

FORM = {
    "patient_name": "Pak Darmaji",
    "phone": "0812-3456-7001",
    "prescription_number": "RX-555",
    "address": "Dusun Krajan RT 02, Kemiren, Glagah",
    "latitude": "-8.2110",
    "longitude": "114.3260",
    "landmark": "in front of the mosque",
    "receiver_1": "Siti",
    "relation_1": "daughter",
    "fare_class": "free",
    "card_checked_by": "Apt. Rina",
    "bags": "2",
    "compounded": "y",
}


def form_key(client) -> str:
    html = client.get("/rsud/deliveries/new").get_data(as_text=True)
    return re.search(r'name="key"[^>]*value="([^"]+)"', html).group(1)


def test_the_pharmacist_registers_a_delivery_and_the_patient_follows_it_without_an_account(
    app, client, auth, db, pharmacist
):
    auth.login(pharmacist)
    key = form_key(client)
    response = auth.post("/rsud/deliveries/new", {**FORM, "key": key}, page="/rsud/deliveries/new")
    assert response.status_code == 302
    again = auth.post("/rsud/deliveries/new", {**FORM, "key": key}, page="/rsud/deliveries/new")  # double click
    assert again.status_code == 302
    (delivery,) = db.session.scalars(db.select(MedicineDelivery)).all()
    assert delivery.compounded and delivery.bags == 2 and delivery.receiver_names == ["Siti (daughter)"]
    queue = client.get("/rsud/deliveries").get_data(as_text=True)
    assert "Pak Darmaji" in queue and "compounded" in queue
    assert "Kemiren" not in queue  # the address is on the detail page (which is audited), not the queue

    (sms,) = [m for m in notify.outbox if m.phone == "+6281234567001"]
    path = sms.url.removeprefix("http://localhost")
    auth.logout()
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "RSUD Blambangan" in html and "Registered at the post" in html and "Call the post" in html
    assert "Kemiren" not in html and "RX-555" not in html and "Siti" not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_a_wrong_or_expired_link_is_the_same_404(app, client, db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    token = delivery.issued_token
    medicine.cancel(delivery, by=pharmacist, reason="test", now=utcnow() - timedelta(days=8))
    db.session.commit()
    wrong_token = "not-a-real-token-at-all-0000000000"
    expired = client.get(f"/medicine/{token}")
    wrong = client.get(f"/medicine/{wrong_token}")
    assert expired.status_code == wrong.status_code == 404

    # The same page, but for the address itself (the language switch comes back to it) and the
    # CSRF token (signed with the time).
    def same(response, path_token):
        return without_csrf(response.get_data(as_text=True)).replace(path_token, "T")

    assert same(expired, token) == same(wrong, wrong_token)


def test_the_patient_page_polls_with_304_until_something_changes(app, client, db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    url = f"/medicine/{delivery.issued_token}"
    first = client.get(url, headers={"HX-Request": "true"})
    etag = first.headers["ETag"]
    assert client.get(url, headers={"HX-Request": "true", "If-None-Match": etag}).status_code == 304
    medicine.start_preparing(delivery, by=pharmacist)
    db.session.commit()
    changed = client.get(url, headers={"HX-Request": "true", "If-None-Match": etag})
    assert changed.status_code == 200 and "Sedang disiapkan" in changed.get_data(as_text=True)  # Indonesian by default


def test_the_queue_answers_304_when_nothing_moved(app, client, auth, db, pharmacist, blambangan):
    register(blambangan, pharmacist)
    auth.login(pharmacist)
    first = client.get("/rsud/deliveries", headers={"HX-Request": "true"})
    assert first.status_code == 200
    again = client.get("/rsud/deliveries", headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_moves_from_the_queue(app, client, auth, db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    auth.login(pharmacist)
    auth.post(f"/rsud/deliveries/{delivery.id}/preparing", page="/rsud/deliveries")
    auth.post(f"/rsud/deliveries/{delivery.id}/hold", {"reason": "prescription_unclear"}, page="/rsud/deliveries")
    db.session.refresh(delivery)
    assert delivery.state == M.ON_HOLD and delivery.hold_label == "Prescription unclear"
    auth.post(f"/rsud/deliveries/{delivery.id}/resume", page="/rsud/deliveries")
    response = auth.post(f"/rsud/deliveries/{delivery.id}/ready", page="/rsud/deliveries", follow_redirects=True)
    assert "a trained courier is called" in response.get_data(as_text=True)
    db.session.refresh(delivery)
    assert delivery.state == M.READY


def test_the_detail_page_is_audited_and_hidden_from_another_hospital(
    app, client, auth, db, pharmacist, genteng_pharmacist, blambangan
):
    delivery = register(blambangan, pharmacist)
    auth.login(genteng_pharmacist)
    assert client.get(f"/rsud/deliveries/{delivery.id}").status_code == 404
    assert auth.post(f"/rsud/deliveries/{delivery.id}/preparing", page="/rsud/deliveries").status_code == 404
    assert "Ibu Sumarni" not in client.get("/rsud/deliveries").get_data(as_text=True)
    assert trail(delivery) == []
    auth.logout()
    auth.login(pharmacist)
    page = client.get(f"/rsud/deliveries/{delivery.id}")
    assert page.status_code == 200 and "RX-1001" in page.get_data(as_text=True)
    assert [entry.actor_id for entry in trail(delivery)] == [pharmacist.id]


def test_a_refused_registration_keeps_what_was_typed(app, client, auth, db, pharmacist):
    auth.login(pharmacist)
    response = auth.post(
        "/rsud/deliveries/new", {**FORM, "key": form_key(client), "restricted": "y"}, page="/rsud/deliveries/new"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "BPOM Regulation 8/2020" in html and "Pak Darmaji" in html and "RX-555" in html


def test_the_admin_assigns_a_pharmacist_and_sets_the_gosend_contract(app, client, auth, db, admin, blambangan, genteng):

    newcomer = UserFactory(email="yuli@example.com")
    db.session.commit()
    auth.login(admin)
    auth.post(
        "/admin/hospitals/pharmacists",
        {"email": "yuli@example.com", "hospital_id": genteng.id},
        page="/admin/hospitals",
    )
    assert medicine.hospital_of(newcomer) == genteng
    auth.post(
        f"/admin/hospitals/{genteng.id}/contract",
        {f"h{genteng.id}-gosend_trained_contract": "y"},
        page="/admin/hospitals",
    )
    db.session.refresh(genteng)
    assert genteng.gosend_trained_contract
    assert "yuli@example.com" in client.get("/admin/hospitals").get_data(as_text=True)


def test_a_dead_sms_gateway_never_blocks_the_registration(app, client, auth, db, pharmacist):
    app.config.update(
        NOTIFY_BACKEND="sms-http", SMS_URL="http://127.0.0.1:9/sendsms/", SMS_RETRY_ATTEMPTS=2, SMS_RETRY_BACKOFF=0
    )
    auth.login(pharmacist)
    response = auth.post("/rsud/deliveries/new", {**FORM, "key": form_key(client)}, page="/rsud/deliveries/new")
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(MedicineDelivery.id))) == 1


def test_a_recent_prescription_number_warns_and_can_be_registered_anyway(app, client, auth, db, pharmacist, blambangan):
    earlier = register(blambangan, pharmacist, prescription_number="RX-555", now=utcnow() - timedelta(days=2))
    medicine.cancel(earlier, by=pharmacist, reason="patient came to the counter")
    db.session.commit()
    auth.login(pharmacist)
    key = form_key(client)
    response = auth.post("/rsud/deliveries/new", {**FORM, "key": key}, page="/rsud/deliveries/new")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "already registered" in html and earlier.reference in html
    # The day in words, as every date in the portal (never 03-12-2026, read as 12 March abroad).
    assert f"already registered on {wib(earlier.created_at)} (" in html
    assert re.search(r"registered on \w{3},? \d{1,2} \w{3} \d{4}, \d\d[.:]\d\d WIB", html)
    assert 'name="confirm_duplicate"' in html and "Register anyway: this is a new prescription" in html
    anyway = auth.post(
        "/rsud/deliveries/new", {**FORM, "key": key, "confirm_duplicate": "y"}, page="/rsud/deliveries/new"
    )
    assert anyway.status_code == 302
    assert db.session.scalar(db.select(db.func.count(MedicineDelivery.id))) == 2


def test_a_prescription_still_in_flight_is_refused_outright(app, client, auth, db, pharmacist, blambangan):
    register(blambangan, pharmacist, prescription_number="RX-555")
    auth.login(pharmacist)
    data = {**FORM, "key": form_key(client), "confirm_duplicate": "y"}
    response = auth.post("/rsud/deliveries/new", data, page="/rsud/deliveries/new")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "already on its way" in html and 'name="confirm_duplicate"' not in html
    assert db.session.scalar(db.select(db.func.count(MedicineDelivery.id))) == 1


def test_every_registration_error_shows_at_once_next_to_its_field(app, client, auth, db, pharmacist):
    auth.login(pharmacist)
    data = {
        **FORM,
        "key": form_key(client),
        "patient_name": "",
        "phone": "+44 20 7946 0000",  # not Indonesian
        "latitude": "-7.2575",  # Surabaya, outside the regency
        "longitude": "112.7521",
        "relation_1": "",  # Siti, but no relationship
        "card_checked_by": "",  # free, but nobody checked the card
        "restricted": "y",
    }
    response = auth.post("/rsud/deliveries/new", data, page="/rsud/deliveries/new")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field, message in [
        ("patient_name", "This field is required."),
        ("phone", "Indonesian phone number"),
        ("address", "not in Banyuwangi"),
        ("relation_1", "a name and a relationship"),
        ("card_checked_by", "Who checked the PBI / DTSEN card?"),
        ("restricted", "BPOM Regulation 8/2020"),
    ]:
        tag = re.search(rf'<[^>]*id="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag and f'aria-describedby="{field}-error"' in tag, field
        error = re.search(rf'<small id="{field}-error"[^>]*>(.*?)</small>', html, re.S).group(1)
        assert message in error, field
        assert f'href="#{field}"' in html, field  # the summary links to it
    assert "Check 6 fields:" in html
    assert db.session.scalar(db.select(db.func.count(MedicineDelivery.id))) == 0


def test_a_duplicate_prescription_marks_the_prescription_field(app, client, auth, db, pharmacist, blambangan):
    earlier = register(blambangan, pharmacist, prescription_number="RX-555", now=utcnow() - timedelta(days=1))
    medicine.cancel(earlier, by=pharmacist, reason="asked to wait")
    db.session.commit()
    auth.login(pharmacist)
    html = auth.post("/rsud/deliveries/new", {**FORM, "key": form_key(client)}, page="/rsud/deliveries/new").get_data(
        as_text=True
    )
    assert re.search(r'<small id="prescription_number-error"[^>]*>[^<]*already registered', html)
    assert 'href="#prescription_number"' in html


def test_a_stale_click_says_who_already_did_it_and_that_nothing_changed(app, client, auth, db, pharmacist, blambangan):
    delivery = register(blambangan, pharmacist)
    medicine.start_preparing(delivery, by=pharmacist, now=MORNING + timedelta(minutes=5))  # 09.05 WIB
    db.session.commit()
    auth.login(pharmacist)  # a second tab, still showing "Start preparing"
    response = auth.post(f"/rsud/deliveries/{delivery.id}/preparing", page="/rsud/deliveries", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Already being prepared by Apt. Rina at 09:05 WIB; nothing changed." in html and "nothing changed" in html
    assert "cannot become" not in html
    db.session.refresh(delivery)
    assert len(delivery.events) == 2
