"""A customer pays by card in Chromium through the shared card page (Stripe.js served by the
real localstripe process), is sent on to the receipt; a declined card shows its message and
the retry works. axe-clean."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.services import receipt_url, start_payment
from tests.browser.conftest import assert_accessible, login, pay_by_card
from tests.factories import DEMO_PASSWORD, UserFactory


def make_payment(app, db, customer, payable_id=1):
    with app.test_request_context("/"):
        payment = start_payment(
            payable_type="test_order",
            payable_id=payable_id,
            customer=customer,
            amount=37_500,
            method=PaymentMethod.CARD,
            return_url="/",
            description="Nasi tempong ×2",
        )
        payment.return_url = receipt_url(payment)
    db.session.commit()
    return payment


def test_pay_by_card_after_a_declined_card(app, db, page):
    customer = UserFactory(locale="en", email="tourist@example.com")
    db.session.commit()
    payment = make_payment(app, db, customer)
    login(page, "tourist@example.com", DEMO_PASSWORD)

    page.goto(f"/payments/{payment.id}/pay")
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()
    expect(page.get_by_text("Rp37.500").first).to_be_visible()
    expect(page.locator("#card-element input")).to_have_count(5)
    assert_accessible(page)

    pay_by_card(page, "Rp37.500", "4000000000000002")
    expect(page.get_by_role("alert")).to_have_text(
        "Your card was declined. Nothing was charged; please try another card."
    )
    db.session.rollback()
    assert db.session.get(type(payment), payment.id).status == PaymentStatus.FAILED
    assert_accessible(page)

    pay_by_card(page, "Rp37.500", "4242424242424242")
    expect(page.get_by_role("heading", name="Payment receipt")).to_be_visible()
    expect(page.get_by_text("Paid", exact=True)).to_be_visible()
    expect(page.get_by_text("Nasi tempong ×2")).to_be_visible()
    assert page.url.endswith(f"/payments/{payment.id}")
    assert_accessible(page)
    db.session.rollback()
    assert db.session.get(type(payment), payment.id).status == PaymentStatus.SUCCEEDED


def test_a_card_that_asks_for_3d_secure_pays_after_authentication(app, db, page):
    customer = UserFactory(locale="en", email="tourist@example.com")
    db.session.commit()
    payment = make_payment(app, db, customer, payable_id=2)
    login(page, "tourist@example.com", DEMO_PASSWORD)

    page.goto(f"/payments/{payment.id}/pay")
    pay_by_card(page, "Rp37.500", "4000002500003155")
    # localstripe's stand-in for the bank's 3-D Secure window.
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Payment receipt")).to_be_visible()
    db.session.rollback()
    assert db.session.get(type(payment), payment.id).status == PaymentStatus.SUCCEEDED
