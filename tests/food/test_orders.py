"""Checkout and every order move, through the real couriers and payments modules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import event

from portal import notify
from portal.couriers import services as couriers
from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from portal.database import utcnow
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import CartItem, FoodOrder, FoodOrderEvent, OrderStatus
from portal.formatting import rupiah
from portal.payments.models import PaymentStatus
from portal.payments.services import confirm_card, payment_for, sync_payment
from portal.workflow import IllegalMove
from tests.conftest import AuthActions
from tests.couriers.factories import make_driver
from tests.food.factories import DishFactory, WarungFactory
from tests.payments.helpers import card_token

HOMESTAY = {"address": "Osing Kemiren Homestay, Kemiren", "lat": -8.2127, "lng": 114.3204, "note": "blue gate"}


def checkout_total(customer, warung) -> int:
    return food.price_checkout(customer, warung.id, **HOMESTAY).total


def place(customer, warung, method="cash", key="k1", **kwargs):
    order = food.place_order(
        customer,
        warung.id,
        key=key,
        payment_method=method,
        expected_total=checkout_total(customer, warung),
        **HOMESTAY,
        **kwargs,
    )
    _db.session.commit()
    return order


@pytest.fixture
def cart(db, customer, dishes):
    food.add_to_cart(customer, dishes[0].id, 2)
    food.add_to_cart(customer, dishes[2].id, 1)
    db.session.commit()
    return dishes


@pytest.fixture
def placed(db, customer, warung, cart):
    return place(customer, warung)


def pay_by_card(app, order):
    payment = payment_for(food.PAYABLE, order.id)
    confirm_card(payment, card_token(app))
    _db.session.commit()
    sync_payment(payment)
    _db.session.commit()
    return payment


def statuses(order) -> list[str]:
    return [e.status for e in order.events]


def test_cash_order_is_placed_at_once_with_totals_and_an_empty_cart(db, customer, warung, placed):
    order = placed
    assert order.state == OrderStatus.PLACED
    assert order.subtotal == 2 * 25000 + 8000
    assert order.delivery_fee > 0 and order.total == order.subtotal + order.delivery_fee
    assert [(i.name, i.quantity, i.price) for i in order.items] == [("Rujak Soto", 2, 25000), ("Es Temulawak", 1, 8000)]
    assert db.session.query(CartItem).count() == 0
    assert statuses(order) == ["placed"]  # a cash order never waited for a payment
    assert payment_for(food.PAYABLE, order.id).status == PaymentStatus.PENDING
    texts = [m.text for m in notify.outbox if m.user_id == customer.id]
    assert any(f"Order {order.id} placed" in t for t in texts)
    assert any(f"Pesanan baru {order.id}" in m.text for m in notify.outbox if m.user_id == warung.owner_id)


def test_card_order_waits_for_payment_then_is_placed_by_the_signal(app, db, customer, warung, cart):
    order = place(customer, warung, method="card")
    assert order.state == OrderStatus.AWAITING_PAYMENT
    payment = pay_by_card(app, order)
    db.session.refresh(order)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.state == OrderStatus.PLACED and order.placed_at is not None


def test_same_key_makes_one_order(db, customer, warung, cart):
    total = checkout_total(customer, warung)
    first = place(customer, warung, key="same")
    again = food.place_order(customer, warung.id, key="same", payment_method="cash", expected_total=total, **HOMESTAY)
    assert again.id == first.id
    assert db.session.query(FoodOrder).count() == 1


def test_changed_price_shows_the_new_total_first(db, customer, warung, cart):
    seen = checkout_total(customer, warung)
    cart[0].price = 27000
    db.session.commit()
    with pytest.raises(food.TotalChanged) as changed:
        food.place_order(customer, warung.id, key="k", payment_method="cash", expected_total=seen, **HOMESTAY)
    assert changed.value.checkout.total == seen + 2 * 2000
    db.session.rollback()
    assert db.session.query(FoodOrder).count() == 0 and db.session.query(CartItem).count() == 2


def test_closed_warung_and_sold_out_dish_refuse_checkout(db, customer, warung, cart):
    total = checkout_total(customer, warung)
    food.set_sold_out(cart[2], True)
    with pytest.raises(food.FoodError, match="Es Temulawak"):
        food.place_order(customer, warung.id, key="k", payment_method="cash", expected_total=total, **HOMESTAY)
    food.set_sold_out(cart[2], False)
    food.set_closed_today(warung, True)
    with pytest.raises(food.FoodError, match="tutup"):
        food.place_order(customer, warung.id, key="k", payment_method="cash", expected_total=total, **HOMESTAY)


def test_accept_ready_pickup_deliver_with_pin_and_cash(app, client, auth, db, customer, warung, placed):
    order = placed
    food.accept_order(order, by=warung.owner)
    delivery = food.mark_ready(order, by=warung.owner)
    db.session.commit()
    assert order.state == OrderStatus.READY
    assert order.delivery_pin and len(order.delivery_pin) >= 4
    pin_message = next(m.text for m in notify.outbox if m.user_id == customer.id and order.delivery_pin in m.text)
    # No courier has accepted yet: the message must not promise one is coming.
    assert "mencarikan kurir" in pin_message or "finding a courier" in pin_message
    assert delivery.purpose == Purpose.FOOD and delivery.origin_id == order.id

    driver = make_driver()
    db.session.commit()
    delivery = couriers.find_delivery(Purpose.FOOD, order.id)
    couriers.accept_job(delivery, driver=driver)
    db.session.commit()
    # The driver is told to take the order's whole total in cash at the door.
    assert delivery.cash_to_collect == order.total > 0
    auth.login(driver)
    job = client.get(f"/courier/jobs/{delivery.id}").get_data(as_text=True)
    assert f"Bayar di tempat: tagih {rupiah(order.total)} tunai dari pelanggan." in job  # the driver reads Indonesian
    couriers.mark(delivery, DeliveryStatus.PICKING_UP, by=driver)
    couriers.mark(delivery, DeliveryStatus.PICKED_UP, by=driver)
    db.session.commit()
    db.session.refresh(order)
    assert order.state == OrderStatus.PICKED_UP
    with pytest.raises(couriers.CourierError):
        couriers.mark(
            delivery, DeliveryStatus.DELIVERED, by=driver, pin="000000" if order.delivery_pin != "000000" else "1"
        )
    db.session.commit()
    couriers.mark(delivery, DeliveryStatus.DELIVERED, by=driver, pin=order.delivery_pin)
    db.session.commit()
    db.session.refresh(order)
    assert order.state == OrderStatus.DELIVERED
    assert payment_for(food.PAYABLE, order.id).status == PaymentStatus.SUCCEEDED  # cash collected
    assert statuses(order) == ["placed", "accepted", "ready", "picked_up", "delivered"]

    food.rate_order(order, by=customer, warung_stars=5, courier_stars=4, comment="Mantap")
    db.session.refresh(warung)
    assert (warung.rating, warung.rating_count) == (5.0, 1)
    with pytest.raises(food.FoodError):
        food.rate_order(order, by=customer, warung_stars=1, courier_stars=1)


def test_reject_refunds_a_card_order(app, db, customer, warung, cart):
    order = place(customer, warung, method="card")
    pay_by_card(app, order)
    db.session.refresh(order)
    with pytest.raises(food.FoodError):
        food.reject_order(order, by=warung.owner, reason="  ")
    food.reject_order(order, by=warung.owner, reason="Habis")
    db.session.commit()
    assert order.state == OrderStatus.REJECTED and order.reason == "Habis"
    assert payment_for(food.PAYABLE, order.id).refunded_amount == order.total
    assert any("Habis" in m.text for m in notify.outbox if m.user_id == customer.id)


def test_a_card_paid_order_has_nothing_to_collect(app, db, customer, warung, cart):
    order = place(customer, warung, method="card")
    pay_by_card(app, order)
    db.session.refresh(order)
    food.accept_order(order, by=warung.owner)
    assert food.mark_ready(order, by=warung.owner).cash_to_collect == 0


def test_cancel_before_accepted_refunds_and_after_is_refused(app, db, customer, warung, cart):
    order = place(customer, warung, method="card")
    pay_by_card(app, order)
    db.session.refresh(order)
    food.cancel_order(order, by=customer)
    db.session.commit()
    assert order.state == OrderStatus.CANCELLED
    assert payment_for(food.PAYABLE, order.id).refunded_amount == order.total

    food.add_to_cart(customer, warung.dishes[0].id, 1)
    second = place(customer, warung, key="k2")
    food.accept_order(second, by=warung.owner)
    with pytest.raises(food.FoodError, match=r"tidak bisa dibatalkan|no longer"):
        food.cancel_order(second, by=customer)


def test_illegal_moves_raise_and_write_nothing(db, customer, warung, placed):
    events = db.session.query(FoodOrderEvent).count()
    with pytest.raises(IllegalMove):
        food.mark_ready(placed, by=warung.owner)
    other = WarungFactory()
    db.session.commit()
    with pytest.raises(food.FoodError):
        food.accept_order(placed, by=other.owner)
    db.session.rollback()
    assert db.session.query(FoodOrderEvent).count() == events
    assert placed.state == OrderStatus.PLACED


def test_delivery_failure_moves_the_order(db, customer, warung, placed):
    food.accept_order(placed, by=warung.owner)
    delivery = food.mark_ready(placed, by=warung.owner)
    db.session.commit()
    driver = make_driver()
    db.session.commit()
    couriers.accept_job(delivery, driver=driver)
    couriers.mark(delivery, DeliveryStatus.FAILED, by=driver, note="nobody home")
    db.session.commit()
    db.session.refresh(placed)
    assert placed.state == OrderStatus.DELIVERY_FAILED


def test_today_total_counts_only_live_orders(db, customer, warung, placed):
    assert food.today_total(warung) == (1, placed.subtotal)
    food.reject_order(placed, by=warung.owner, reason="Tutup")
    assert food.today_total(warung) == (0, 0)
    assert food.today_total(warung, now=utcnow() + timedelta(days=1)) == (0, 0)


# ---- HTTP


def checkout_form(auth, warung, **extra):
    return {
        "warung_id": warung.id,
        "address": HOMESTAY["address"],
        "latitude": "-8.2127",
        "longitude": "114.3204",
        "note": "",
        "payment_method": "cash",
        **extra,
    }


def test_checkout_over_http_reviews_then_places_one_order_even_when_double_clicked(
    client, auth, db, customer, warung, cart
):
    auth.login(customer)
    review = auth.post("/checkout", checkout_form(auth, warung), page="/cart")
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and "Place order" in html

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    total = re.search(r'name="expected_total" type="hidden" value="(\d+)"', html).group(1)
    data = checkout_form(auth, warung, token=token, expected_total=total)
    first = auth.post("/checkout", data, page="/cart")
    second = auth.post("/checkout", data, page="/cart")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(FoodOrder).count() == 1


def test_checkout_keeps_what_was_typed_on_errors(client, auth, db, customer, warung, cart):
    auth.login(customer)
    # No pin, and an address the geocoder does not know: asked for a better one, nothing lost.
    form = checkout_form(auth, warung, address="Rumah Pak Sugeng, dusun entah", latitude="", longitude="")
    response = auth.post("/checkout", {**form, "note": "gerbang biru"}, page="/cart")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "could not find this address on the map" in html
    assert 'value="gerbang biru"' in html and "Rumah Pak Sugeng, dusun entah" in html


def test_dish_from_another_warung_in_the_form_changes_nothing(client, auth, db, customer, dishes):
    stranger = DishFactory(name="Bakso")
    db.session.commit()
    auth.login(customer)
    auth.post("/cart/items", {"dish_id": stranger.id, "quantity": 1}, page="/")
    # The cart line belongs to the stranger's warung, never to the first one.
    line = db.session.query(CartItem).one()
    assert line.warung_id == stranger.warung_id


def test_order_page_polls_with_etag_and_304(client, auth, db, customer, warung, placed):
    auth.login(customer)
    url = f"/orders/{placed.id}"
    first = client.get(url, headers={"HX-Request": "true"})
    assert first.status_code == 200 and first.headers["ETag"]
    assert 'id="order-tracking"' in first.get_data(as_text=True)
    again = client.get(url, headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # What a cache needs to keep using the fragment it has: the same ETag, and what it varies on.
    assert again.headers["ETag"] == first.headers["ETag"]
    assert {"HX-Request", "Cookie"} <= {v.strip() for v in again.headers["Vary"].split(",")}
    food.accept_order(placed, by=warung.owner)
    db.session.commit()
    moved = client.get(url, headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200 and "Being cooked" in moved.get_data(as_text=True)
    # The shared timeline is in the polled fragment too: the status now, and the move in the list.
    timeline = moved.get_data(as_text=True).split('class="timeline"', 1)[1]
    assert "Placed" in timeline and "Being cooked" in timeline


def test_strangers_and_other_owners_get_404_on_orders(app, client, auth, db, placed):
    customer_tab = app.test_client()
    AuthActions(customer_tab).login(placed.customer)
    etag = customer_tab.get(f"/orders/{placed.id}", headers={"HX-Request": "true"}).headers["ETag"]
    other = WarungFactory()
    db.session.commit()
    auth.login(other.owner)
    assert client.get(f"/orders/{placed.id}").status_code == 404
    # Even holding the customer's ETag, the fast poll path tells a stranger nothing.
    polled = client.get(f"/orders/{placed.id}", headers={"HX-Request": "true", "If-None-Match": etag})
    assert polled.status_code == 404
    assert auth.post(f"/my/warung/orders/{placed.id}/accept", page="/my/warung/orders").status_code == 404


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            self.count += 1


def _count(client, url):
    counter = Counter()
    event.listen(_db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", counter)
    return counter.count


def test_order_page_and_owner_list_queries_do_not_grow_with_orders(client, auth, db, customer, warung, dishes):
    def make_orders(n, start):
        for i in range(n):
            food.add_to_cart(customer, dishes[i % 3].id, 1)
            order = place(customer, warung, key=f"bulk-{start + i}")
        return order

    last = make_orders(2, 0)
    auth.login(warung.owner)
    _count(client, "/my/warung/orders")
    few = _count(client, "/my/warung/orders")
    order_url = f"/orders/{last.id}"
    few_order = _count(client, order_url)
    make_orders(12, 100)
    assert _count(client, "/my/warung/orders") == few
    assert _count(client, order_url) == few_order


def test_owner_board_over_http(client, auth, db, customer, warung, placed):
    auth.login(warung.owner)
    html = client.get("/my/warung/orders").get_data(as_text=True)
    assert f'data-newest="{placed.id}"' in html and "Rujak Soto" in html
    auth.post(f"/my/warung/orders/{placed.id}/accept", page="/my/warung/orders")
    auth.post(f"/my/warung/orders/{placed.id}/ready", page="/my/warung/orders")
    db.session.refresh(placed)
    assert placed.state == OrderStatus.READY
    response = auth.post(f"/my/warung/orders/{placed.id}/reject", {"reason": ""}, page="/my/warung/orders")
    assert response.status_code == 302 and placed.state == OrderStatus.READY


def test_rejecting_a_cash_order_promises_no_refund(client, auth, db, warung, placed):
    auth.login(warung.owner)  # speaks Indonesian
    board = client.get("/my/warung/orders").get_data(as_text=True)
    assert ">Tolak</button>" in board and "kembalikan uang" not in board  # nothing was paid
    auth.post(f"/my/warung/orders/{placed.id}/reject", {"reason": "Habis"}, page="/my/warung/orders")
    html = client.get("/my/warung/orders").get_data(as_text=True)
    assert f"Pesanan {placed.id} ditolak; pelanggan sudah diberi tahu." in html and "dikembalikan" not in html


def test_activity_lists_the_order(client, auth, customer, placed):
    auth.login(customer)
    html = client.get("/my/activity").get_data(as_text=True)
    assert f"Order {placed.id} from" in html


def test_activity_lists_a_card_order_once_not_again_as_its_payment(client, auth, customer, warung, cart):
    """The walkthrough found every order twice: as the order and as its payment."""
    order = place(customer, warung, method="card")
    auth.login(customer)
    html = client.get("/my/activity").get_data(as_text=True)
    assert html.count(f"Order {order.id} from") == 1
    assert "/payments/" not in html


def test_the_fast_poll_and_the_full_render_agree_on_the_etag_through_a_delivery(
    client, auth, db, customer, warung, placed
):
    """The unchanged poll reads a few delivery columns; its ETag must be the full render's."""
    auth.login(customer)
    url = f"/orders/{placed.id}"
    hx = {"HX-Request": "true"}

    def poll_until_304(moves):
        etag = client.get(url, headers=hx).headers["ETag"].strip('"')
        again = client.get(url, headers={**hx, "If-None-Match": f'"{etag}"'})
        assert again.status_code == 304, moves
        return etag

    seen = {poll_until_304("placed")}
    food.accept_order(placed, by=warung.owner)
    delivery = food.mark_ready(placed, by=warung.owner)
    db.session.commit()
    seen.add(poll_until_304("ready"))
    driver = make_driver()
    db.session.commit()
    couriers.accept_job(delivery, driver=driver)
    db.session.commit()
    seen.add(poll_until_304("driver assigned"))
    couriers.mark(delivery, DeliveryStatus.PICKING_UP, by=driver)
    db.session.commit()
    seen.add(poll_until_304("picking up"))
    assert len(seen) == 4


