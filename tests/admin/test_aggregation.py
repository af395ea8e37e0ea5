"""The dashboard's figures, computed by the database, by WIB day: an order at 23:59 WIB on
30 November is November's, one a minute later is December's, whatever UTC says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.admin.dashboard import charts, figures, period, queries
from portal.admin.dashboard import services as svc
from portal.promotions.vouchers.services import SUBSIDY_PAYABLE as VOUCHER_SUBSIDY
from tests.admin import factories as f

# 30 November 2026, 23:59 WIB, and the first minute of 1 December WIB.
LAST_MINUTE_OF_NOVEMBER = datetime(2026, 11, 30, 16, 59, tzinfo=UTC)
FIRST_MINUTE_OF_DECEMBER = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
DECEMBER = period.parse({"period": "month", "month": "2026-12"})
NOVEMBER = period.parse({"period": "month", "month": "2026-11"})


@pytest.fixture
def orders(db, request_context):
    warung = f.warung(name="Warung Bu Sri")
    f.food_order(warung, LAST_MINUTE_OF_NOVEMBER, minutes=50)
    # 1 December WIB: four orders, 10 to 40 minutes to the door; the last at 23:30 WIB.
    for minutes, at in zip(
        (10, 20, 30, 40),
        (
            FIRST_MINUTE_OF_DECEMBER,
            FIRST_MINUTE_OF_DECEMBER + timedelta(hours=8),
            FIRST_MINUTE_OF_DECEMBER + timedelta(hours=12),
            datetime(2026, 12, 1, 16, 30, tzinfo=UTC),
        ),
        strict=True,
    ):
        f.food_order(warung, at, minutes=minutes)
    f.food_order(warung, datetime(2026, 12, 1, 17, 30, tzinfo=UTC), status="cancelled", method="cash")  # 2 Dec 00:30
    db.session.commit()
    return warung


def test_periods_are_whole_wib_days_whatever_the_utc_date():
    now = FIRST_MINUTE_OF_DECEMBER  # still 30 November in UTC
    assert period.parse({"period": "today"}, now) == period.Period("today", date(2026, 12, 1), date(2026, 12, 1))
    week = period.parse({"period": "7d"}, now)
    assert (week.first, week.last) == (date(2026, 11, 25), date(2026, 12, 1))
    assert DECEMBER.start == FIRST_MINUTE_OF_DECEMBER
    assert DECEMBER.end == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert len(DECEMBER.days) == 31
    custom = period.parse({"period": "custom", "start": "2026-12-09", "end": "2026-12-02"}, now)
    assert (custom.first, custom.last) == (date(2026, 12, 2), date(2026, 12, 9))


def test_a_period_that_cannot_be_read_falls_back_to_the_last_week_and_says_why(request_context):
    now = FIRST_MINUTE_OF_DECEMBER
    chosen = period.parse({"period": "custom", "start": "2026-01-01", "end": "nonsense"}, now)
    assert (chosen.kind, chosen.first, chosen.last) == ("7d", date(2026, 11, 25), date(2026, 12, 1))
    assert chosen.problem
    too_long = period.parse({"period": "custom", "start": "2024-01-01", "end": "2026-01-01"}, now)
    assert too_long.kind == "7d" and too_long.problem


def test_orders_are_counted_on_their_wib_day_across_midnight_and_the_month_boundary(orders):
    december = queries.overview(DECEMBER, [svc.FOOD])["food"]
    assert december.per_day == {date(2026, 12, 1): 4, date(2026, 12, 2): 1}
    assert december.outcomes == {"delivered": 4, "failed": 0, "cancelled": 1, "open": 0}
    november = queries.overview(NOVEMBER, [svc.FOOD])["food"]
    assert november.per_day == {date(2026, 11, 30): 1}


def test_median_and_90th_percentile_per_day_interpolate_like_percentile_cont(orders):
    times = queries.overview(DECEMBER, [svc.FOOD])["food"].times
    first = times[date(2026, 12, 1)]
    assert first.n == 4
    assert first.median == pytest.approx(25, abs=0.01)
    assert first.p90 == pytest.approx(37, abs=0.01)  # 30 + 0.7 * (40 - 30)
    assert date(2026, 12, 2) not in times  # the cancelled order was never handed over
    assert queries.overview(NOVEMBER, [svc.FOOD])["food"].times[date(2026, 11, 30)].median == pytest.approx(
        50, abs=0.01
    )


def test_money_is_split_by_method_and_refunds_are_counted(db, orders, request_context):
    rejected = f.food_order(orders, datetime(2026, 12, 3, 5, 0, tzinfo=UTC), status="rejected", method="card")
    f.pay(
        rejected.customer,
        "food_order",
        999,
        20_000,
        "card",
        rejected.placed_at,
        status="refunded",
        refunded_amount=20_000,
    )
    f.pay(rejected.customer, "ride_booking", 999, 350_000, "cash", rejected.placed_at)  # another service's
    db.session.commit()
    december = queries.overview(DECEMBER, [svc.FOOD])["food"]
    assert december.paid["card"] == 4 * 50_000 + 20_000  # a refunded payment was paid first
    assert december.paid["cash"] == 0  # the cancelled cash order never paid
    assert december.refunds == 20_000
    assert december.refunded == 1


def test_the_regencys_voucher_discounts_are_food_subsidy(db, orders, request_context):
    """A voucher's discount is paid by the regency as a payment of its own (food_voucher): it is
    the food service's subsidy, and one called off (refunded) counts as given back."""
    order = f.food_order(orders, datetime(2026, 12, 3, 5, 0, tzinfo=UTC), method="cash")
    f.pay(order.customer, VOUCHER_SUBSIDY, order.id, 10_000, "subsidy", order.placed_at)
    f.pay(
        order.customer,
        VOUCHER_SUBSIDY,
        998,
        5_000,
        "subsidy",
        order.placed_at,
        status="refunded",
        refunded_amount=5_000,
    )
    db.session.commit()
    december = queries.overview(DECEMBER, [svc.FOOD, svc.RIDES])
    assert december["food"].subsidy == 15_000 and december["food"].refunds == 5_000
    assert december["rides"].subsidy == 0


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (10, 10), (11, 20), (230, 250), (1_234_567, 2_000_000)]
)
def test_a_charts_axis_ends_at_a_round_number_just_above_the_largest_value(value, top):
    assert charts.nice_max(value) == top


def test_public_figures_count_each_month_in_wib_with_free_medicine(db, orders):
    rsud = f.hospital()
    f.medicine_delivery(rsud, LAST_MINUTE_OF_NOVEMBER, minutes=40)  # free: handed over in November's last hour
    f.medicine_delivery(rsud, FIRST_MINUTE_OF_DECEMBER, minutes=60, fare="paid")
    db.session.commit()
    result = figures.public_figures(now=datetime(2026, 12, 15, 5, 0, tzinfo=UTC))
    months = {m.month: m for m in result.months}
    assert [m.month for m in result.months][::11] == ["2026-01", "2026-12"]
    assert months["2026-11"].delivered == {"food": 1, "medicine": 1}
    assert months["2026-12"].delivered == {"food": 4, "medicine": 1}
    assert months["2026-11"].free_medicine == 1 and months["2026-12"].free_medicine == 0
    assert months["2026-12"].median["food"] == pytest.approx(25, abs=0.01)
    assert months["2026-11"].median["medicine"] == pytest.approx(40, abs=0.01)
