"""food: warungs.menu_version, the version a shared rendered menu is kept under

Revision ID: 0410
Revises: 0400
Create Date: 2026-11-23 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0410'
down_revision = '0400'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('warungs', sa.Column('menu_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('warungs', 'menu_version')
