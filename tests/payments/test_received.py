"""After paying by card the customer lands on their order, ride or payment, and that page says
the money came in, once, in their language. And a receipt's history says "Paid" once, whoever
(the card page, the webhook, a replay, the page's own look-up, reconcile) reported it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.database import utcnow
from portal.food import services as food
from portal.payments.models import Payment, PaymentEvent, PaymentStatus
from portal.payments.services import payment_for, reconcile
from portal.rides import services as rides
from portal.rides.models import BookingStatus
from tests.food.factories import DishFactory, WarungFactory
from tests.payments.conftest import event_for, signed
from tests.payments.helpers import card_token
from tests.rides import factories as ride_factories

JSON = {"Accept": "application/json"}
HOMESTAY = {"address": "Osing Kemiren Homestay, Kemiren", "lat": -8.2127, "lng": 114.3204, "note": ""}


def pay_on_the_card_page(app, auth, payment) -> str:
    """What static/js/payments.js does: post the Stripe.js token, follow the answer's redirect."""
    answer = auth.post(
        f"/payments/{payment.id}/confirm", {"token": card_token(app)}, page=f"/payments/{payment.id}/pay", headers=JSON
    )
    assert answer.status_code == 200 and "redirect" in answer.json, answer.json
    return answer.json["redirect"]


@pytest.mark.parametrize(
    ("locale", "received"),
    [
        ("en", "Payment received: Rp42.500 by card. Thank you!"),
        ("id", "Pembayaran diterima: Rp42.500 dengan kartu. Terima kasih!"),
    ],
)
def test_the_page_after_paying_says_the_payment_was_received_once(
    app, db, client, auth, customer, payment, locale, received
):
    customer.locale = locale
    db.session.commit()
    auth.login(customer)
    landing = pay_on_the_card_page(app, auth, payment)

    assert landing == "/my/activity"
    assert received in client.get(landing).get_data(as_text=True)
    assert received not in client.get(landing).get_data(as_text=True)  # said once, not on every visit


def test_a_declined_card_does_not_say_received(app, db, client, auth, customer, payment):
    auth.login(customer)
    answer = auth.post(
        f"/payments/{payment.id}/confirm",
        {"token": card_token(app, "4000000000000002")},
        page=f"/payments/{payment.id}/pay",
        headers=JSON,
    )
    assert answer.json["declined"] is True
    assert "Payment received" not in client.get("/my/activity").get_data(as_text=True)


def test_a_food_order_paid_by_card_says_so_on_the_order(app, db, client, auth, customer, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    warung = WarungFactory()
    dish = DishFactory(warung=warung, name="Rujak Soto", price=25_000)
    db.session.commit()
    food.add_to_cart(customer, dish.id, 2)
    total = food.price_checkout(customer, warung.id, **HOMESTAY).total
    order = food.place_order(customer, warung.id, key="card-1", payment_method="card", expected_total=total, **HOMESTAY)
    db.session.commit()
    auth.login(customer)

    landing = pay_on_the_card_page(app, auth, payment_for(food.PAYABLE, order.id))
    html = client.get(landing).get_data(as_text=True)

    assert landing == f"/orders/{order.id}"
    assert f"Payment received: Rp{total:,}".replace(",", ".") in html
    db.session.refresh(order)
    assert order.status == "placed"


def test_a_ride_paid_by_card_says_so_on_the_booking(app, db, client, auth, customer):
    night = rides.next_bookable_night() + timedelta(days=2)
    package = ride_factories.package()
    driver = ride_factories.driver()
    ride_factories.available(driver, night)
    booking = ride_factories.book(customer, package, night)
    rides.start_payment(booking)
    db.session.commit()
    customer.locale = "id"
    db.session.commit()
    auth.login(customer)

    landing = pay_on_the_card_page(app, auth, rides.payment_of(booking))
    html = client.get(landing).get_data(as_text=True)

    assert landing == f"/rides/bookings/{booking.id}"
    assert "Pembayaran diterima: Rp350.000 dengan kartu. Terima kasih!" in html
    db.session.refresh(booking)
    assert booking.state == BookingStatus.CONFIRMED


# --- "Paid" once ---------------------------------------------------------------------------------


def history(html: str) -> str:
    return html.split('<ol class="timeline">')[1].split("</ol>")[0]


def succeeded_rows(db, payment) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(PaymentEvent)
        .where(PaymentEvent.payment_id == payment.id, PaymentEvent.status == PaymentStatus.SUCCEEDED.value)
    )


def test_paid_is_written_and_shown_once_whoever_reports_it(app, db, client, auth, customer, payment, signal_log):
    auth.login(customer)
    pay_on_the_card_page(app, auth, payment)  # the card page's confirm moves it to paid
    succeeded = event_for(app, payment.intent_id, "payment_intent.succeeded")
    for event in (succeeded, succeeded, event_for(app, payment.intent_id, "charge.succeeded")):
        payload, headers = signed(event)  # the webhook, its replay, and Stripe's other event
        assert client.post("/webhooks/stripe", data=payload, headers=headers).status_code == 200
    assert reconcile(now=utcnow() + timedelta(minutes=10))["payments"] == 0
    html = client.get(f"/payments/{payment.id}").get_data(as_text=True)  # the receipt looks the intent up too

    assert succeeded_rows(db, payment) == 1 and signal_log.count("succeeded") == 1
    assert history(html).count("Paid") == 1
    customer.locale = "id"
    db.session.commit()
    assert history(client.get(f"/payments/{payment.id}").get_data(as_text=True)).count("Lunas") == 1


def test_a_paid_move_recorded_twice_still_reads_paid_once(app, db, client, auth, customer, payment):
    """A history that holds the same move twice (a row copied by an old import, or written by two
    reporters before the row lock) still tells the customer once: "Paid" cannot follow "Paid"."""
    auth.login(customer)
    pay_on_the_card_page(app, auth, payment)
    paid = db.session.get(Payment, payment.id)
    first = next(e for e in paid.events if e.status == PaymentStatus.SUCCEEDED)
    db.session.add(
        PaymentEvent(
            payment=paid,
            from_status=PaymentStatus.PENDING.value,
            status=PaymentStatus.SUCCEEDED.value,
            source="webhook",
            amount=paid.amount,
            at=first.at,
        )
    )
    db.session.commit()

    lines = history(client.get(f"/payments/{payment.id}").get_data(as_text=True))
    assert lines.count("<li>") == 2 and lines.count("Paid") == 1
