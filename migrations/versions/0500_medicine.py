"""medicine: hospitals, pharmacists, medicine deliveries and their events

Revision ID: 0500
Revises: 0460
Create Date: 2026-12-05 01:11:48.015277

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0500"
down_revision = '0460'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hospitals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("post_phone", sa.String(length=20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("gosend_trained_contract", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospitals")),
        sa.UniqueConstraint("slug", name=op.f("uq_hospitals_slug")),
    )
    op.create_table(
        "hospital_pharmacists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_hospital_pharmacists_assigned_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"],
            ["hospitals.id"],
            name=op.f("fk_hospital_pharmacists_hospital_id_hospitals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_hospital_pharmacists_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_pharmacists")),
        sa.UniqueConstraint("user_id", name=op.f("uq_hospital_pharmacists_user_id")),
    )
    with op.batch_alter_table("hospital_pharmacists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hospital_pharmacists_hospital_id"), ["hospital_id"], unique=False)

    op.create_table(
        "medicine_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("patient_name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("prescription_number", sa.String(length=40), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("landmark", sa.String(length=200), nullable=False),
        sa.Column("receivers", sa.JSON(), nullable=False),
        sa.Column("fare_class", sa.String(length=10), nullable=False),
        sa.Column("card_checked_by", sa.String(length=120), nullable=True),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("travel_minutes", sa.Integer(), nullable=False),
        sa.Column("bags", sa.Integer(), nullable=False),
        sa.Column("cold_chain", sa.Boolean(), nullable=False),
        sa.Column("compounded", sa.Boolean(), nullable=False),
        sa.Column("hold_reason", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("received_by", sa.String(length=160), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("bags BETWEEN 1 AND 20", name=op.f("ck_medicine_deliveries_bags")),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_medicine_deliveries_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["users.id"],
            name=op.f("fk_medicine_deliveries_registered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medicine_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_medicine_deliveries_idempotency_key")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_medicine_deliveries_token_hash")),
    )
    with op.batch_alter_table("medicine_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_medicine_deliveries_hospital_prescription", ["hospital_id", "prescription_number"], unique=False
        )
        batch_op.create_index("ix_medicine_deliveries_hospital_status", ["hospital_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_medicine_deliveries_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "medicine_delivery_events",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_medicine_delivery_events_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["medicine_deliveries.id"],
            name=op.f("fk_medicine_delivery_events_delivery_id_medicine_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medicine_delivery_events")),
    )
    with op.batch_alter_table("medicine_delivery_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medicine_delivery_events_delivery_id"), ["delivery_id"], unique=False)


def downgrade():
    with op.batch_alter_table("medicine_delivery_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medicine_delivery_events_delivery_id"))

    op.drop_table("medicine_delivery_events")
    with op.batch_alter_table("medicine_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medicine_deliveries_updated_at"))
        batch_op.drop_index("ix_medicine_deliveries_hospital_status")
        batch_op.drop_index("ix_medicine_deliveries_hospital_prescription")

    op.drop_table("medicine_deliveries")
    with op.batch_alter_table("hospital_pharmacists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hospital_pharmacists_hospital_id"))

    op.drop_table("hospital_pharmacists")
    op.drop_table("hospitals")
