"""couriers: the courier's position during an open job (courier_positions, latest copied on deliveries)

While a local courier has an open job, the workspace sends the phone's position at most every
15 s; the customer's tracking page shows it on a map with an ETA. The newest position is copied
onto the delivery (position_lat/lng/accuracy/at) so the polled tracking fragment and its ETag need
no extra query. Positions are deleted (and the copy cleared) 30 days after the job ends.

Revision ID: 1100
Revises: 0800
Create Date: 2026-12-05 22:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = '1100'
down_revision = '0800'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'courier_positions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('driver_id', sa.Integer(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lng', sa.Float(), nullable=False),
        sa.Column('accuracy', sa.Float(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['driver_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_courier_positions_delivery_at', 'courier_positions', ['delivery_id', 'at'], unique=False)
    op.create_index(op.f('ix_courier_positions_driver_id'), 'courier_positions', ['driver_id'], unique=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('position_lng', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('position_accuracy', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('position_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('position_at')
        batch_op.drop_column('position_accuracy')
        batch_op.drop_column('position_lng')
        batch_op.drop_column('position_lat')
    op.drop_index(op.f('ix_courier_positions_driver_id'), table_name='courier_positions')
    op.drop_index('ix_courier_positions_delivery_at', table_name='courier_positions')
    op.drop_table('courier_positions')
