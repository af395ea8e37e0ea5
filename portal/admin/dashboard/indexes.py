"""The indexes the dashboard's period filters need (migration 0700), declared here beside the
queries that use them rather than in the owning domains' models: the dashboard filters these
tables by `created_at` between two moments. (Document and medicine requests are filtered the same
way; their tables are created beside migration 0700, not before it, so they wait for a later one.)"""

from __future__ import annotations

from sqlalchemy import Index

from portal.couriers.models import Delivery
from portal.payments.models import Payment

INDEXES = [
    Index("ix_deliveries_created_at", Delivery.created_at),
    Index("ix_payments_created_at", Payment.created_at),
]