def test_an_unpaid_card_order_can_be_cancelled_and_nothing_is_refunded(db, customer, warung, cart):
    order = place(customer, warung, method="card")
    assert order.state == OrderStatus.AWAITING_PAYMENT
    food.cancel_order(order, by=customer, reason="Changed my mind")
    db.session.commit()
    assert order.state == OrderStatus.CANCELLED and order.reason == "Changed my mind"
    assert statuses(order) == ["awaiting_payment", "cancelled"]
    assert payment_for(food.PAYABLE, order.id).refunded_amount == 0
    with pytest.raises(IllegalMove):
        food.accept_order(order, by=warung.owner)


def test_a_card_paid_after_cancelling_is_refunded(app, db, customer, warung, cart):
    order = place(customer, warung, method="card")
    food.cancel_order(order, by=customer)
    db.session.commit()
    payment = pay_by_card(app, order)  # the card page was still open in another tab
    db.session.refresh(order)
    db.session.refresh(payment)
    assert order.state == OrderStatus.CANCELLED
    assert payment.refunded_amount == order.total


def test_a_card_order_switches_to_cash_without_javascript(client, auth, db, customer, warung, cart):
    """The card page needs JavaScript; its way out is a plain form: cash to the courier."""
    order = place(customer, warung, method="card")
    card = payment_for(food.PAYABLE, order.id)
    auth.login(customer)
    pay_page = client.get(f"/payments/{card.id}/pay").get_data(as_text=True)
    label = f"Pay in cash to the courier instead ({rupiah(order.total)})"
    assert label in pay_page and f'action="/orders/{order.id}/cash"' in pay_page
    assert label in client.get(f"/orders/{order.id}").get_data(as_text=True)

    # Asked first, on the payments' shared page; nothing changes until the customer says yes.
    asked = auth.post(f"/orders/{order.id}/cash", page=f"/payments/{card.id}/pay").get_data(as_text=True)
    assert f"Pay {rupiah(order.total)} in cash to the courier instead?" in asked
    assert f"Order {order.id} from {warung.name}" in asked and 'name="confirmed" value="1"' in asked
    assert f'href="/orders/{order.id}/cash"' in client.get(f"/orders/{order.id}").get_data(as_text=True)
    db.session.refresh(order)
    assert order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == "card"

    response = auth.post(f"/orders/{order.id}/cash", {"confirmed": "1"}, page=f"/orders/{order.id}/cash")
    assert response.status_code == 302 and response.location.endswith(f"/orders/{order.id}")
    db.session.refresh(order)
    db.session.refresh(card)
    assert order.state == OrderStatus.PLACED and order.payment_method == "cash"
    assert card.status == PaymentStatus.CANCELLED
    cash = payment_for(food.PAYABLE, order.id)
    assert cash.kind == "cash" and cash.status == PaymentStatus.PENDING and cash.amount == order.total
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "in cash to the courier. The order goes to the warung now." in page
    assert label not in page and "cash to the courier" in page
    # The card page offers nothing more to pay.
    assert client.get(f"/payments/{card.id}/pay").status_code == 302
    # Twice (a second tab): refused, in words.
    auth.post(f"/orders/{order.id}/cash", {"confirmed": "1"}, page=f"/orders/{order.id}")
    assert "This order no longer waits for a card payment." in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_only_the_customer_switches_an_order_to_cash(client, auth, db, customer, warung, cart):
    order = place(customer, warung, method="card")
    auth.login(warung.owner)
    assert client.get(f"/orders/{order.id}/cash").status_code in (403, 404)
    auth.post(f"/orders/{order.id}/cash", {"confirmed": "1"}, page=f"/orders/{order.id}")
    db.session.refresh(order)
    assert order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == "card"


