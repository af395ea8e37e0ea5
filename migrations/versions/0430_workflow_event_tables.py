"""workflow: every event table records where a move came from, in one shape

portal.workflow.EventMixin gives each domain's event table the same columns: from_status, status
(moved to, up to 30 characters for the longer medicine and document statuses), note (text), at,
by_id. Existing rows keep from_status NULL: their history was written before it was kept.

Revision ID: 0430
Revises: 0420
Create Date: 2026-12-05 01:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0430'
down_revision = '0420'
branch_labels = None
depends_on = None

TABLES = {
    'food_order_events': (20, sa.String(300)),
    'ride_booking_events': (20, sa.String(300)),
    'delivery_events': (20, sa.Text()),
    'payment_events': (24, sa.String(300)),
}


def upgrade():
    for table, (length, note) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('from_status', sa.String(length=30), nullable=True))
            batch_op.alter_column('status', existing_type=sa.String(length=length), type_=sa.String(length=30),
                                  existing_nullable=False)
            if not isinstance(note, sa.Text):
                batch_op.alter_column('note', existing_type=note, type_=sa.Text(), existing_nullable=False)


def downgrade():
    for table, (length, note) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            if not isinstance(note, sa.Text):
                batch_op.alter_column('note', existing_type=sa.Text(), type_=note, existing_nullable=False)
            batch_op.alter_column('status', existing_type=sa.String(length=30), type_=sa.String(length=length),
                                  existing_nullable=False)
            batch_op.drop_column('from_status')
