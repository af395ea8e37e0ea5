"""What a customer reads when a card does not pay: a sentence in the page's language chosen from
Stripe's decline code, code or type; never the provider's English ("Bad request")."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from flask_babel import force_locale

from portal.payments.declines import card_error_message, client_messages, decline_message
from portal.payments.models import PaymentStatus
from portal.payments.services import confirm_card
from portal.payments.services.moves import apply_intent
from tests.payments.helpers import card_token

DECLINED_EN = "Your card was declined. Nothing was charged; please try another card."
DECLINED_ID = "Kartu Anda ditolak. Tidak ada yang ditagih; silakan coba kartu lain."
GENERIC_EN = (
    "The card payment did not go through. Nothing was charged; please check your card details or try another card."
)
GENERIC_ID = (
    "Pembayaran kartu tidak berhasil. Tidak ada yang ditagih; silakan periksa data kartu Anda atau coba kartu lain."
)
# localstripe declines this card when it is charged (the confirm), not when it is saved.
DECLINED_AT_CHARGE = "4000000000000341"


def confirm(auth, payment, token):
    return auth.post(
        f"/payments/{payment.id}/confirm",
        {"token": token},
        page=f"/payments/{payment.id}/pay",
        headers={"Accept": "application/json"},
    )


@pytest.mark.parametrize(
    ("error", "english", "indonesian"),
    [
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"},
            "Your card has insufficient funds. Please use another card.",
            "Saldo kartu Anda tidak cukup. Silakan gunakan kartu lain.",
        ),
        (
            {"type": "card_error", "code": "expired_card"},
            "Your card has expired. Please use another card.",
            "Kartu Anda sudah kedaluwarsa. Silakan gunakan kartu lain.",
        ),
        (
            {"type": "validation_error", "code": "incomplete_number"},
            "The card number is not valid. Please check it and try again.",
            "Nomor kartu tidak valid. Silakan periksa dan coba lagi.",
        ),
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "stolen_card"},
            DECLINED_EN,  # Stripe's advice: never tell the person at the till the card is reported stolen
            DECLINED_ID,
        ),
        (
            {"type": "card_error", "code": "payment_intent_authentication_failure"},
            "Your bank did not confirm this payment. Nothing was charged; please try again and finish your "
            "bank's check, or use another card.",
            "Bank Anda tidak mengonfirmasi pembayaran ini. Tidak ada yang ditagih; silakan coba lagi dan "
            "selesaikan pemeriksaan dari bank Anda, atau gunakan kartu lain.",
        ),
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "a_code_stripe_adds_next_year"},
            DECLINED_EN,  # an unknown decline code: still a decline, by its type
            DECLINED_ID,
        ),
        ({"type": "invalid_request_error", "message": "Bad request"}, GENERIC_EN, GENERIC_ID),
        ({"message": "Bad request"}, GENERIC_EN, GENERIC_ID),
        (None, GENERIC_EN, GENERIC_ID),
    ],
)
def test_each_stripe_error_reads_as_a_sentence_in_both_languages(error, english, indonesian):
    with force_locale("en"):
        assert str(card_error_message(error)) == english
    with force_locale("id"):
        assert str(card_error_message(error)) == indonesian
        assert "Bad request" not in str(card_error_message(error))


def test_a_stored_decline_code_nobody_knows_reads_as_a_plain_decline():
    with force_locale("id"):
        assert str(decline_message("something_new")) == DECLINED_ID
        assert str(decline_message(None)) == DECLINED_ID


def test_every_sentence_has_its_indonesian():
    """The card page's script gets every sentence: none may fall back to English in Indonesian."""
    with force_locale("en"):
        english = client_messages()["sentences"]
    with force_locale("id"):
        indonesian = client_messages()["sentences"]
    assert len(english) == len(indonesian) >= 10
    assert not set(english) & set(indonesian)


def test_a_token_the_provider_refuses_is_said_in_indonesian_not_in_the_providers_english(
    app, db, client, auth, customer, payment
):
    customer.locale = "id"
    db.session.commit()
    auth.login(customer)
    response = confirm(auth, payment, "tok_that_the_provider_never_issued")

    assert response.status_code == 503
    assert response.json["error"] == GENERIC_ID
    assert "No such" not in response.get_data(as_text=True) and "Bad request" not in response.get_data(as_text=True)
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.PENDING  # nothing was charged, nothing moved


def test_a_card_declined_when_charged_says_so_in_english_and_on_the_receipt(app, db, client, auth, customer, payment):
    auth.login(customer)
    response = confirm(auth, payment, card_token(app, DECLINED_AT_CHARGE))

    assert response.json == {"error": DECLINED_EN, "declined": True}
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.FAILED and payment.failure_code == "card_declined"
    receipt = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert DECLINED_EN in receipt and "Your card was declined." in receipt


def test_the_receipt_and_card_page_say_a_stored_decline_in_the_readers_language(
    app, db, client, auth, customer, payment
):
    payment.status = PaymentStatus.FAILED
    payment.failure_code = "expired_card"
    customer.locale = "id"
    db.session.commit()
    auth.login(customer)

    for url in (f"/payments/{payment.id}", f"/payments/{payment.id}/pay"):
        html = client.get(url).get_data(as_text=True)
        assert "Kartu Anda sudah kedaluwarsa. Silakan gunakan kartu lain." in html
        assert "Your card has expired" not in html


def test_the_card_page_gives_its_script_the_sentences_in_the_page_language(app, db, client, auth, customer, payment):
    customer.locale = "id"
    db.session.commit()
    auth.login(customer)
    html = client.get(f"/payments/{payment.id}/pay").get_data(as_text=True)

    messages = json.loads(unescape(re.search(r'data-messages="([^"]*)"', html).group(1)))
    sentences = messages["sentences"]
    assert (
        sentences[messages["codes"]["incomplete_number"]] == "Nomor kartu tidak valid. Silakan periksa dan coba lagi."
    )
    assert sentences[messages["types"]["card_error"]] == DECLINED_ID
    assert sentences[messages["details"]].startswith("Silakan periksa data kartu Anda")
    assert "Bad request" not in html and "data-declined" not in html


def test_a_second_decline_says_why_this_attempt_failed(app, db, customer, payment, signal_log):
    """Declined once, then the bank's 3-D Secure check fails on the next try: the payment stays
    "declined" (no second move, no second signal), and the customer reads the newer reason."""
    confirm_card(payment, card_token(app, "4000000000000002"))
    db.session.commit()
    assert payment.failure_code == "card_declined"
    moves, declines = len(payment.history), signal_log.count("failed")
    intent = {
        "status": "requires_payment_method",
        "last_payment_error": {"code": "payment_intent_authentication_failure"},
    }

    assert apply_intent(payment, intent, source="checkout") is False
    db.session.commit()
    assert payment.state == PaymentStatus.FAILED and payment.failure_code == "payment_intent_authentication_failure"
    assert payment.failure_message.startswith("Your bank did not confirm this payment.")
    assert len(payment.history) == moves and signal_log.count("failed") == declines
