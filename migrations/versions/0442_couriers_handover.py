"""couriers: the handover as recorded at the door (who took the goods, what came back)

A job may name who may take the goods (`receivers`) and something to take back (`collect`), both
in job_data; the courier records `received_by` and `collected` when marking it delivered.
Existing deliveries: received_by '' (not recorded), collected NULL (nothing to collect).

Revision ID: 0442
Revises: 0441
Create Date: 2026-12-05 01:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = '0442'
down_revision = '0441'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_by", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("collected", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("collected")
        batch_op.drop_column("received_by")
