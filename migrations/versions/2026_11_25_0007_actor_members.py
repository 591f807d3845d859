"""Actors with everything below them, as a table: the actor filter's roll-up; an index that
covers the facets' counts; two for the overview; ranges by end with their start.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL = """
INSERT INTO actor_members (actor_id, member_id)
WITH RECURSIVE tree(actor_id, member_id) AS (
    SELECT id, id FROM actors
    UNION
    SELECT tree.actor_id, actors.id FROM actors JOIN tree ON actors.parent_id = tree.member_id
)
SELECT actor_id, member_id FROM tree
"""


def upgrade() -> None:
    op.create_table(
        "actor_members",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_actor_members_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["actors.id"],
            name=op.f("fk_actor_members_member_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", "member_id", name=op.f("pk_actor_members")),
    )
    op.create_index("ix_actor_members_member", "actor_members", ["member_id", "actor_id"])
    op.execute(FILL)
    op.drop_index("ix_events_end", table_name="events")
    op.create_index("ix_events_end_start", "events", ["end_at", "start_at"])
    op.create_index(
        "ix_events_facets", "events", ["published", "type_slug", "status", "verification"]
    )
    op.create_index(
        "ix_events_precision",
        "events",
        ["published", "start_precision", "type_slug", "status", "start_approximate", "start_at",
         "end_at"],
    )  # fmt: skip
    op.create_index(
        "ix_events_ranges",
        "events",
        ["published", "importance", "start_at", "id"],
        sqlite_where=sa.text("end_at IS NOT NULL"),
        postgresql_where=sa.text("end_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_ranges", table_name="events")
    op.drop_index("ix_events_precision", table_name="events")
    op.drop_index("ix_events_facets", table_name="events")
    op.drop_index("ix_events_end_start", table_name="events")
    op.create_index("ix_events_end", "events", ["end_at"])
    op.drop_index("ix_actor_members_member", table_name="actor_members")
    op.drop_table("actor_members")