def test_a_ready_order_waits_for_a_courier_until_one_accepts(client, auth, db, customer, warung, placed):
    food.accept_order(placed, by=warung.owner)
    food.mark_ready(placed, by=warung.owner)
    db.session.commit()
    auth.login(customer)
    status = re.compile(r'class="order-status"><mark[^>]*>([^<]+)</mark>')
    page = client.get(f"/orders/{placed.id}").get_data(as_text=True)
    assert status.search(page).group(1) == "Ready, waiting for a courier"
    assert "on the way" not in page
    driver = make_driver()
    db.session.commit()
    couriers.accept_job(couriers.find_delivery(Purpose.FOOD, placed.id), driver=driver)
    db.session.commit()
    page = client.get(f"/orders/{placed.id}").get_data(as_text=True)
    assert status.search(page).group(1) == "Ready, courier on the way to the warung"
    auth.post("/language", {"lang": "id"})
    page = client.get(f"/orders/{placed.id}").get_data(as_text=True)
    assert status.search(page).group(1) == "Siap, kurir menuju warung"


@pytest.mark.parametrize(("quantity", "said"), [(1, "1 item from"), (3, "3 items from")])
def test_the_couriers_job_counts_the_items_in_good_english(db, customer, warung, dishes, quantity, said):
    food.add_to_cart(customer, dishes[0].id, quantity)
    db.session.commit()
    order = place(customer, warung)
    food.accept_order(order, by=warung.owner)
    with force_locale("en"):
        delivery = food.mark_ready(order, by=warung.owner)
        assert delivery.description == f"{said} {warung.name}"  # not "1 items from"
    with force_locale("id"):  # written by an English-speaking owner, read by an Indonesian courier
        assert delivery.description == f"{quantity} item dari {warung.name}"


@pytest.mark.parametrize(("language", "said"), [("id", "1 item dari"), ("en", "1 item from")])
def test_a_tourists_order_reads_in_the_drivers_language_on_the_courier_page(
    db, client, auth, customer, warung, dishes, language, said
):
    customer.locale = "en"
    food.add_to_cart(customer, dishes[0].id, 1)
    db.session.commit()
    order = place(customer, warung)
    food.accept_order(order, by=warung.owner)
    with force_locale("en"):
        food.mark_ready(order, by=warung.owner)
    db.session.commit()
    driver = make_driver()
    driver.locale = language
    db.session.commit()
    auth.login(driver)
    assert f"{said} {warung.name}" in client.get("/courier").get_data(as_text=True)
