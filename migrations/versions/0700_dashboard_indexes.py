"""dashboard: created_at indexes on deliveries and payments, for the dashboard's period filters

The dashboard reads a period of deliveries and payments by the moment they were made. Without these indexes each of those queries scanned the whole table: on
a year of data (60,000 deliveries and 60,000 payments, SQLite) the three courier and payment
queries of a 30-day dashboard took 40-70 ms each, growing with history instead of with the
period. (Food orders already have placed_at indexed.) The indexes are declared beside the
queries that need them, in portal/admin/dashboard/indexes.py. Document and medicine requests
are filtered by created_at too; their tables come in 0600 and 0500, beside this one, so they are
left to a migration after the chain is made linear.

Revision ID: 0700
Revises: 0600
Create Date: 2026-12-05 02:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0700'
down_revision = '0600'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_deliveries_created_at', 'deliveries'),
    ('ix_payments_created_at', 'payments'),
)


def upgrade():
    for name, table in INDEXES:
        op.create_index(name, table, ['created_at'], unique=False)


def downgrade():
    for name, table in INDEXES:
        op.drop_index(name, table_name=table)
