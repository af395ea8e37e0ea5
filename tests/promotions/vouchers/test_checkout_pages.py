"""The voucher at checkout over HTTP: the field, the discount line by line before paying, the
reasons a code does not apply, the new total when the budget ends, the order page, the receipt
and the owner's board."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date

import pytest

from portal.food.models import FoodOrder
from portal.payments.services import payment_for
from portal.promotions.vouchers import services as vouchers
from tests.factories import UserFactory
from tests.promotions.vouchers.conftest import HOMESTAY
from tests.promotions.vouchers.factories import VoucherFactory


def form(warung, **extra) -> dict:
    return {
        "warung_id": warung.id,
        "address": HOMESTAY["address"],
        "latitude": str(HOMESTAY["lat"]),
        "longitude": str(HOMESTAY["lng"]),
        "note": "",
        "payment_method": "cash",
        **extra,
    }


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def review_then_place(auth, warung, code: str, method: str = "cash"):
    review = auth.post("/checkout", form(warung, voucher_code=code, payment_method=method), page="/cart")
    html = review.get_data(as_text=True)
    data = form(
        warung,
        voucher_code=code,
        payment_method=method,
        token=hidden(html, "token"),
        expected_total=hidden(html, "expected_total"),
    )
    return review, auth.post("/checkout", data, page="/cart")


def test_the_cart_has_a_voucher_field(client, auth, customer, cart):
    auth.login(customer)
    html = client.get("/cart").get_data(as_text=True)
    assert 'name="voucher_code"' in html and "Voucher code (optional)" in html


def test_the_review_shows_the_discount_line_by_line_and_the_code_as_read(client, auth, db, customer, cart, voucher):
    auth.login(customer)
    review = auth.post("/checkout", form(cart, voucher_code=" pesta 10 "), page="/cart")
    html = text(review)
    assert review.status_code == 200
    assert 'value="PESTA10"' in html  # normalised in the field
    assert "Voucher PESTA10, paid by the regency" in html and "−Rp10.000" in html
    total = int(hidden(html, "expected_total"))
    assert f"Place order · Rp{total:,}".replace(",", ".") in html
    assert "Rp58.000" in html  # the food, at its full price


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ({"ends_on": date(2026, 1, 31), "starts_on": date(2026, 1, 1)}, "This voucher has expired: it ended on"),
        ({"starts_on": date(2031, 1, 1), "ends_on": date(2031, 1, 31)}, "This voucher is not valid yet: it starts on"),
        ({"budget": 50_000, "spent": 45_000}, "This voucher's budget is used up."),
        ({"min_order": 100_000}, "This voucher needs food for at least Rp100.000: add Rp42.000 more."),
    ],
)
def test_a_code_that_does_not_apply_says_why_at_the_field(client, auth, db, customer, cart, make, message):
    VoucherFactory(code="COBA", **make)
    db.session.commit()
    auth.login(customer)
    review = auth.post("/checkout", form(cart, voucher_code="coba"), page="/cart")
    html = text(review)
    assert review.status_code == 200  # the total without it can still be ordered
    assert message in html
    assert 'aria-invalid="true"' in html and "−Rp" not in html


def test_a_phone_that_used_the_voucher_is_told_so(client, auth, db, customer, cart, voucher):
    auth.login(customer)
    _review, placed = review_then_place(auth, cart, "pesta10")
    assert placed.status_code == 302
    twin = UserFactory(locale="en", phone=customer.phone)
    db.session.commit()
    auth.logout()
    auth.login(twin)
    auth.post("/cart/items", {"dish_id": cart.dishes[0].id, "quantity": 2}, page="/")
    review = auth.post("/checkout", form(cart, voucher_code="PESTA10"), page="/cart")
    assert "This voucher was already used with your phone number." in text(review)


def test_indonesian_reasons(client, auth, db, user, cart):
    VoucherFactory(code="LEWAT", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31))
    db.session.commit()
    auth.login(user)
    auth.post("/cart/items", {"dish_id": cart.dishes[0].id, "quantity": 2}, page="/")
    html = text(auth.post("/checkout", form(cart, voucher_code="lewat"), page="/cart"))
    assert "Voucher ini sudah kedaluwarsa" in html
    html = text(auth.post("/checkout", form(cart, voucher_code="nggak ada"), page="/cart"))
    assert "Tidak ada voucher NGGAKADA." in html


def test_the_budget_ending_before_placing_shows_the_new_total_first(client, auth, db, customer, cart):
    voucher = VoucherFactory(code="AKHIR", budget=50_000, spent=40_000)
    db.session.commit()
    auth.login(customer)
    review = auth.post("/checkout", form(cart, voucher_code="akhir"), page="/cart")
    html = review.get_data(as_text=True)
    seen = int(hidden(html, "expected_total"))
    voucher.spent = 45_000  # others' orders took the rest
    db.session.commit()
    data = form(cart, voucher_code="akhir", token=hidden(html, "token"), expected_total=str(seen))
    changed = auth.post("/checkout", data, page="/cart")
    html = text(changed)
    assert changed.status_code == 409
    assert "The total changed since you last saw it." in html
    assert "This voucher's budget is used up." in html
    assert int(hidden(html, "expected_total")) == seen + 10_000
    assert db.session.query(FoodOrder).count() == 0
    # Confirming the new total places the order at the full price.
    data["expected_total"] = str(seen + 10_000)
    assert auth.post("/checkout", data, page="/cart").status_code == 302
    order = db.session.query(FoodOrder).one()
    assert order.discount == 0 and order.total == seen + 10_000


def test_the_order_page_the_receipt_and_the_owner_board_show_the_voucher(client, auth, db, customer, cart, voucher):
    auth.login(customer)
    _review, placed = review_then_place(auth, cart, "pesta10", method="card")
    order = db.session.query(FoodOrder).one()
    assert placed.status_code == 302 and order.discount == 10_000

    page = text(client.get(f"/orders/{order.id}"))
    assert "Regency voucher (paid by Pemkab Banyuwangi)" in page and "−Rp10.000" in page

    payment = payment_for("food_order", order.id)
    receipt = text(client.get(f"/payments/{payment.id}"))
    assert "Food" in receipt and "Rp58.000" in receipt
    assert "Regency voucher (paid by Pemkab Banyuwangi)" in receipt and "-Rp10.000" in receipt
    assert f"Rp{order.total:,}".replace(",", ".") in receipt

    # Paid by card: the order reaches the warung, whose board says it is paid in full.
    vouchers.use(vouchers.redemption_for(order.id), order)  # as the card's success would
    order.status = "placed"
    order.placed_at = order.created_at
    db.session.commit()
    auth.logout()
    auth.login(cart.owner)
    board = text(client.get("/my/warung/orders"))
    assert "The customer used a regency voucher (Rp10.000 off). You are paid in full: Rp58.000." in board
