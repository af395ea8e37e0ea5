from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from portal import notify
from portal.accounts.models import Role
from portal.documents import services as documents
from portal.documents.models import DocumentRequest, DocumentStatus
from tests.factories import UserFactory

# A Friday morning in December 2026, 09:00 WIB.
FRIDAY = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
_keys = itertools.count(1)
_serials = itertools.count(1)


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services raise translated messages; rendering one needs a locale, which needs a request."""
    notify.outbox.clear()
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def resident(db):
    user = UserFactory(name="Budi Santoso", locale="en")
    db.session.commit()
    return user


@pytest.fixture
def clerk(db):
    user = UserFactory(name="Mbak Dewi", roles=[Role.CLERK], locale="en")
    db.session.commit()
    return user


def answers(**changes) -> documents.Answers:
    values = {
        "document_type": "ktp_el",
        "registration_number": "3510-20261204-0042",
        "holder_name": "Budi Santoso",
        "nik": "3510011208850001",
        "kk_number": "3510010101200003",
        "address": "Jl. Kepiting 12, RT 02 RW 01, Sobo, Banyuwangi",
        "lat": -8.2100,
        "lng": 114.3600,
        "phone": "0812 3456 7890",
    }
    values.update(changes)
    return documents.Answers(**values)


def submitted(resident, *, now: datetime = FRIDAY, **changes) -> DocumentRequest:
    changes.setdefault("registration_number", f"3510-20261204-{next(_serials):04d}")  # one open per number
    return documents.submit_request(answers(**changes), resident=resident, key=f"key-{next(_keys)}", now=now)


def walk(request: DocumentRequest, to: DocumentStatus, *, clerk, now: datetime = FRIDAY) -> DocumentRequest:
    """Move a submitted request along the happy path up to `to`, as the clerk would."""
    steps = {
        DocumentStatus.VERIFIED: documents.verify,
        DocumentStatus.READY: documents.mark_ready,
    }
    for status, verb in steps.items():
        verb(request, by=clerk, now=now)
        if status == to:
            break
    return request
