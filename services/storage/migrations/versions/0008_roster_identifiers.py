"""roster: document type, campus card number, contact columns, photos

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column("doc_type", sa.String(length=16), nullable=False, server_default="cn_id")
        )
        batch.add_column(sa.Column("card_no", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("class_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("dormitory", sa.String(length=100), nullable=False, server_default="")
        )
        batch.create_unique_constraint("uq_persons_card_no", ["card_no"])
    op.create_table(
        "person_photos",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("thumb", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("person_photos")
    with op.batch_alter_table("persons") as batch:
        batch.drop_constraint("uq_persons_card_no", type_="unique")
        for column in ("dormitory", "class_name", "phone", "card_no", "doc_type"):
            batch.drop_column(column)
