"""food: English beside Indonesian for order lines, dish categories and the warung's description

food_order_items.name_en is the English name as the menu had it at ordering time. Orders placed
before it existed take the English from their dish where the dish still exists; otherwise it
stays empty and the line is read by its Indonesian name, as it was stored.

Revision ID: 1300
Revises: 1200
Create Date: 2026-12-06 01:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1300"
down_revision = "1200"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("warungs", sa.Column("description_en", sa.Text(), server_default="", nullable=False))
    op.add_column("dishes", sa.Column("category_en", sa.String(length=60), server_default="", nullable=False))
    op.add_column("food_order_items", sa.Column("name_en", sa.String(length=120), server_default="", nullable=False))
    items = sa.table("food_order_items", sa.column("dish_id", sa.Integer), sa.column("name_en", sa.String))
    dishes = sa.table("dishes", sa.column("id", sa.Integer), sa.column("name_en", sa.String))
    english = sa.select(dishes.c.name_en).where(dishes.c.id == items.c.dish_id).scalar_subquery()
    op.execute(
        items.update()
        .where(items.c.dish_id.is_not(None), sa.exists().where(dishes.c.id == items.c.dish_id, dishes.c.name_en != ""))
        .values(name_en=english)
    )


def downgrade():
    for table, column in (("food_order_items", "name_en"), ("dishes", "category_en"), ("warungs", "description_en")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
