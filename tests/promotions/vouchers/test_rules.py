"""Which voucher an order gets, and the reason when it gets none: codes, WIB dates and hours,
scope, minimum, per-customer and per-phone limits, the budget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale

from portal.food import services as food
from tests.factories import UserFactory
from tests.promotions.vouchers.conftest import HOMESTAY
from tests.promotions.vouchers.factories import VoucherFactory

HOURS_7 = timedelta(hours=7)


def review(customer, warung, code="", now=None):
    return food.price_checkout(customer, warung.id, **HOMESTAY, voucher_code=code, now=now)


def place(customer, warung, code="", method="cash", key="k1", now=None):
    seen = review(customer, warung, code, now=now)
    return food.place_order(
        customer,
        warung.id,
        key=key,
        payment_method=method,
        expected_total=seen.total,
        voucher_code=code,
        **HOMESTAY,
        now=now,
    )


@pytest.mark.parametrize("typed", ["PESTA10", "pesta10", " pesta 10 ", "Pesta-10", "\tpesta\u00a010\n"])
def test_codes_are_read_whatever_the_case_and_spaces(db, customer, cart, voucher, typed):
    checkout = review(customer, cart, typed)
    assert checkout.voucher == voucher and checkout.voucher_problem is None
    assert checkout.voucher_code == "PESTA10"
    assert checkout.discount == 10_000
    assert checkout.total == checkout.subtotal + checkout.fee - 10_000


def test_an_unknown_code_says_so_and_the_total_is_full(db, customer, cart, voucher):
    checkout = review(customer, cart, "pesta 11")
    assert checkout.discount == 0 and checkout.voucher is None
    assert checkout.voucher_problem == "There is no voucher PESTA11. Check the code and try again."
    assert checkout.total == checkout.subtotal + checkout.fee


def test_a_percentage_is_capped_per_order_and_never_more_than_the_food(db, customer, cart):
    VoucherFactory(code="SEPARUH", kind="percent", amount=None, percent=50, cap=20_000)
    VoucherFactory(code="BESAR", amount=500_000)
    db.session.commit()
    assert review(customer, cart, "separuh").discount == 20_000  # half of Rp58.000 is more than the cap
    assert review(customer, cart, "besar").discount == 58_000  # the food, not the delivery
    VoucherFactory(code="SEDIKIT", kind="percent", amount=None, percent=10, cap=None)
    db.session.commit()
    assert review(customer, cart, "sedikit").discount == 5_800


def test_below_the_minimum_says_how_much_more(db, customer, cart):
    VoucherFactory(code="MIN75", min_order=75_000)
    db.session.commit()
    checkout = review(customer, cart, "min75")
    assert checkout.discount == 0
    assert checkout.voucher_problem == "This voucher needs food for at least Rp75.000: add Rp17.000 more."


def test_dates_are_wib_days(db, customer, cart):
    VoucherFactory(code="JUNI", starts_on=date(2026, 11, 25), ends_on=date(2026, 11, 26))
    db.session.commit()
    # 24 Nov 23:59 WIB is 16:59 UTC: not yet. 25 Nov 00:00 WIB is 17:00 UTC the day before: valid.
    early = review(customer, cart, "juni", now=datetime(2026, 11, 24, 16, 59, tzinfo=UTC))
    assert early.discount == 0 and early.voucher_problem.startswith("This voucher is not valid yet: it starts on")
    assert "25 November 2026" in early.voucher_problem
    assert review(customer, cart, "juni", now=datetime(2026, 11, 24, 17, 0, tzinfo=UTC)).discount == 10_000
    # 26 Nov 23:59 WIB still counts; 27 Nov 00:00 WIB (26 Nov 17:00 UTC) is expired.
    assert review(customer, cart, "juni", now=datetime(2026, 11, 26, 16, 59, tzinfo=UTC)).discount == 10_000
    late = review(customer, cart, "juni", now=datetime(2026, 11, 26, 17, 0, tzinfo=UTC))
    assert late.discount == 0 and late.voucher_problem.startswith("This voucher has expired: it ended on")


def test_daily_hours_are_wib(db, customer, cart):
    VoucherFactory(code="SIANG", opens=10 * 60, closes=14 * 60)
    db.session.commit()
    assert review(customer, cart, "siang", now=datetime(2026, 11, 24, 3, 0, tzinfo=UTC)).discount == 10_000  # 10:00
    assert review(customer, cart, "siang", now=datetime(2026, 11, 24, 6, 59, tzinfo=UTC)).discount == 10_000  # 13:59
    shut = review(customer, cart, "siang", now=datetime(2026, 11, 24, 7, 0, tzinfo=UTC))  # 14:00 WIB
    assert shut.discount == 0
    assert shut.voucher_problem == "This voucher works only between 10:00 and 14:00 WIB."


def test_hours_past_midnight_belong_to_the_evening_they_opened(db, customer, cart):
    """A night-market voucher, 18:00 until 01:00 WIB, for the nights of 24 and 25 November: its
    last night runs into the morning of the 26th, and the evening of the 26th is past it."""
    VoucherFactory(code="MALAM", opens=18 * 60, closes=60, starts_on=date(2026, 11, 24), ends_on=date(2026, 11, 25))
    db.session.commit()

    def at(day: int, hour: int, minute: int = 0):  # WIB = UTC + 7
        return review(customer, cart, "malam", now=datetime(2026, 11, day, hour, minute, tzinfo=UTC) - HOURS_7)

    assert at(24, 18).discount == 10_000  # the first evening opens
    assert at(24, 23, 59).discount == 10_000
    assert at(25, 0, 30).discount == 10_000  # after midnight: still the night of the 24th
    shut = at(25, 1)
    assert shut.discount == 0 and shut.voucher_problem == "This voucher works only between 18:00 and 01:00 WIB."
    assert at(25, 17, 59).discount == 0
    assert at(26, 0, 59).discount == 10_000  # the last night, on the morning after its last day
    over = at(26, 18)
    assert over.discount == 0 and over.voucher_problem.startswith("This voucher has expired")
    early = at(24, 0, 30)  # the night of the 23rd: before the first day
    assert early.discount == 0 and early.voucher_problem.startswith("This voucher is not valid yet")


def test_a_paused_voucher_is_no_longer_offered(db, customer, cart):
    VoucherFactory(code="JEDA", active=False)
    db.session.commit()
    assert review(customer, cart, "jeda").voucher_problem == "This voucher is no longer offered."


def test_automatic_discounts_apply_without_a_code_and_the_biggest_wins(db, customer, cart):
    VoucherFactory(code=None, amount=5_000)
    big = VoucherFactory(code=None, amount=12_000)
    VoucherFactory(code=None, amount=20_000, min_order=100_000)  # this cart is too small for it
    db.session.commit()
    checkout = review(customer, cart)
    assert checkout.voucher == big and checkout.discount == 12_000 and checkout.voucher_problem is None


def test_a_typed_code_replaces_the_automatic_discount_not_adds_to_it(db, customer, cart, voucher):
    VoucherFactory(code=None, amount=5_000)
    db.session.commit()
    checkout = review(customer, cart, "pesta10")
    assert checkout.voucher == voucher and checkout.discount == 10_000
    # A code that does not apply: the automatic discount still does, and the reason is given.
    checkout = review(customer, cart, "tidakada")
    assert checkout.discount == 5_000 and "TIDAKADA" in checkout.voucher_problem


def test_one_use_per_account_and_per_verified_phone(db, customer, cart, voucher):
    place(customer, cart, "pesta10")
    db.session.commit()
    food.add_to_cart(customer, cart.dishes[0].id, 1)
    db.session.commit()
    again = review(customer, cart, "pesta10")
    assert again.discount == 0 and again.voucher_problem == "You have already used this voucher."

    # A second account on the same phone number.
    twin = UserFactory(locale="en", phone=customer.phone)
    food.add_to_cart(twin, cart.dishes[0].id, 3)
    db.session.commit()
    twin_review = review(twin, cart, "pesta10")
    assert twin_review.discount == 0
    assert twin_review.voucher_problem == "This voucher was already used with your phone number."


def test_a_per_user_limit_of_two_allows_two(db, customer, cart):
    VoucherFactory(code="DUAKALI", per_user_limit=2)
    db.session.commit()
    place(customer, cart, "duakali", key="a")
    food.add_to_cart(customer, cart.dishes[0].id, 1)
    place(customer, cart, "duakali", key="b")
    food.add_to_cart(customer, cart.dishes[0].id, 1)
    db.session.commit()
    third = review(customer, cart, "duakali")
    assert third.discount == 0
    assert third.voucher_problem == "You have already used this voucher 2 times, the most it allows."


def test_a_budget_that_cannot_cover_the_discount_stops_the_voucher(db, customer, cart):
    VoucherFactory(code="HABIS", budget=50_000, spent=45_000)
    db.session.commit()
    checkout = review(customer, cart, "habis")
    assert checkout.discount == 0 and checkout.voucher_problem == "This voucher's budget is used up."


def test_indonesian_readers_get_indonesian_reasons(db, user, cart):
    food.add_to_cart(user, cart.dishes[0].id, 1)
    db.session.commit()
    with force_locale("id"):
        checkout = review(user, cart, "kosong")
    assert checkout.voucher_problem == "Tidak ada voucher KOSONG. Periksa kodenya lalu coba lagi."
