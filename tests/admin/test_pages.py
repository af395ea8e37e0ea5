"""The admin's home, the dashboard page with its period form and CSV, who may open them, and the
public figures page."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from portal.accounts.models import Role, UserRole
from portal.couriers.models import DriverStatus
from portal.database import utcnow
from portal.food.models import WarungStatus
from portal.payments.models import Payment, Refund, WebhookEvent
from portal.rides.models import RouteClosure
from tests.admin import factories as f
from tests.admin.conftest import Statements
from tests.couriers.factories import make_driver
from tests.factories import UserFactory
from tests.html import without_csrf


@pytest.fixture
def admin_in(auth, admin):
    auth.login(admin)
    return admin


def busy_week(db, *, scale: int = 1) -> None:
    """A week of orders, documents, rides and courier jobs ending today; `scale` multiplies them."""
    now = utcnow()
    package, departure = f.ride_package()
    for n in range(3 * scale):
        warung = f.warung(name=f"Warung {n}")
        driver = make_driver()
        for day in range(3):
            at = now - timedelta(days=day, hours=1)
            f.food_order(warung, at, minutes=20 + day, customer=driver)
            f.document_request(at)
            f.delivery(at, courier=driver, note="gosend declined: too far" if day == 0 else "")
            night = (at + timedelta(hours=7)).date() - timedelta(days=1)
            f.seat_offered(driver, night)
            f.ride_booking(package, departure, driver, night)
    db.session.commit()


def test_the_admin_home_counts_what_waits_each_count_a_link(client, db, admin_in):
    make_driver(status=DriverStatus.PENDING)
    make_driver(status=DriverStatus.PENDING)
    f.warung(status=WarungStatus.PENDING)
    f.warung()  # verified: nothing to do
    f.delivery(utcnow(), status="no_driver")
    tonight = (utcnow() + timedelta(hours=7)).date()
    db.session.add(
        RouteClosure(
            first_night=tonight + timedelta(days=3),
            last_night=tonight + timedelta(days=4),
            reason_en="Volcanic gas",
            reason_id="Gas vulkanik",
        )
    )
    db.session.add(
        RouteClosure(
            first_night=tonight - timedelta(days=9),
            last_night=tonight - timedelta(days=8),
            reason_en="Past",
            reason_id="Lalu",
        )
    )
    db.session.commit()
    html = client.get("/admin").get_data(as_text=True)
    assert '<a href="/admin/drivers?status=pending"><span class="tally">2</span> Drivers to verify' in html
    assert '<a href="/admin/warungs?status=pending"><span class="tally">1</span> Warungs to verify' in html
    assert '<span class="tally">1</span> Deliveries that need help' in html
    assert "1 without a courier, 0 with the PIN locked" in html
    assert '<span class="tally">1</span> Ijen route closures coming up' in html
    assert '<span class="tally zero">0</span> Document requests overdue' in html
    assert '<span class="tally zero">0</span> Payments the reconcile could not settle' in html


def test_the_overdue_documents_link_only_for_an_admin_who_can_open_the_mpp_queue(client, db, admin_in):
    """The MPP's queue is the clerks' (403 for anyone else): an admin who is not a clerk reads
    the count without a link to a page that would refuse them."""
    assert client.get("/office/documents").status_code == 403
    html = client.get("/admin").get_data(as_text=True)
    assert '<span class="tally zero">0</span> Document requests overdue' in html
    assert "/office/documents" not in html
    admin_in.roles.append(UserRole(role=Role.CLERK))
    db.session.commit()
    html = client.get("/admin").get_data(as_text=True)
    assert '<a href="/office/documents?status=verified"><span class="tally zero">0</span> Document requests' in html


def test_the_dashboard_shows_every_service_with_an_empty_state_when_there_is_nothing(client, admin_in):
    response = client.get("/admin/dashboard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for section in ("overview", "food", "rides", "documents", "medicine", "couriers"):
        assert f'id="{section}"' in html
    assert "No orders in this period." in html
    assert html.count('role="img"') >= 6


def test_the_dashboard_in_a_chosen_period_draws_charts_with_tables_beside(client, db, admin_in):
    busy_week(db)
    html = client.get("/admin/dashboard?period=7d").get_data(as_text=True)
    assert '<svg role="img" aria-labelledby="food-volume-title food-volume-desc"' in html
    assert "9 orders, " in html  # the chart's summary
    assert '<table id="food-per-day"' in html
    assert "Warung 0" in html


def test_the_warung_table_sorts_by_a_column_without_javascript(client, db, admin_in):
    warung_a, warung_b = f.warung(name="Aaa Warung"), f.warung(name="Zzz Warung")
    now = f.earlier_today()
    f.food_order(warung_a, now, subtotal=10_000)
    f.food_order(warung_b, now, subtotal=90_000)
    db.session.commit()
    by_sales = client.get("/admin/dashboard?period=today").get_data(as_text=True)
    table = by_sales[by_sales.index('<table id="food-warungs"') :]
    assert table.index("Zzz Warung") < table.index("Aaa Warung")
    assert 'href="/admin/dashboard?sort=name&amp;period=today#food-warungs"' in table
    by_name = client.get("/admin/dashboard?period=today&sort=name").get_data(as_text=True)
    table = by_name[by_name.index('<table id="food-warungs"') :]
    assert table.index("Aaa Warung") < table.index("Zzz Warung")


def test_every_table_downloads_as_csv_in_the_readers_language(client, db, admin, auth):
    busy_week(db)
    admin.locale = "id"
    db.session.commit()
    auth.login(admin)
    client.set_cookie("lang", "id")
    response = client.get("/admin/dashboard?period=month&month=2026-12&format=csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][1:3] == ["2026-12-01", "2026-12-31"]
    titles = {r[0] for r in rows if len(r) == 1}
    assert "Permintaan per hari" in titles  # "Requests per day"
    header = rows[[r[0] if r else "" for r in rows].index("Permintaan per hari") + 1]
    assert header[0] == "Hari (WIB)"


def test_the_dashboard_takes_the_same_number_of_queries_however_much_data(client, db, admin_in):
    busy_week(db, scale=1)
    client.get("/admin/dashboard?period=30d")  # warm: the first request loads what every request needs once
    with Statements() as few:
        assert client.get("/admin/dashboard?period=30d").status_code == 200
    busy_week(db, scale=4)
    with Statements() as many:
        assert client.get("/admin/dashboard?period=30d").status_code == 200
    assert len(many) == len(few)
    # The signed-in user, the layout's counts (portal.shell), 11 aggregate queries, then the
    # promotions: festivals, collections (and one query for all their figures when there are any).
    assert len(few) <= 15, few


@pytest.mark.parametrize(
    "path", ["/admin", "/admin/dashboard", "/admin/dashboard?format=csv", "/admin/payments/unsettled"]
)
def test_only_admins_open_the_admin_pages(client, db, auth, path):
    assert client.get(path).status_code == 302  # to the login
    someone = UserFactory(roles=[Role.OWNER, Role.CLERK, Role.DRIVER])
    db.session.commit()
    auth.login(someone)
    assert client.get(path).status_code == 403


def test_the_public_figures_need_no_login_and_show_no_personal_data(client, db):
    busy_week(db)
    customer = db.session.query(f.FoodOrder).first().customer
    response = client.get("/figures")
    html = without_csrf(response.get_data(as_text=True))
    assert response.status_code == 200
    assert 'role="img"' in html and '<table id="figures-months"' in html
    assert customer.name not in html and customer.email not in html
    assert "Warung 0" not in html  # no warung by name, so no warung's takings
    assert "Jl. Kepiting" not in html
    assert not re.search(r"Rp\d", html)  # no money at all


def test_the_public_figures_answer_304_until_they_change(client, db):
    first = client.get("/figures")
    assert first.headers["ETag"] and "max-age=300" in first.headers["Cache-Control"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/figures", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    f.food_order(f.warung(), utcnow() - timedelta(minutes=90))
    db.session.commit()
    changed = client.get("/figures", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200


def test_payments_the_reconcile_could_not_settle_are_counted_and_listed(client, db, admin_in):
    order = f.food_order(f.warung(), utcnow() - timedelta(days=3))
    payment = db.session.query(Payment).filter_by(payable_id=order.id).one()
    db.session.add(
        Refund(
            payment=payment,
            amount=20_000,
            reason="Warung closed",
            status="failed",
            idempotency_key="dash-refund-1",
            created_at=utcnow() - timedelta(days=2),
        )
    )
    db.session.add(
        Refund(
            payment=payment,
            amount=5_000,
            reason="Late",
            status="pending",
            idempotency_key="dash-refund-2",
            created_at=utcnow() - timedelta(minutes=5),
        )
    )
    db.session.add(WebhookEvent(event_id="evt_lost", type="payment_intent.succeeded", payload={}, attempts=20))
    db.session.commit()
    home = client.get("/admin").get_data(as_text=True)
    assert '<a href="/admin/payments/unsettled"><span class="tally">2</span> Payments the reconcile' in home
    listed = client.get("/admin/payments/unsettled").get_data(as_text=True)
    assert "Warung closed" in listed and "Rp20.000" in listed
    assert "Late" not in listed  # a refund on its way for minutes is not stuck
    assert "evt_lost" in listed
