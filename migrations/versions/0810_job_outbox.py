"""jobs: job_outbox, where jobs wait while Redis is down

A request that commits while Redis does not answer keeps its jobs (a courier dispatch, an SMS)
here instead of failing the page or losing them; the scheduled `drain_outbox` job queues them
once Redis is back (portal/jobs.py).

Revision ID: 0810
Revises: 1000
Create Date: 2026-12-05 22:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0810'
down_revision = '1000'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox')),
    )


def downgrade():
    op.drop_table('job_outbox')
