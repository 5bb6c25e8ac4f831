"""enrolment: the register of issued codes, enrolment links, PINs and PIN attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "issued_codes",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("jti"),
    )
    op.create_index("ix_issued_codes_person_id", "issued_codes", ["person_id"])
    op.create_index("ix_issued_codes_kid_valid_until", "issued_codes", ["kid", "valid_until"])
    op.create_table(
        "enrol_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_enrol_tokens_person_id", "enrol_tokens", ["person_id"])
    op.create_table(
        "person_pins",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "pin_attempts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pin_attempts_person_at", "pin_attempts", ["person_id", "at"])
    op.create_index("ix_pin_attempts_remote_at", "pin_attempts", ["remote", "at"])


def downgrade() -> None:
    op.drop_table("pin_attempts")
    op.drop_table("person_pins")
    op.drop_table("enrol_tokens")
    op.drop_table("issued_codes")
