"""The MPP clerk's pages: the queue, a request's personal data (audited), and the moves."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale

from portal.accounts.models import Role
from portal.audit import trail
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.documents import services as documents
from portal.documents.models import DocumentStatus
from portal.documents.services import fees
from portal.payments import services as payments
from tests.documents.conftest import submitted, walk
from tests.factories import UserFactory

S = DocumentStatus


@pytest.fixture
def at_desk(auth, clerk):
    auth.login(clerk)
    return auth


def test_the_queue_shows_waiting_requests_and_answers_304_when_unchanged(at_desk, client, db, resident):
    request = submitted(resident)
    db.session.commit()
    page = client.get("/office/documents")
    assert page.status_code == 200 and request.reference in page.get_data(as_text=True)
    fragment = client.get("/office/documents", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    again = client.get("/office/documents", headers={"HX-Request": "true", "If-None-Match": fragment.headers["ETag"]})
    assert again.status_code == 304
    filtered = client.get("/office/documents?type=kk").get_data(as_text=True)
    assert request.reference not in filtered


def test_the_queue_fits_a_phone_cards_with_their_labels_and_stacked_filters(at_desk, client, db, resident, app):
    """On a 390 px phone every row is a card naming each value, and the filters stack full width."""
    request = submitted(resident)
    db.session.commit()
    page = client.get("/office/documents").get_data(as_text=True)
    assert '<table class="queue-table">' in page
    row = page.split(f'id="request-{request.id}"')[1].split("</tr>")[0]
    assert row.count("data-label=") == 4
    css = (Path(app.static_folder) / "css" / "app.css").read_text()
    assert ".queue-table td[data-label]::before" in css
    assert ".filters select, .filters button { width: 100%; }" in css


def test_opening_a_request_shows_its_personal_data_and_records_the_look(at_desk, client, db, resident, clerk):
    request = submitted(resident)
    db.session.commit()
    page = client.get(f"/office/documents/{request.id}").get_data(as_text=True)
    assert "3510011208850001" in page and "Jl. Kepiting 12" in page
    [entry] = trail(request)
    assert entry.actor_id == clerk.id and entry.action == "view"


def test_verify_ready_and_hand_to_a_courier(at_desk, client, db, resident):
    request = submitted(resident)
    db.session.commit()
    page = f"/office/documents/{request.id}"
    at_desk.post(f"/office/documents/{request.id}/verify", page=page)
    at_desk.post(f"/office/documents/{request.id}/ready", page=page)
    response = at_desk.post(f"/office/documents/{request.id}/courier", {"when": "now"}, page=page)
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.state == S.READY
    assert couriers.find_delivery(Purpose.DOCUMENT, request.id).needs_pin


def test_a_move_in_the_wrong_status_says_why_and_changes_nothing(at_desk, client, db, resident):
    request = submitted(resident)
    db.session.commit()
    response = at_desk.post(f"/office/documents/{request.id}/ready", page=f"/office/documents/{request.id}")
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cannot become ready" in shown
    db.session.refresh(request)
    assert request.state == S.SUBMITTED and len(request.events) == 1


def test_incomplete_without_saying_what_keeps_the_page_and_asks(at_desk, db, resident):
    request = submitted(resident)
    db.session.commit()
    response = at_desk.post(
        f"/office/documents/{request.id}/incomplete", {"missing": ""}, page=f"/office/documents/{request.id}"
    )
    assert response.status_code == 422 and "Say what is missing." in response.get_data(as_text=True)
    db.session.refresh(request)
    assert request.state == S.SUBMITTED


def test_a_scheduled_window(at_desk, db, resident, clerk):
    request = walk(submitted(resident), S.READY, clerk=clerk)
    db.session.commit()
    at_desk.post(
        f"/office/documents/{request.id}/courier",
        {"when": "window", "day": "2026-12-30", "start": "09:00", "end": "11:00"},
        page=f"/office/documents/{request.id}",
    )
    delivery = couriers.find_delivery(Purpose.DOCUMENT, request.id)
    assert delivery.window_start.hour == 2 and delivery.window_end.hour == 4  # 09:00 to 11:00 WIB, in UTC


def test_only_clerks_see_the_office(client, auth, db, resident):
    auth.login(resident)
    assert client.get("/office/documents").status_code == 403


def test_the_admin_decides_who_pays(client, auth, db):
    admin = UserFactory(roles=[Role.ADMIN])
    db.session.commit()
    auth.login(admin)
    response = auth.post("/admin/documents/fees", {"free": ["ktp_el", "akta_kematian"]}, page="/admin/documents/fees")
    assert response.status_code == 302
    assert fees.is_free("akta_kematian") and not fees.is_free("kk")


def test_the_admin_sees_who_looked_at_personal_data(client, auth, db, resident, clerk):
    request = submitted(resident)
    documents.personal_data(request, by=clerk)
    admin = UserFactory(roles=[Role.ADMIN], locale="en")
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/documents/fees").get_data(as_text=True)
    assert "Who looked at residents" in page
    assert clerk.name in page and request.reference in page


def test_indonesian_pages_name_the_documents_and_their_payments_in_indonesian(client, auth, db, resident):
    admin = UserFactory(roles=[Role.ADMIN], locale="id")
    request = submitted(resident)  # a KTP-el, paid by the regency
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/documents/fees").get_data(as_text=True)
    assert "electronic identity card" not in page and "KTP-el" in page
    with force_locale("id"):
        assert payments.payable_label(payments.payment_for(documents.PAYABLE, request.id)) == "Antar dokumen"
        assert str(payments.PAYABLE_LABELS["medicine_delivery"]) == "Antar obat"
