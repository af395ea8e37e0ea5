"""payments: a payer without an account (a medicine patient paying through the link)

Revision ID: 0501
Revises: 0500
Create Date: 2026-12-05 02:35:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0501"
down_revision = '0500'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
