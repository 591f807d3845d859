"""An index in publication order: a feed lists the events published last.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_published_published_at", "events", ["published", "published_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_published_published_at", table_name="events")
