"""food: cart_items indexed by (user_id, warung_id), the key of one cart

Every add-to-cart reads the cart bar by user and warung. With only single-column indexes,
SQLite chose warung_id and scanned every customer's lines at a popular warung (0.1 ms at
1,200 lines, and growing). The new index also serves user_id alone, which the old one did.

Revision ID: 0420
Revises: 0410
Create Date: 2026-11-24 03:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0420'
down_revision = '0410'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cart_items', schema=None) as batch_op:
        batch_op.create_index('ix_cart_items_user_warung', ['user_id', 'warung_id'], unique=False)
        batch_op.drop_index('ix_cart_items_user_id')


def downgrade():
    with op.batch_alter_table('cart_items', schema=None) as batch_op:
        batch_op.create_index('ix_cart_items_user_id', ['user_id'], unique=False)
        batch_op.drop_index('ix_cart_items_user_warung')
