"""What a festival did for its warungs: the days it ran against as many days before it."""

from __future__ import annotations

from datetime import date, timedelta

from portal.database import utcnow
from portal.formatting import today_wib
from portal.promotions.models import CollectionWarung, EntryStatus
from portal.promotions.services.figures import collection_uplift, festival_uplift, promotion_figures
from tests.admin.factories import food_order
from tests.factories import UserFactory
from tests.food.factories import WarungFactory
from tests.food.test_menu_and_cart import QueryCounter
from tests.promotions.factories import NOON, CollectionFactory, EntryFactory, FestivalFactory
from tests.promotions.vouchers.factories import VoucherFactory


def test_festival_uplift_compares_the_same_number_of_days_before(db):
    festival = FestivalFactory(starts_at=NOON, ends_at=NOON + timedelta(days=3))
    taking_part, waiting, outside = WarungFactory(), WarungFactory(), WarungFactory()
    EntryFactory(festival=festival, warung=taking_part)
    EntryFactory(festival=festival, warung=waiting, status=EntryStatus.APPLIED)
    regular = UserFactory()
    # Before: days -3 .. 0; one order by the regular customer.
    food_order(taking_part, NOON - timedelta(days=2), subtotal=30_000, customer=regular)
    food_order(taking_part, NOON - timedelta(days=4), subtotal=99_000)  # too early: not compared
    # During: three orders, two customers; a cancelled one and other warungs' do not count.
    food_order(taking_part, NOON + timedelta(hours=1), subtotal=40_000, customer=regular)
    food_order(taking_part, NOON + timedelta(days=1), subtotal=40_000, customer=regular)
    food_order(taking_part, NOON + timedelta(days=2), subtotal=40_000)
    food_order(taking_part, NOON + timedelta(days=2), status="cancelled")
    food_order(waiting, NOON + timedelta(days=1))
    food_order(outside, NOON + timedelta(days=1))
    db.session.commit()

    uplift = festival_uplift(festival, now=NOON + timedelta(days=10))
    assert uplift.warungs == 1
    assert (uplift.during.orders, uplift.during.customers, uplift.during.sales) == (3, 2, 120_000)
    assert (uplift.before.orders, uplift.before.customers, uplift.before.sales) == (1, 1, 30_000)
    assert uplift.extra_orders == 2
    assert uplift.sales_uplift_pct == 300
    assert uplift.cost_per_extra_order is None  # no voucher money spent
    uplift.budget, uplift.used = 1_000_000, 50_000
    assert (uplift.left, uplift.cost_per_extra_order) == (950_000, 25_000)


def test_a_running_festival_is_measured_up_to_now(db):
    festival = FestivalFactory(starts_at=NOON, ends_at=NOON + timedelta(days=3))
    warung = WarungFactory()
    EntryFactory(festival=festival, warung=warung)
    food_order(warung, NOON - timedelta(hours=20))  # within the day before: compared with day one
    food_order(warung, NOON - timedelta(days=2))  # two days before: outside one day's comparison
    db.session.commit()
    uplift = festival_uplift(festival, now=NOON + timedelta(days=1))
    assert uplift.days == 1
    assert (uplift.before.orders, uplift.during.orders) == (1, 0)
    assert uplift.extra_orders == -1 and uplift.cost_per_extra_order is None


def test_collection_uplift_and_what_the_period_shows(db):
    collection = CollectionFactory(starts_on=date(2026, 11, 20), ends_on=date(2026, 11, 23))
    warung = WarungFactory()
    db.session.flush()
    collection.items.append(CollectionWarung(warung=warung))
    food_order(warung, NOON - timedelta(days=2))  # 22 Nov: during
    food_order(warung, NOON - timedelta(days=6))  # 18 Nov: before
    FestivalFactory(starts_at=NOON + timedelta(days=20), ends_at=NOON + timedelta(days=21))  # not begun
    db.session.commit()
    uplift = collection_uplift(collection, now=NOON)
    assert (uplift.during.orders, uplift.before.orders) == (1, 1)
    shown = promotion_figures(NOON - timedelta(days=7), NOON + timedelta(days=1), now=NOON)
    assert [u.kind for u in shown] == ["collection"]


def test_the_dashboard_shows_each_promotion_and_its_uplift(client, auth, db):
    now = utcnow()
    festival = FestivalFactory(name_en="Banyuwangi Food Festival", starts_at=now - timedelta(days=2), ends_at=now)
    warung = WarungFactory()
    EntryFactory(festival=festival, warung=warung)
    food_order(warung, now - timedelta(days=1), subtotal=55_000)
    admin = UserFactory(roles=["admin"], locale="en")
    db.session.commit()
    auth.login(admin)
    html = client.get("/admin/dashboard?period=7d").get_data(as_text=True)
    assert 'id="promotions"' in html
    section = html[html.index('id="promotions-uplift"') :]
    assert "Banyuwangi Food Festival (Festival)" in section
    assert "Rp55.000" in section
    csv = client.get("/admin/dashboard?period=7d&format=csv").get_data(as_text=True)
    assert "Banyuwangi Food Festival (Festival),1,2.0,1,0,1,0,55000,0," in csv


def test_the_promotions_section_takes_the_same_queries_for_one_or_many(db):
    now = utcnow()
    EntryFactory(festival=FestivalFactory(starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)))
    db.session.commit()
    with QueryCounter() as one:
        assert len(promotion_figures(now - timedelta(days=7), now, now)) == 1
    for _ in range(5):
        EntryFactory(festival=FestivalFactory(starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)))
        CollectionFactory(starts_on=today_wib(now) - timedelta(days=3), ends_on=today_wib(now))
    db.session.commit()
    with QueryCounter() as many:
        assert len(promotion_figures(now - timedelta(days=7), now, now)) == 11
    assert many.count == one.count == 4


def test_budget_used_and_left_and_the_cost_of_each_extra_order(db):
    festival = FestivalFactory(starts_at=NOON, ends_at=NOON + timedelta(days=2))
    warung = WarungFactory()
    EntryFactory(festival=festival, warung=warung)
    collection = CollectionFactory()
    for _ in range(3):
        food_order(warung, NOON + timedelta(hours=5))  # three orders during, none before
    VoucherFactory(festival=festival, budget=500_000, spent=30_000)
    VoucherFactory(festival=festival, budget=100_000, spent=0, code=None)
    VoucherFactory(collection=collection, budget=200_000, spent=10_000)
    db.session.commit()
    [uplift] = [
        u for u in promotion_figures(NOON, NOON + timedelta(days=2), NOON + timedelta(days=2)) if u.kind == "festival"
    ]
    assert (uplift.budget, uplift.used, uplift.left) == (600_000, 30_000, 570_000)
    assert uplift.cost_per_extra_order == 10_000  # Rp30.000 for 3 more orders than before
    plain = festival_uplift(FestivalFactory(starts_at=NOON, ends_at=NOON + timedelta(days=1)), NOON + timedelta(days=1))
    assert (plain.budget, plain.used, plain.left) == (None, None, None)  # no voucher: empty cells
