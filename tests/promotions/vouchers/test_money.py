"""The money: the warung gets its full price, the customer pays less, the regency's subsidy pays
the difference, so each order's books balance; the budget is reserved once, used when the order
reaches the warung, and given back when it does not stand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.database import utcnow
from portal.extensions import db as _db
from portal.food import services as food
from portal.food.models import OrderStatus
from portal.payments.models import PaymentMethod, PaymentStatus
from portal.payments.services import confirm_card, payment_for, refund, sync_payment
from portal.promotions.vouchers import services as vouchers
from portal.promotions.vouchers import sweep
from portal.promotions.vouchers.models import RedemptionStatus
from tests.payments.helpers import card_token
from tests.promotions.vouchers.conftest import HOMESTAY
from tests.promotions.vouchers.factories import VoucherFactory
from tests.promotions.vouchers.test_rules import place, review


def spent(voucher) -> int:
    _db.session.refresh(voucher)
    return voucher.spent


def books(order) -> tuple[int, int, int]:
    """(customer's payment, regency's subsidy, food + delivery)"""
    customer = payment_for(food.PAYABLE, order.id)
    subsidy = vouchers.subsidy_for(order.id)
    return customer.amount, subsidy.amount if subsidy else 0, order.subtotal + order.delivery_fee


def pay_by_card(app, order):
    payment = payment_for(food.PAYABLE, order.id)
    confirm_card(payment, card_token(app))
    _db.session.commit()
    sync_payment(payment)
    _db.session.commit()
    return payment


def test_a_cash_order_with_a_voucher_balances_the_books(db, customer, cart, voucher):
    order = place(customer, cart, "pesta10")
    db.session.commit()
    assert order.state == OrderStatus.PLACED
    assert (order.subtotal, order.discount) == (58_000, 10_000)
    assert order.total == order.subtotal + order.delivery_fee - 10_000
    paid, subsidy, gross = books(order)
    assert paid == order.total and subsidy == 10_000 and paid + subsidy == gross
    payment = vouchers.subsidy_for(order.id)
    assert payment.kind == PaymentMethod.SUBSIDY and payment.state == PaymentStatus.SUCCEEDED
    assert payment.payer == vouchers.SUBSIDY_PAYER
    assert vouchers.redemption_for(order.id).state == RedemptionStatus.USED
    assert spent(voucher) == 10_000
    # The courier collects what the customer owes, not the warung's price.
    food.accept_order(order, by=cart.owner)
    assert food.mark_ready(order, by=cart.owner).cash_to_collect == order.total


def test_a_card_order_reserves_then_uses_when_paid(app, db, customer, cart, voucher):
    order = place(customer, cart, "pesta10", method="card")
    db.session.commit()
    redemption = vouchers.redemption_for(order.id)
    assert redemption.state == RedemptionStatus.RESERVED and spent(voucher) == 10_000
    assert vouchers.subsidy_for(order.id) is None  # nothing owed while the customer has not paid
    assert payment_for(food.PAYABLE, order.id).amount == order.total
    pay_by_card(app, order)
    db.session.refresh(order)
    assert order.state == OrderStatus.PLACED
    assert vouchers.redemption_for(order.id).state == RedemptionStatus.USED
    paid, subsidy, gross = books(order)
    assert paid + subsidy == gross and subsidy == 10_000


def test_an_unpaid_card_order_cancelled_gives_the_budget_back(db, customer, cart, voucher):
    order = place(customer, cart, "pesta10", method="card")
    db.session.commit()
    food.cancel_order(order, by=customer)
    db.session.commit()
    assert vouchers.redemption_for(order.id).state == RedemptionStatus.RETURNED
    assert spent(voucher) == 0
    assert vouchers.subsidy_for(order.id) is None
    # ...and the customer may use it again.
    food.add_to_cart(customer, cart.dishes[0].id, 2)
    assert review(customer, cart, "pesta10").discount == 10_000


def test_a_rejected_paid_order_returns_the_budget_and_the_subsidy(app, db, customer, cart, voucher):
    order = place(customer, cart, "pesta10", method="card")
    db.session.commit()
    pay_by_card(app, order)
    db.session.refresh(order)
    food.reject_order(order, by=cart.owner, reason="Habis")
    db.session.commit()
    assert payment_for(food.PAYABLE, order.id).refunded_amount == order.total
    subsidy = vouchers.subsidy_for(order.id)
    assert subsidy.state == PaymentStatus.REFUNDED and subsidy.refunded_amount == 10_000
    assert vouchers.redemption_for(order.id).state == RedemptionStatus.RETURNED
    assert spent(voucher) == 0


def test_a_full_refund_after_delivery_returns_the_budget_a_partial_one_does_not(app, db, customer, cart, voucher):
    first = place(customer, cart, "pesta10", method="card", key="a")
    db.session.commit()
    pay_by_card(app, first)
    refund(payment_for(food.PAYABLE, first.id), amount=5_000, reason="es temulawak missing")
    db.session.commit()
    redemption = vouchers.redemption_for(first.id)
    assert redemption.state == RedemptionStatus.USED and redemption.refunded_after_use == 5_000
    assert spent(voucher) == 10_000
    refund(payment_for(food.PAYABLE, first.id), reason="nothing arrived")
    db.session.commit()
    assert vouchers.redemption_for(first.id).state == RedemptionStatus.RETURNED
    assert vouchers.subsidy_for(first.id).state == PaymentStatus.REFUNDED
    assert spent(voucher) == 0


def test_returning_twice_gives_back_once(db, customer, cart, voucher):
    order = place(customer, cart, "pesta10")
    db.session.commit()
    food.cancel_order(order, by=customer)  # a cash order: its payment is called off, then this
    redemption = vouchers.redemption_for(order.id)
    assert vouchers.give_back(redemption) is False
    db.session.commit()
    assert spent(voucher) == 0


def test_the_budget_ending_between_review_and_placing_shows_the_new_total(db, customer, cart):
    voucher = VoucherFactory(code="AKHIR", budget=50_000, spent=30_000)
    db.session.commit()
    seen = review(customer, cart, "akhir")
    assert seen.discount == 10_000
    voucher.spent = 45_000  # someone else's orders, meanwhile
    db.session.commit()
    with pytest.raises(food.TotalChanged) as changed:
        food.place_order(
            customer,
            cart.id,
            key="k",
            payment_method="cash",
            expected_total=seen.total,
            voucher_code="akhir",
            **HOMESTAY,
        )
    db.session.rollback()
    assert changed.value.checkout.total == seen.total + 10_000
    assert changed.value.checkout.voucher_problem == "This voucher's budget is used up."
    assert spent(voucher) == 45_000


def test_reserving_is_refused_when_the_budget_went_after_the_price_was_read(db, customer, cart):
    """The conditional UPDATE, not the earlier read, decides: the read said yes, the budget says no."""
    voucher = VoucherFactory(code="BALAPAN", budget=50_000, spent=40_000)
    db.session.commit()
    seen = review(customer, cart, "balapan")
    assert seen.discount == 10_000
    # Another checkout takes the last Rp10.000 after this one read the price, before it reserves.
    _db.session.execute(_db.text("UPDATE vouchers SET spent = 50000 WHERE id = :id"), {"id": voucher.id})
    with pytest.raises(food.TotalChanged) as changed:
        food.place_order(
            customer,
            cart.id,
            key="k",
            payment_method="cash",
            expected_total=seen.total,
            voucher_code="balapan",
            **HOMESTAY,
        )
    assert changed.value.checkout.discount == 0
    assert changed.value.checkout.voucher_problem == "This voucher's budget is used up."
    db.session.rollback()


def test_the_database_refuses_overspending_whatever_the_code_does(db):
    voucher = VoucherFactory(budget=50_000, spent=50_000)
    db.session.commit()
    voucher.spent = 50_001
    with pytest.raises(Exception, match=r"(?i)check|constraint"):
        db.session.commit()
    db.session.rollback()


def test_an_unpaid_card_order_past_the_hold_is_cancelled_and_the_budget_returns(app, db, customer, cart, voucher):
    waiting = place(customer, cart, "pesta10", method="card", key="a")
    db.session.commit()
    paid_voucher = VoucherFactory(code="LAIN")
    food.add_to_cart(customer, cart.dishes[0].id, 2)
    paid = place(customer, cart, "lain", method="card", key="b")
    db.session.commit()
    pay_by_card(app, paid)
    assert sweep.cancel_unpaid(now=utcnow() + timedelta(minutes=29)) == 0  # still within the hold
    assert sweep.cancel_unpaid(now=utcnow() + timedelta(minutes=31)) == 1
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.state == OrderStatus.CANCELLED
    assert vouchers.redemption_for(waiting.id).state == RedemptionStatus.RETURNED and spent(voucher) == 0
    assert vouchers.redemption_for(paid.id).state == RedemptionStatus.USED and spent(paid_voucher) == 10_000
