"""promotions: collections, festivals, entries

The regency promotes local warungs: curated collections (ordered warungs between two dates) and
festivals that warungs opt in to, each entry a workflow subject with its event table.

Revision ID: 0900
Revises: 0700
Create Date: 2026-12-05 21:54:50.580447

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0900"
down_revision = "0700"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "promo_collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title_id", sa.String(length=120), nullable=False),
        sa.Column("title_en", sa.String(length=120), nullable=False),
        sa.Column("description_id", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("cover", sa.String(length=64), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_promo_collections_dates")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_promo_collections_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_collections")),
        sa.UniqueConstraint("slug", name=op.f("uq_promo_collections_slug")),
    )
    op.create_table(
        "promo_festivals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name_id", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("description_id", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("cover", sa.String(length=64), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_promo_festivals_dates")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_promo_festivals_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_festivals")),
        sa.UniqueConstraint("slug", name=op.f("uq_promo_festivals_slug")),
    )
    with op.batch_alter_table("promo_festivals", schema=None) as batch_op:
        batch_op.create_index("ix_promo_festivals_period", ["starts_at", "ends_at"], unique=False)

    op.create_table(
        "promo_collection_warungs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("warung_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["promo_collections.id"],
            name=op.f("fk_promo_collection_warungs_collection_id_promo_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warung_id"],
            ["warungs.id"],
            name=op.f("fk_promo_collection_warungs_warung_id_warungs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_collection_warungs")),
        sa.UniqueConstraint(
            "collection_id", "warung_id", name=op.f("uq_promo_collection_warungs_collection_id_warung_id")
        ),
    )
    with op.batch_alter_table("promo_collection_warungs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promo_collection_warungs_warung_id"), ["warung_id"], unique=False)

    op.create_table(
        "promo_festival_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("warung_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["festival_id"],
            ["promo_festivals.id"],
            name=op.f("fk_promo_festival_entries_festival_id_promo_festivals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warung_id"], ["warungs.id"], name=op.f("fk_promo_festival_entries_warung_id_warungs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_festival_entries")),
        sa.UniqueConstraint("festival_id", "warung_id", name=op.f("uq_promo_festival_entries_festival_id_warung_id")),
    )
    with op.batch_alter_table("promo_festival_entries", schema=None) as batch_op:
        batch_op.create_index("ix_promo_festival_entries_warung_status", ["warung_id", "status"], unique=False)

    op.create_table(
        "promo_festival_entry_events",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_promo_festival_entry_events_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["promo_festival_entries.id"],
            name=op.f("fk_promo_festival_entry_events_entry_id_promo_festival_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_festival_entry_events")),
    )
    with op.batch_alter_table("promo_festival_entry_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promo_festival_entry_events_entry_id"), ["entry_id"], unique=False)


def downgrade():
    with op.batch_alter_table("promo_festival_entry_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_festival_entry_events_entry_id"))

    op.drop_table("promo_festival_entry_events")
    with op.batch_alter_table("promo_festival_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_promo_festival_entries_warung_status")

    op.drop_table("promo_festival_entries")
    with op.batch_alter_table("promo_collection_warungs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_collection_warungs_warung_id"))

    op.drop_table("promo_collection_warungs")
    with op.batch_alter_table("promo_festivals", schema=None) as batch_op:
        batch_op.drop_index("ix_promo_festivals_period")

    op.drop_table("promo_festivals")
    op.drop_table("promo_collections")
