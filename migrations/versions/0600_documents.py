"""documents: requests, their timeline, fee settings

One row per civil document to deliver from the MPP (NIK and KK number encrypted, with a keyed
hash and a masked copy), its event table (portal.workflow.EventMixin), and the admin's choice
per document type of who pays the delivery.

Revision ID: 0600
Revises: 0502
Create Date: 2026-12-05 01:11:35.735434

"""

from alembic import op
import sqlalchemy as sa


revision = "0600"
down_revision = '0502'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=20), nullable=False),
        sa.Column("registration_number", sa.String(length=30), nullable=False),
        sa.Column("holder_name", sa.String(length=120), nullable=False),
        sa.Column("nik_encrypted", sa.Text(), nullable=False),
        sa.Column("nik_hash", sa.String(length=64), nullable=False),
        sa.Column("nik_masked", sa.String(length=16), nullable=False),
        sa.Column("kk_encrypted", sa.Text(), nullable=False),
        sa.Column("kk_masked", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("holder_only", sa.Boolean(), nullable=False),
        sa.Column("receivers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("return_old_card", sa.Boolean(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("pin_encrypted", sa.Text(), nullable=True),
        sa.Column("received_by", sa.String(length=120), nullable=True),
        sa.Column("old_card_collected", sa.Boolean(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["users.id"], name=op.f("fk_document_requests_resident_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_document_requests_reference")),
        sa.UniqueConstraint(
            "resident_id", "idempotency_key", name=op.f("uq_document_requests_resident_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("document_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_requests_document_type"), ["document_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_requests_nik_hash"), ["nik_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_requests_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index("ix_document_requests_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "document_type_settings",
        sa.Column("document_type", sa.String(length=20), nullable=False),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_document_type_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("document_type", name=op.f("pk_document_type_settings")),
    )
    op.create_table(
        "document_request_events",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_document_request_events_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["document_requests.id"],
            name=op.f("fk_document_request_events_request_id_document_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_request_events")),
    )
    with op.batch_alter_table("document_request_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_request_events_request_id"), ["request_id"], unique=False)


def downgrade():
    with op.batch_alter_table("document_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_request_events_request_id"))

    op.drop_table("document_request_events")
    op.drop_table("document_type_settings")
    with op.batch_alter_table("document_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_document_requests_status_created")
        batch_op.drop_index(batch_op.f("ix_document_requests_resident_id"))
        batch_op.drop_index(batch_op.f("ix_document_requests_nik_hash"))
        batch_op.drop_index(batch_op.f("ix_document_requests_document_type"))

    op.drop_table("document_requests")
