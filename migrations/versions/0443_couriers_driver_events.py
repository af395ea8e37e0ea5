"""couriers: driver_events, one row per decision on a driver and who made it

Verifying, rejecting, withdrawing or barring a driver (and their re-applying) now moves the
driver profile through portal.workflow, which writes the event. Earlier decisions keep only
what driver_profiles says (verified_by_id, verified_at, reject_reason).

Revision ID: 0443
Revises: 0442
Create Date: 2026-12-05 01:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0443'
down_revision = '0442'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('driver_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_driver_events_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['profile_id'], ['driver_profiles.id'], name=op.f('fk_driver_events_profile_id_driver_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_driver_events'))
    )
    with op.batch_alter_table('driver_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_driver_events_profile_id'), ['profile_id'], unique=False)


def downgrade():
    with op.batch_alter_table('driver_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_driver_events_profile_id'))
    op.drop_table('driver_events')
