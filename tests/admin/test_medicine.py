"""Medicine on the dashboard: per hospital, and a hospital's pharmacist (its director, as far as
the dashboard goes) sees their own hospital's medicine figures and nothing else."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from portal.admin.dashboard import period, queries
from portal.admin.dashboard import services as svc
from tests.admin import factories as f

DECEMBER = period.parse({"period": "month", "month": "2026-12"})
MORNING = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 08:00 WIB


def two_hospitals(db):
    blambangan, genteng = f.hospital("RSUD Blambangan"), f.hospital("RSUD Genteng")
    for minutes in (60, 90, 120):
        f.medicine_delivery(blambangan, MORNING, minutes=minutes)
    f.medicine_delivery(genteng, MORNING, minutes=30, fare="paid")
    f.medicine_delivery(genteng, MORNING, minutes=None)  # still being prepared
    db.session.commit()
    return blambangan, genteng


def test_medicine_times_are_per_hospital(db, request_context):
    blambangan, _genteng = two_hospitals(db)
    per_hospital = {(name, day): t for name, day, t in queries.medicine_hospitals(DECEMBER)}
    assert per_hospital["RSUD Blambangan", date(2026, 12, 3)].median == pytest.approx(90, abs=0.01)
    assert per_hospital["RSUD Blambangan", None].p90 == pytest.approx(114, abs=0.01)  # 90 + 0.8 * (120 - 90)
    assert per_hospital["RSUD Genteng", None].n == 1
    mine = queries.overview(DECEMBER, [svc.MEDICINE], hospital_id=blambangan.id)["medicine"]
    assert mine.per_day == {date(2026, 12, 3): 3}


def test_a_pharmacist_sees_only_their_hospitals_medicine(client, db, auth):
    blambangan, _genteng = two_hospitals(db)
    pharmacist = f.pharmacist_at(blambangan, locale="en")
    f.food_order(f.warung(name="Warung Rahasia"), MORNING)
    db.session.commit()
    auth.login(pharmacist)
    html = client.get("/admin/dashboard?period=month&month=2026-12").get_data(as_text=True)
    assert "Dashboard: RSUD Blambangan" in html
    assert 'id="medicine"' in html and 'id="food"' not in html and 'id="couriers"' not in html
    assert "RSUD Genteng" not in html
    assert "Warung Rahasia" not in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/admin/dashboard?period=month&month=2026-12&format=csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert rows[0][-1] == "RSUD Blambangan"
    assert not any("RSUD Genteng" in cell for row in rows for cell in row)


def test_a_pharmacist_without_a_hospital_is_refused(client, db, auth):
    lonely = f.UserFactory(roles=[f.Role.PHARMACIST])
    db.session.commit()
    auth.login(lonely)
    assert client.get("/admin/dashboard").status_code == 403
    assert client.get("/admin").status_code == 403
