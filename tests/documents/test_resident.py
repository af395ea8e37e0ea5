"""The resident's request through the pages, without JavaScript: one question per page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.documents.models import DocumentRequest
from tests.documents.conftest import submitted
from tests.factories import UserFactory

ANSWERS = [
    ("/documents/new", {"document_type": "ktp_el"}),
    ("/documents/new/registration", {"registration_number": "3510-20261204-0042"}),
    (
        "/documents/new/holder",
        {"holder_name": "Budi Santoso", "nik": "3510011208850001", "kk_number": "3510010101200003"},
    ),
    (
        "/documents/new/address",
        {"address": "Jl. Kepiting 12, RT 02 RW 01, Sobo, Banyuwangi", "latitude": "-8.21", "longitude": "114.36"},
    ),
    ("/documents/new/phone", {"phone": "0812 3456 7890"}),
    ("/documents/new/receivers", {"who": "holder", "family": ""}),
]


@pytest.fixture
def signed_in(auth, resident):
    auth.login(resident)
    return auth


def answer_all(auth) -> None:
    for path, data in ANSWERS:
        response = auth.post(path, data, page=path)
        assert response.status_code == 302, (path, response.get_data(as_text=True)[:2000])


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(DocumentRequest))


def test_one_question_per_page_then_check_then_a_reference(signed_in, client, db):
    auth = signed_in
    page = client.get("/documents/new").get_data(as_text=True)
    assert "Which document should we deliver?" in page and 'href="/documents"' in page  # the back link
    answer_all(auth)
    check = client.get("/documents/new/check").get_data(as_text=True)
    assert "3510********0001" in check and "3510011208850001" not in check
    assert check.count(">Change<") == 8
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', check).group(1)
    done = auth.post("/documents/new/check", {"key": key}, page="/documents/new/check")
    assert done.status_code == 302
    assert count(db) == 1
    confirmation = client.get(done.headers["Location"]).get_data(as_text=True)
    assert re.search(r"MPP-\d{4}-\d{6}", confirmation)
    assert "What happens next" in confirmation
    # The same form sent again (a double click, the back button) makes no second request.
    again = auth.post("/documents/new/check", {"key": key}, page="/documents")
    assert again.status_code == 302 and again.headers["Location"] == done.headers["Location"]
    assert count(db) == 1


def test_a_refused_answer_keeps_what_was_typed_and_says_why(signed_in, client):
    auth = signed_in
    for path, data in ANSWERS[:2]:
        auth.post(path, data, page=path)
    response = auth.post(
        "/documents/new/holder",
        {"holder_name": "Budi Santoso", "nik": "3510013208850001", "kk_number": "3510010101200003"},
        page="/documents/new/holder",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and "birth date" in page
    assert 'value="3510013208850001"' in page and 'value="Budi Santoso"' in page


def test_a_pin_outside_the_regency_is_refused(signed_in):
    auth = signed_in
    for path, data in ANSWERS[:3]:
        auth.post(path, data, page=path)
    response = auth.post(
        "/documents/new/address",
        {"address": "Jl. Raya Gilimanuk 1, Jembrana, Bali", "latitude": "-8.17", "longitude": "114.43"},
        page="/documents/new/address",
    )
    assert response.status_code == 422
    assert "outside Kabupaten Banyuwangi" in response.get_data(as_text=True)


def test_a_second_open_request_for_the_same_number_is_refused_and_keeps_the_answers(signed_in, client, db, resident):
    first = submitted(resident, registration_number="3510-20261204-0042")
    db.session.commit()
    answer_all(signed_in)
    check = client.get("/documents/new/check").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', check).group(1)
    refused = signed_in.post("/documents/new/check", {"key": key}, page="/documents/new/check")
    assert refused.status_code == 422
    assert f"follow request {first.reference}" in refused.get_data(as_text=True)
    assert count(db) == 1
    assert "3510-20261204-0042" in client.get("/documents/new/check").get_data(as_text=True)  # nothing lost


def test_the_question_count_counts_the_questions_only(signed_in, client):
    assert "Question 1 of 6" in client.get("/documents/new").get_data(as_text=True)  # a KTP-el: no payment
    for path, data in ANSWERS[:-1]:
        signed_in.post(path, data, page=path)
    assert "Question 6 of 6" in client.get("/documents/new/receivers").get_data(as_text=True)


def test_skipping_ahead_goes_back_to_the_first_unanswered_question(signed_in, client):
    signed_in.post(*ANSWERS[0], page="/documents/new")
    response = client.get("/documents/new/phone")
    assert response.status_code == 302 and response.headers["Location"].endswith("/documents/new/registration")


def test_change_returns_to_check_your_answers(signed_in, client):
    auth = signed_in
    answer_all(auth)
    page = client.get("/documents/new/phone?change=1").get_data(as_text=True)
    assert 'href="/documents/new/check"' in page  # back goes to the check page
    response = auth.post("/documents/new/phone?change=1", {"phone": "081299998888"}, page="/documents/new/check")
    assert response.headers["Location"].endswith("/documents/new/check")
    assert "0812-9999-8888" in client.get("/documents/new/check").get_data(as_text=True)


def test_a_certificate_asks_how_to_pay(signed_in, client):
    auth = signed_in
    auth.post("/documents/new", {"document_type": "akta_kelahiran"}, page="/documents/new")
    for path, data in ANSWERS[1:]:
        auth.post(path, data, page=path)
    page = client.get("/documents/new/payment").get_data(as_text=True)
    assert "How will you pay for the delivery?" in page and "Rp" in page


def test_a_resident_cannot_open_anothers_request(client, auth, db, resident):
    request = submitted(resident)
    stranger = UserFactory()
    db.session.commit()
    auth.login(stranger)
    assert client.get(f"/documents/{request.id}").status_code == 404
    assert client.get(f"/documents/{request.id}/confirmation").status_code == 404
    assert auth.post(f"/documents/{request.id}/cancel", page="/documents").status_code == 404


def test_the_request_page_polls_with_304_when_nothing_changed(signed_in, client, db, resident):
    request = submitted(resident)
    db.session.commit()
    first = client.get(f"/documents/{request.id}", headers={"HX-Request": "true"})
    assert first.status_code == 200 and "Submitted" in first.get_data(as_text=True)
    again = client.get(
        f"/documents/{request.id}", headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_the_resident_cancels_from_the_page_only_after_saying_yes(signed_in, client, db, resident):
    request = submitted(resident)
    db.session.commit()
    page = client.get(f"/documents/{request.id}").get_data(as_text=True)
    assert 'data-confirm="Cancel this request?"' in page and "Yes, cancel this request" in page
    one_tap = signed_in.post(f"/documents/{request.id}/cancel", page=f"/documents/{request.id}")
    assert one_tap.status_code == 302
    db.session.refresh(request)
    assert request.status == "submitted"  # one tap without JS cancels nothing
    assert "Tick “Yes, cancel this request” to cancel it." in client.get(f"/documents/{request.id}").get_data(
        as_text=True
    )
    response = signed_in.post(f"/documents/{request.id}/cancel", {"sure": "y"}, page=f"/documents/{request.id}")
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.status == "cancelled"


def test_the_request_is_on_my_activity(signed_in, client, db, resident):
    request = submitted(resident)
    db.session.commit()
    page = client.get("/my/activity").get_data(as_text=True)
    assert request.reference in page and "Document delivery" in page


def test_the_questions_speak_indonesian_too(client, auth, db):
    budi = UserFactory(locale="id")
    db.session.commit()
    auth.login(budi)
    page = client.get("/documents/new").get_data(as_text=True)
    assert "Dokumen apa yang perlu kami antar?" in page and "Kembali" in page
    # The choices too (they were the English glosses, made once at import).
    assert "KIA (Kartu Identitas Anak)" in page and "Kartu Keluarga (KK)" in page
    assert "identity card" not in page and "birth certificate" not in page


def test_a_death_certificate_goes_only_to_named_family(signed_in, client, db, resident):
    auth = signed_in
    auth.post("/documents/new", {"document_type": "akta_kematian"}, page="/documents/new")
    for path, data in ANSWERS[1:5]:
        auth.post(path, data, page=path)
    page = client.get("/documents/new/receivers").get_data(as_text=True)
    assert "Only the holder" not in page
    refused = auth.post("/documents/new/receivers", {"who": "holder", "family": ""}, page="/documents/new/receivers")
    assert refused.status_code == 422 and "Name at least one family member" in refused.get_data(as_text=True)
    auth.post("/documents/new/receivers", {"who": "family", "family": "Siti Aminah"}, page="/documents/new/receivers")
    auth.post("/documents/new/payment", {"payment_method": "cash"}, page="/documents/new/payment")
    check = client.get("/documents/new/check").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', check).group(1)
    auth.post("/documents/new/check", {"key": key}, page="/documents/new/check")
    request = db.session.scalar(select(DocumentRequest))
    assert request.receiver_names == ["Siti Aminah"]


def test_family_chosen_without_a_name_is_refused(signed_in):
    auth = signed_in
    for path, data in ANSWERS[:5]:
        auth.post(path, data, page=path)
    refused = auth.post("/documents/new/receivers", {"who": "family", "family": " "}, page="/documents/new/receivers")
    assert refused.status_code == 422 and "Name at least one family member" in refused.get_data(as_text=True)


def test_an_unverified_phone_is_verified_before_a_request(client, auth, db):
    newcomer = UserFactory(phone_verified_at=None)
    db.session.commit()
    auth.login(newcomer)
    for path in ("/documents/new", "/documents/new/registration", "/documents/new/check"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/phone" in response.headers["Location"], path
