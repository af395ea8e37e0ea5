"""food: every admin decision on a warung is an event (who, from, to, why, when)

Verification went through portal.workflow.move without a trace: approving or rejecting a
warung now writes a warung_events row, the same shape as every other domain's event table.

Revision ID: 0441
Revises: 0440
Create Date: 2026-12-05 01:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0441'
down_revision = '0440'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('warung_events',
    sa.Column('warung_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_warung_events_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warung_id'], ['warungs.id'], name=op.f('fk_warung_events_warung_id_warungs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warung_events'))
    )
    with op.batch_alter_table('warung_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warung_events_warung_id'), ['warung_id'], unique=False)


def downgrade():
    with op.batch_alter_table('warung_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warung_events_warung_id'))
    op.drop_table('warung_events')
