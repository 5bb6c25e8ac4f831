"""passage numbering: each entry's place in its gate's numbering, and the gaps found in it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq_stream", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("seq_n", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            "ix_entries_seq",
            ["site", "gate", "seq_stream", "seq_n"],
            unique=False,
            sqlite_where=sa.text("seq_n IS NOT NULL"),
            postgresql_where=sa.text("seq_n IS NOT NULL"),
        )
    op.create_table(
        "passage_streams",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("gate", sa.String(length=32), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("checked_to", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "gate", "stream"),
    )
    op.create_table(
        "passage_gaps",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("gate", sa.String(length=32), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site", "gate", "stream", "n"),
    )


def downgrade() -> None:
    op.drop_table("passage_gaps")
    op.drop_table("passage_streams")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_seq", sqlite_where=sa.text("seq_n IS NOT NULL"))
        batch_op.drop_column("seq_n")
        batch_op.drop_column("seq_stream")
