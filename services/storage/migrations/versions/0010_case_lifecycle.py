"""isolation case lifecycle, incidents at the lane, daily check-ins, census head counts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:40:00

Cases closed before this revision keep isolating unless they were released: an
``isolation_room`` outcome becomes ``observation``, ``referred_hospital`` becomes
``referred`` (closing them let the person straight back in; issue 17).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)
_CASE_COLUMNS = [
    ("origin", sa.String(length=16), {"server_default": "fever", "nullable": False}),
    ("opened_by", sa.String(length=64), {}),
    ("note", sa.Text(), {"server_default": "", "nullable": False}),
    ("observation_place", sa.String(length=8), {}),
    ("observation_room", sa.String(length=64), {}),
    ("observation_start", _WHEN, {}),
    ("observation_until", _WHEN, {}),
    ("hospital", sa.String(length=200), {}),
    ("transfer_at", _WHEN, {}),
    ("suspected_at", _WHEN, {}),
    ("confirmed_at", _WHEN, {}),
    ("release_reason", sa.Text(), {}),
    ("returned_at", _WHEN, {}),
    ("return_date", sa.String(length=10), {}),
    ("return_certificate", sa.String(length=200), {}),
    ("returned_by", sa.String(length=64), {}),
    ("updated_at", _WHEN, {}),
]


def upgrade() -> None:
    with op.batch_alter_table("isolation_cases") as batch:
        for name, type_, options in _CASE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=options.get("nullable", True),
                                       server_default=options.get("server_default")))  # fmt: skip
        batch.alter_column("event_id", existing_type=sa.String(length=36), nullable=True)
    cases = sa.table(
        "isolation_cases",
        sa.column("status", sa.String),
        sa.column("outcome", sa.String),
        sa.column("release_reason", sa.Text),
    )
    for outcome, status in (
        ("released", "released"),
        ("isolation_room", "observation"),
        ("referred_hospital", "referred"),
    ):
        op.execute(
            cases.update()
            .where(cases.c.status == "closed", cases.c.outcome == outcome)
            .values(status=status)
        )
    op.execute(cases.update().where(cases.c.status == "closed").values(status="released"))
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),  # fmt: skip
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("gate", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
    )
    op.create_index("ix_incidents_site_at", "incidents", ["site", "at"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),  # fmt: skip
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("slot", sa.String(length=8), nullable=False),
        sa.Column("celsius", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("symptoms", sa.Text(), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.UniqueConstraint("site", "person_id", "day", "slot"),
    )
    op.create_index("ix_checkins_site_day", "checkins", ["site", "day"])
    op.create_table(
        "census_days",
        sa.Column("site", sa.String(length=32), primary_key=True),
        sa.Column("day", sa.String(length=10), primary_key=True),
        sa.Column("on_campus", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("census_days")
    op.drop_index("ix_checkins_site_day", table_name="checkins")
    op.drop_table("checkins")
    op.drop_index("ix_incidents_site_at", table_name="incidents")
    op.drop_table("incidents")
    with op.batch_alter_table("isolation_cases") as batch:
        batch.alter_column("event_id", existing_type=sa.String(length=36), nullable=False)
        for name, _type, _options in reversed(_CASE_COLUMNS):
            batch.drop_column(name)
