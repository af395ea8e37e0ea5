"""The demo voucher for `make run`: PESTA10, Rp10.000 off food of Rp25.000 or more, for the
seeded festival's warungs (every warung if no festival is seeded), valid from yesterday for a
month so it works whatever day the demo runs. Idempotent: an existing PESTA10 is left alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.services import find_by_email
from portal.database import utcnow
from portal.extensions import db
from portal.formatting import to_wib
from portal.promotions.models import Festival
from portal.promotions.vouchers.models import Voucher

DEMO_CODE = "PESTA10"
FESTIVAL_SLUG = "pesta-kuliner-banyuwangi"  # portal/promotions/demo.py's festival


def seed() -> None:
    if db.session.scalar(select(Voucher.id).where(Voucher.code == DEMO_CODE)) is not None:
        return
    today = to_wib(utcnow()).date()
    festival = db.session.scalar(select(Festival).where(Festival.slug == FESTIVAL_SLUG)) or db.session.scalar(
        select(Festival).order_by(Festival.starts_at.desc()).limit(1)
    )
    admin = find_by_email("admin@example.com")
    db.session.add(
        Voucher(
            code=DEMO_CODE,
            name="Pesta Kuliner: potongan Rp10.000",
            name_en="Food festival: Rp10,000 off",
            kind="amount",
            amount=10_000,
            min_order=25_000,
            budget=5_000_000,
            spent=0,
            per_user_limit=1,
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=30),
            active=True,
            festival_id=festival.id if festival is not None else None,
            created_by_id=admin.id if admin is not None else None,
        )
    )
    db.session.flush()
