"""food_cash_handovers: the cash a courier hands a warung for its cash-on-delivery orders, as the
owner records it

Revision ID: 1600
Revises: 1500
Create Date: 2026-12-06 05:56:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1600'
down_revision = '1500'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'food_cash_handovers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('warung_id', sa.Integer(), nullable=False),
        sa.Column('courier_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_food_cash_handovers_amount_positive')),
        sa.ForeignKeyConstraint(['courier_id'], ['users.id'], name=op.f('fk_food_cash_handovers_courier_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_food_cash_handovers_recorded_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['warung_id'], ['warungs.id'], name=op.f('fk_food_cash_handovers_warung_id_warungs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_food_cash_handovers')),
    )
    op.create_index(op.f('ix_food_cash_handovers_courier_id'), 'food_cash_handovers', ['courier_id'])
    op.create_index(op.f('ix_food_cash_handovers_warung_id'), 'food_cash_handovers', ['warung_id'])


def downgrade():
    op.drop_index(op.f('ix_food_cash_handovers_warung_id'), table_name='food_cash_handovers')
    op.drop_index(op.f('ix_food_cash_handovers_courier_id'), table_name='food_cash_handovers')
    op.drop_table('food_cash_handovers')
