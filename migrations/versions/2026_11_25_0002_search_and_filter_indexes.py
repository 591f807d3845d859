"""Full-text search over events, and indexes for the timeline's filters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from app import search

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    search.create_index_table(connection)
    search.reindex(connection)
    # Each filter walks an index in timeline order: by type, and by the actors' events.
    op.create_index(
        "ix_events_type_published_start", "events", ["type_slug", "published", "start_at", "id"]
    )
    op.drop_index("ix_events_type_slug", table_name="events")
    # `from` also keeps ranges still running on that day: their end is looked up here.
    op.create_index("ix_events_end", "events", ["end_at"])


def downgrade() -> None:
    op.drop_index("ix_events_end", table_name="events")
    op.create_index("ix_events_type_slug", "events", ["type_slug"])
    op.drop_index("ix_events_type_published_start", table_name="events")
    op.execute(f"DROP TABLE {search.TABLE}")
