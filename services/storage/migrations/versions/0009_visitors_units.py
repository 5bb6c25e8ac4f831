"""visitors and host units: unit officers, visitor requests, risk areas, public-page
rate limits, the plate whitelist

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_officers",
        sa.Column("unit", sa.String(length=200), primary_key=True),
        sa.Column("officer", sa.String(length=64), primary_key=True),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_unit_officers_officer", "unit_officers", ["officer"])
    op.create_table(
        "visitor_requests",
        sa.Column("appointment_id", sa.String(length=40), primary_key=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("host_person", sa.String(length=200), nullable=False),
        sa.Column("guarantor", sa.String(length=200), nullable=False),
        sa.Column("companions", sa.Text(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("fever_free", sa.Boolean(), nullable=False),
        sa.Column("last_test_on", sa.String(length=10), nullable=False),
        sa.Column("places", sa.Text(), nullable=False),
        sa.Column("risk_places", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True, unique=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("answer_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gate", sa.String(length=32), nullable=False),
        sa.Column("batch", sa.String(length=40), nullable=False),
    )
    op.create_index("ix_visitor_requests_answer_by", "visitor_requests", ["answer_by"])
    op.create_index("ix_visitor_requests_batch", "visitor_requests", ["batch"])
    _risk_areas_limits_and_plates()


def _risk_areas_limits_and_plates() -> None:
    op.create_table(
        "risk_areas",
        sa.Column("site", sa.String(length=32), primary_key=True),
        sa.Column("name", sa.String(length=100), primary_key=True),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "public_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_public_requests_address_at", "public_requests", ["address", "at"])
    op.create_index("ix_public_requests_phone_at", "public_requests", ["phone_hash", "at"])
    op.create_table(
        "plate_whitelist",
        sa.Column("site", sa.String(length=32), primary_key=True),
        sa.Column("plate", sa.String(length=16), primary_key=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "plate_whitelist",
        "public_requests",
        "risk_areas",
        "visitor_requests",
        "unit_officers",
    ):
        op.drop_table(table)
