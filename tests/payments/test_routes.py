"""The shared card page and its confirm call, the receipt, who may see what."""

from __future__ import annotations

import pytest

from portal import reasons
from portal.payments.models import Payment, PaymentMethod, PaymentStatus
from portal.payments.services import mark_cash_received, refund
from tests.factories import UserFactory
from tests.payments.helpers import DECLINED_CARD, card_token, start


def confirm(auth, payment, token):
    return auth.post(
        f"/payments/{payment.id}/confirm",
        {"token": token, "amount": "1"},  # a tampered amount in the form is ignored
        page=f"/payments/{payment.id}/pay",
        headers={"Accept": "application/json"},
    )


def test_the_pay_page_shows_the_amount_and_loads_stripe_js(app, client, auth, customer, payment):
    client.get("/no-such-page")  # the app's first response fixes the CSP: Stripe must be in it already
    auth.login(customer)
    response = client.get(f"/payments/{payment.id}/pay")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Rp42.500" in html and "2 items from Warung Bu Sri" in html
    assert f'src="{app.config["STRIPE_JS_URL"]}"' in html
    assert 'data-publishable-key="pk_test_gancang"' in html
    assert payment.client_secret not in html
    csp = response.headers["Content-Security-Policy"]
    assert app.config["STRIPE_API_BASE"] in csp.split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in csp


def test_paying_by_card_goes_to_the_return_url_and_ignores_a_tampered_amount(
    app, db, client, auth, customer, payment, signal_log
):
    auth.login(customer)
    response = confirm(auth, payment, card_token(app))

    assert response.status_code == 200
    assert response.json == {"redirect": "/my/activity"}
    db.session.refresh(payment)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.amount == 42_500
    assert signal_log.count("succeeded") == 1
    # The card page of a paid payment sends the customer on.
    assert client.get(f"/payments/{payment.id}/pay").headers["Location"] == "/my/activity"


def test_a_declined_card_shows_the_message_and_the_page_offers_a_retry(app, db, client, auth, customer, payment):
    auth.login(customer)
    response = confirm(auth, payment, card_token(app, DECLINED_CARD))

    assert response.status_code == 200 and response.json["declined"] is True
    assert response.json["error"] == "Your card was declined. Nothing was charged; please try another card."
    html = client.get(f"/payments/{payment.id}/pay").get_data(as_text=True)
    assert "Your card was declined" in html and "Try again: pay Rp42.500" in html


def test_the_decline_message_is_in_indonesian_for_indonesian_users(app, db, client, auth, customer, payment):
    customer.locale = "id"
    db.session.commit()
    auth.login(customer)
    response = confirm(auth, payment, card_token(app, DECLINED_CARD))

    assert response.json["error"] == "Kartu Anda ditolak. Tidak ada yang ditagih; silakan coba kartu lain."


def test_nobody_else_sees_or_pays_the_payment(app, db, client, auth, payment):
    other = UserFactory()
    db.session.commit()
    assert client.get(f"/payments/{payment.id}/pay").status_code == 302  # to the login page
    auth.login(other)
    assert client.get(f"/payments/{payment.id}/pay").status_code == 404
    assert client.get(f"/payments/{payment.id}").status_code == 404
    assert confirm(auth, payment, card_token(app)).status_code == 404


def test_without_javascript_the_form_explains_itself(app, client, auth, customer, payment):
    auth.login(customer)
    response = auth.post(f"/payments/{payment.id}/confirm", {}, page=f"/payments/{payment.id}/pay")
    assert response.headers["Location"] == f"/payments/{payment.id}/pay"
    assert "Paying by card needs JavaScript" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_receipt_in_both_languages(app, db, client, auth, customer, payment):
    auth.login(customer)
    confirm(auth, payment, card_token(app))
    html = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert "Payment receipt" in html and "Rp42.500" in html and "Paid" in html and "WIB" in html

    customer.locale = "id"
    db.session.commit()
    html = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert "Bukti pembayaran" in html and "Rp42.500" in html and "Lunas" in html


def test_the_receipt_history_shows_each_move_once_with_its_amount(app, db, client, auth, customer):
    payment = start(customer, PaymentMethod.CASH, payable_id=8)
    mark_cash_received(payment, by=customer)
    refund(payment, amount=5_000, reason="one dish sold out")
    db.session.commit()
    auth.login(customer)
    html = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    history = html.split('<ol class="timeline">')[1].split("</ol>")[0]

    assert history.count("<li>") == 3  # the note "refund of 5000 asked" (still at "Paid") is not a move
    assert "Waiting for payment" in history and "Paid · Rp25.000" in history and "Partly refunded · Rp5.000" in history
    assert history.count("Paid") == 1 and "refund of" not in history
    assert "one dish sold out" in html  # the refund's reason is in the refunds list, in the customer's words


@pytest.mark.parametrize(("locale", "said"), [("id", "Jalur Ijen ditutup"), ("en", "The Ijen route was closed")])
def test_a_reason_the_portal_wrote_reads_in_the_customers_language(app, db, client, auth, customer, locale, said):
    """Reasons the portal writes are stored in English (the audit trail reads the same for all)
    and shown translated; a person's own words stay as typed (the test above)."""
    payment = start(customer, PaymentMethod.CASH, payable_id=9)
    mark_cash_received(payment, by=customer)
    refund(payment, reason=reasons.ROUTE_CLOSED)
    customer.locale = locale
    db.session.commit()
    auth.login(customer)
    html = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    refunds = html.split("<h2>")[-2]  # the refunds' list, before the history
    assert said in refunds and reasons.ROUTE_CLOSED not in refunds
    assert db.session.get(Payment, payment.id).refunds[0].reason == "Ijen route closed"


def test_the_payment_shows_on_my_activity(app, client, auth, customer, payment):
    auth.login(customer)
    html = client.get("/my/activity").get_data(as_text=True)
    assert f"/payments/{payment.id}" in html and "Rp42.500" in html and "Waiting for payment" in html


def test_the_development_test_payable_leads_to_the_card_page(app, db, client, auth, customer):
    auth.login(customer)
    assert client.get("/payments/try").status_code == 404  # development only

    app.config["SEED_DEMO"] = True
    assert "4242 4242 4242 4242" in client.get("/payments/try").get_data(as_text=True)
    response = auth.post("/payments/try", page="/payments/try")
    [payment] = db.session.query(Payment).all()
    assert response.headers["Location"] == f"/payments/{payment.id}/pay"
    assert payment.amount == 25_000 and payment.return_url == f"/payments/{payment.id}"


REAL_STRIPE = {"STRIPE_API_BASE": "https://api.stripe.com", "STRIPE_JS_URL": "https://js.stripe.com/v3/"}


def _csp_directive(csp: str, name: str) -> list[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


@pytest.mark.parametrize("app", [REAL_STRIPE], indirect=True)
def test_with_real_stripe_the_policy_lets_3d_secure_frames_open(app, client):
    csp = client.get("/").headers["Content-Security-Policy"]
    frames, scripts = _csp_directive(csp, "frame-src"), _csp_directive(csp, "script-src")
    assert {"https://js.stripe.com", "https://hooks.stripe.com", "https://*.js.stripe.com"} <= set(frames)
    assert {"https://js.stripe.com", "https://*.js.stripe.com"} <= set(scripts)
    assert "https://api.stripe.com" in _csp_directive(csp, "connect-src")


def test_with_localstripe_the_policy_names_only_localstripe(app, client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "stripe.com" not in csp
