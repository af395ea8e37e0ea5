"""`make run`'s demo data: both hospitals, the demo pharmacist at RSUD Blambangan, a delivery
in every status; seeding twice changes nothing."""

from __future__ import annotations

from portal.accounts import demo as accounts_demo
from portal.accounts.services import find_by_email
from portal.couriers import demo as couriers_demo
from portal.medicine import demo, services
from portal.medicine.models import MedicineDelivery, MedicineStatus


def test_demo_data_has_every_status_and_is_idempotent(app, db):
    accounts_demo.seed()
    couriers_demo.seed()
    demo.seed()
    db.session.commit()
    demo.seed()
    db.session.commit()
    pharmacist = find_by_email("pharmacist@example.com")
    assert services.hospital_of(pharmacist).name == "RSUD Blambangan"
    assert {h.name for h in services.hospitals()} == {"RSUD Blambangan", "RSUD Genteng"}
    statuses = db.session.scalars(db.select(MedicineDelivery.status)).all()
    assert len(statuses) == len(demo.PATIENTS)
    assert set(statuses) == {s.value for s in MedicineStatus}
