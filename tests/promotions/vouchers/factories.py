from __future__ import annotations

from datetime import date

import factory

from portal.promotions.vouchers.models import Voucher
from tests.factories import BaseFactory


class VoucherFactory(BaseFactory):
    class Meta:
        model = Voucher

    code = factory.Sequence(lambda n: f"PESTA{n}")
    name = factory.Sequence(lambda n: f"Pesta Kuliner {n}")
    name_en = ""
    kind = "amount"
    amount = 10_000
    percent = None
    cap = None
    min_order = 0
    budget = 1_000_000
    spent = 0
    per_user_limit = 1
    starts_on = date(2026, 1, 1)
    ends_on = date(2030, 12, 31)
    opens = None
    closes = None
    active = True
