"""promotions: regency-funded vouchers, their redemptions, and the discount on a food order

A voucher's `spent` (reserved + used) is kept within its budget by a CHECK as well as by the
conditional UPDATE that reserves it. An order carries at most one redemption (unique order_id).

Revision ID: 0910
Revises: 1100
Create Date: 2026-12-05 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import portal.database

# revision identifiers, used by Alembic.
revision = "0910"
down_revision = "1100"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("min_order", sa.Integer(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Integer(), nullable=False),
        sa.Column("per_user_limit", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=True),
        sa.Column("closes", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("spent >= 0 AND spent <= budget", name=op.f("ck_vouchers_within_budget")),
        sa.CheckConstraint("budget > 0", name=op.f("ck_vouchers_budget_positive")),
        sa.CheckConstraint("kind IN ('amount', 'percent')", name=op.f("ck_vouchers_kind")),
        sa.CheckConstraint("percent IS NULL OR percent BETWEEN 1 AND 100", name=op.f("ck_vouchers_percent")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_vouchers_dates")),
        sa.CheckConstraint(
            "(opens IS NULL AND closes IS NULL) OR (opens BETWEEN 0 AND 1439 AND closes BETWEEN 1 AND 1440 "
            "AND closes > opens)",
            name=op.f("ck_vouchers_hours"),
        ),
        sa.CheckConstraint("per_user_limit >= 1", name=op.f("ck_vouchers_per_user_limit")),
        sa.CheckConstraint("festival_id IS NULL OR collection_id IS NULL", name=op.f("ck_vouchers_one_scope")),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["promo_festivals.id"],
            name=op.f("fk_vouchers_festival_id_promo_festivals"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["promo_collections.id"],
            name=op.f("fk_vouchers_collection_id_promo_collections"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_vouchers_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vouchers_festival_id"), ["festival_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_collection_id"), ["collection_id"], unique=False)
    op.create_table(
        "voucher_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("refunded_after_use", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", portal.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("returned_at", portal.database.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_voucher_redemptions_amount")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["food_orders.id"],
            name=op.f("fk_voucher_redemptions_order_id_food_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_voucher_redemptions_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_voucher_redemptions_voucher_id_vouchers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_voucher_redemptions_order_id")),
    )
    with op.batch_alter_table("voucher_redemptions", schema=None) as batch_op:
        batch_op.create_index("ix_voucher_redemptions_voucher_phone", ["voucher_id", "phone"], unique=False)
        batch_op.create_index("ix_voucher_redemptions_voucher_user", ["voucher_id", "user_id"], unique=False)
    with op.batch_alter_table("food_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("food_orders", schema=None) as batch_op:
        batch_op.drop_column("discount")
    with op.batch_alter_table("voucher_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_voucher_redemptions_voucher_user")
        batch_op.drop_index("ix_voucher_redemptions_voucher_phone")
    op.drop_table("voucher_redemptions")
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vouchers_collection_id"))
        batch_op.drop_index(batch_op.f("ix_vouchers_festival_id"))
    op.drop_table("vouchers")
