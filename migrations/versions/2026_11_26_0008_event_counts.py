"""Counts of published events per actor, day (and month), type, status, verification and
precision of the start, kept with every change (app/counting.py), and the zone their days are
in. Built empty: `brink migrate` (or the first start) fills them for the configured zone.
Ranges' ends and precision in ix_events_ranges.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


BY_ACTOR = [
    "actor_id", "day", "type_slug", "status", "verification", "start_precision",
    "start_approximate", "events", "ranges",
]  # fmt: skip
BY_DAY = ["day", "actor_id", "type_slug", "status", "verification", "events"]


def upgrade() -> None:
    for table in ("event_counts", "event_month_counts"):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("actor_id", sa.Integer(), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("type_slug", sa.String(length=40), nullable=False),
            sa.Column("status", sa.String(length=20), nullable=False),
            sa.Column("verification", sa.String(length=20), nullable=False),
            sa.Column("start_precision", sa.String(length=10), nullable=False),
            sa.Column("start_approximate", sa.Boolean(), nullable=False),
            sa.Column("events", sa.Integer(), nullable=False),
            sa.Column("ranges", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_actor", table, BY_ACTOR)
        op.create_index(f"ix_{table}_day", table, BY_DAY)
    op.create_index(
        "ix_event_month_counts_type", "event_month_counts", ["type_slug", "actor_id", "events"]
    )
    # The overview's walk of ranges by importance tests their dates and precision in the index.
    op.drop_index("ix_events_ranges", table_name="events")
    op.create_index(
        "ix_events_ranges",
        "events",
        ["published", "importance", "start_at", "id", "end_at", "start_precision"],
        sqlite_where=sa.text("end_at IS NOT NULL"),
        postgresql_where=sa.text("end_at IS NOT NULL"),
    )
    op.create_table(
        "event_count_zone",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_event_count_zone")),
    )


def downgrade() -> None:
    op.drop_table("event_count_zone")
    op.drop_index("ix_events_ranges", table_name="events")
    op.create_index(
        "ix_events_ranges",
        "events",
        ["published", "importance", "start_at", "id"],
        sqlite_where=sa.text("end_at IS NOT NULL"),
        postgresql_where=sa.text("end_at IS NOT NULL"),
    )
    op.drop_index("ix_event_month_counts_type", table_name="event_month_counts")
    for table in ("event_month_counts", "event_counts"):
        op.drop_index(f"ix_{table}_day", table_name=table)
        op.drop_index(f"ix_{table}_actor", table_name=table)
        op.drop_table(table)
