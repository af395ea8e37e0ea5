"""medicine: the handover PIN kept encrypted until the courier picks the bags up

Revision ID: 0502
Revises: 0501

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0502"
down_revision = '0501'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("medicine_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pin_sealed", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("medicine_deliveries", schema=None) as batch_op:
        batch_op.drop_column("pin_sealed")
