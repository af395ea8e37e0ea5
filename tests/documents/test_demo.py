"""The demo data: every status, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts import demo as accounts_demo
from portal.couriers import demo as couriers_demo
from portal.documents import demo
from portal.documents.models import DocumentRequest, DocumentStatus


def test_the_demo_has_every_status_once_however_often_it_runs(db):
    accounts_demo.seed()
    couriers_demo.seed()
    demo.seed()
    db.session.commit()
    demo.seed()
    db.session.commit()
    statuses = set(db.session.scalars(select(DocumentRequest.status)))
    assert statuses == {s.value for s in DocumentStatus}
    assert db.session.scalar(select(func.count()).select_from(DocumentRequest)) == len(demo.DEMO_REQUESTS)
