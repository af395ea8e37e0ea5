"""A customer pays by card in Chromium through the shared card page (Stripe.js served by the
real localstripe process), is sent on to the receipt; a declined card shows its message and
the retry works; every error reads in the page's language, never the provider's English; the
page after paying says the payment was received; without JavaScript a medicine fare can be
paid in cash instead. axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.accounts.services import find_by_email
from portal.formatting import rupiah
from portal.medicine import services as medicine
from portal.medicine.models import MedicineDelivery
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.services import receipt_url, start_payment
from tests.browser.conftest import PHONE, assert_accessible, login, pay_by_card, watch_errors
from tests.browser.test_medicine import seeded
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


def fill_card(page, number: str) -> None:
    card = page.locator("#card-element")
    for field, value in (("number", number), ("exp_month", "12"), ("exp_year", "31"), ("cvc", "123")):
        card.locator(f"input[placeholder={field}]").fill(value)
    card.locator("input[placeholder=postal_code]").fill("68411")
    page.locator("#pay-button").click()


@pytest.fixture
def card_page(browser, live_server):
    """The `page` fixture, except that localstripe's 400 to a mistyped card's token is expected:
    Stripe.js reports it to the page, which must say it in the customer's words."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = watch_errors(page, console=False, allowed=lambda r: r.url.endswith("/v1/tokens"))
    yield page
    context.close()
    assert not errors, f"browser errors: {errors}"


def test_card_errors_and_payment_received_in_indonesian(app, db, card_page):
    """What the provider answers in English ("Bad request" for a mistyped card, a decline, a
    failed 3-D Secure check) reads as a sentence in Indonesian; after paying, the page says so."""
    page = card_page
    customer = UserFactory(locale="id", email="warga@example.com")
    db.session.commit()
    payment = make_payment(app, db, customer, payable_id=3)
    login(page, "warga@example.com", DEMO_PASSWORD)
    page.goto(f"/payments/{payment.id}/pay")
    expect(page.get_by_role("heading", name="Bayar dengan kartu")).to_be_visible()

    fill_card(page, "424242424242424")  # one digit short: localstripe answers "Bad request"
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "Silakan periksa data kartu Anda (nomor kartu, bulan dan tahun kedaluwarsa, CVC, dan kode pos), "
        "lalu coba lagi. Tidak ada yang ditagih."
    )
    expect(page.get_by_text("Bad request")).to_have_count(0)
    assert_accessible(page)

    fill_card(page, "4000000000000002")
    expect(alert).to_have_text("Kartu Anda ditolak. Tidak ada yang ditagih; silakan coba kartu lain.")

    fill_card(page, "4000002500003155")  # asks for 3-D Secure; the customer fails the bank's check
    page.get_by_role("button", name="Fail authentication").click()
    expect(alert).to_contain_text("Bank Anda tidak mengonfirmasi pembayaran ini.")
    expect(page.locator("main")).not_to_contain_text("authentication")
    assert_accessible(page)

    fill_card(page, "4242424242424242")
    expect(page.get_by_role("heading", name="Bukti pembayaran")).to_be_visible()
    expect(page.get_by_text("Pembayaran diterima: Rp37.500 dengan kartu. Terima kasih!")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("Lunas")
    assert page.locator("ol.timeline").inner_text().count("Lunas") == 1
    assert_accessible(page)
    db.session.rollback()
    assert db.session.get(type(payment), payment.id).status == PaymentStatus.SUCCEEDED


def test_a_mistyped_card_and_payment_received_in_english(app, db, card_page):
    page = card_page
    customer = UserFactory(locale="en", email="tourist@example.com")
    db.session.commit()
    payment = make_payment(app, db, customer, payable_id=4)
    login(page, "tourist@example.com", DEMO_PASSWORD)
    page.goto(f"/payments/{payment.id}/pay")

    fill_card(page, "4242")
    expect(page.get_by_role("alert")).to_have_text(
        "Please check your card details (card number, expiry month and year, CVC and postal code) and try again. "
        "Nothing was charged."
    )
    pay_by_card(page, "Rp37.500")
    expect(page.get_by_text("Payment received: Rp37.500 by card. Thank you!")).to_be_visible()
    assert_accessible(page)


def test_a_patient_without_javascript_pays_the_fare_in_cash_instead(app, db, browser, live_server):
    """The card page needs JavaScript; its way out does not: the patient's link offers cash to
    the courier, asks first, and says what happens."""
    seeded(db)
    pharmacist = find_by_email("pharmacist@example.com")
    with app.test_request_context("/"):
        delivery = medicine.register(
            medicine.hospital_of(pharmacist),
            medicine.Registration(
                patient_name="Pak Darmaji",
                phone="0812 3456 7001",
                prescription_number="RX-2026-0777",
                address="Dusun Krajan RT 02, Kemiren, Glagah",
                lat=-8.2127,
                lng=114.3204,
                fare_class="paid",
                payment_method="card",
            ),
            by=pharmacist,
            key="browser-cash-instead",
        )
    db.session.commit()
    token, fare = delivery.issued_token, rupiah(delivery.fee)
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page = context.new_page()

    page.goto(f"/medicine/{token}")
    page.get_by_role("button", name="Pay by card").click()
    # (Playwright's JavaScript switch does not render <noscript>: its text is checked in tests/medicine.)
    expect(page.get_by_text("No card at hand, or JavaScript turned off?")).to_be_visible()
    page.get_by_role("button", name=f"Pay {fare} in cash to the courier instead").click()
    expect(page.get_by_role("heading", name=f"Pay {fare} in cash to the courier instead?")).to_be_visible()
    # axe runs as a script: the same question checked on a page that runs scripts (in Indonesian).
    checker = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-US")
    checked = checker.new_page()
    checked.goto(f"/medicine/{token}/cash")
    expect(checked.get_by_role("heading", name=f"Bayar {fare} tunai ke kurir saja?")).to_be_visible()
    expect(checked.get_by_role("button", name="Ya, saya bayar tunai")).to_be_visible()
    assert_accessible(checked)
    checker.close()

    page.get_by_role("button", name="Yes, I pay in cash").click()
    expect(page.get_by_text(f"You pay {fare} in cash to the courier when your medicine arrives.")).to_be_visible()
    expect(page.locator(".medicine-fare")).to_contain_text(f"Delivery fare: {fare}, in cash to the courier.")
    context.close()
    db.session.rollback()
    assert db.session.get(MedicineDelivery, delivery.id).payment_method == "cash"
