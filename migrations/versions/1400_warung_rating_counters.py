"""warungs.rating_total / rating_count: a warung's stars kept as customers rate, so a list of
cards does not average every order of every warung on each visit

Revision ID: 1400
Revises: 1300
Create Date: 2026-12-06 02:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1400'
down_revision = '1300'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('warungs') as batch:
        batch.add_column(sa.Column('rating_total', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('rating_count', sa.Integer(), server_default='0', nullable=False))
    # The ratings given so far, in one statement on both databases.
    op.execute(
        """
        UPDATE warungs SET
          rating_total = (SELECT coalesce(sum(rating_warung), 0) FROM food_orders
                          WHERE food_orders.warung_id = warungs.id AND rating_warung IS NOT NULL),
          rating_count = (SELECT count(rating_warung) FROM food_orders
                          WHERE food_orders.warung_id = warungs.id)
        """
    )


def downgrade():
    with op.batch_alter_table('warungs') as batch:
        batch.drop_column('rating_count')
        batch.drop_column('rating_total')
