"""isolation case workflow columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 03:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("isolation_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("clinic_celsius", sa.Numeric(precision=5, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("clinic_measured_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("closed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("isolation_cases", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("clinic_measured_at")
        batch_op.drop_column("clinic_celsius")
        batch_op.drop_column("acknowledged_by")
