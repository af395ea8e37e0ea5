"""The audit trail: one row per staff view, in the request's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.audit import AuditEntry, audit, subject_type, trail
from tests.factories import UserFactory


def test_a_view_is_recorded_with_who_what_and_when(db):
    clerk, resident = UserFactory(), UserFactory()
    db.session.flush()
    then = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    audit("view", resident, by=clerk, detail="phone", now=then)
    audit("view", resident, by=clerk, detail="address", now=then + timedelta(minutes=1))
    db.session.commit()
    rows = trail(resident)
    assert [(r.actor_id, r.action, r.detail) for r in rows] == [
        (clerk.id, "view", "address"),
        (clerk.id, "view", "phone"),
    ]
    assert rows[0].subject_type == "user"
    assert rows[1].at == then


def test_a_rolled_back_request_leaves_no_trace(db):
    clerk, resident = UserFactory(), UserFactory()
    db.session.commit()
    audit("view", resident, by=clerk)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == 0


def test_subject_names_are_singular_table_names():
    class Deliveries:
        __tablename__ = "medicine_deliveries"

    class Requests:
        __tablename__ = "document_requests"

    assert subject_type(Deliveries()) == "medicine_delivery"
    assert subject_type(Requests()) == "document_request"
