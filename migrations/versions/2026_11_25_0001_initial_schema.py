"""Initial schema: events, actors, sources, their links, and the event type vocabulary.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


EVENT_TYPES = [
    ("call", "Call", "Calls", "A phone or video call between officials."),
    ("meeting", "Meeting", "Meetings", "Talks in person: meetings, summits, visits."),
    (
        "statement",
        "Statement",
        "Statements",
        "A public statement, warning, accusation or assessment.",
    ),
    ("denial", "Denial", "Denials", "A statement that rejects a claim or accusation."),
    ("drill", "Drill", "Drills", "A military exercise."),
    ("deployment", "Deployment", "Deployments", "A movement or build-up of forces."),
    (
        "evacuation",
        "Evacuation",
        "Evacuations",
        "Ordered departure, embassy drawdown, relocation of staff.",
    ),
    (
        "travel-advisory",
        "Travel advisory",
        "Travel advisories",
        "Advice to citizens to leave, or not to travel.",
    ),
    ("sanctions", "Sanctions", "Sanctions", "Sanctions prepared, threatened or imposed."),
    (
        "incident",
        "Incident",
        "Incidents",
        "An incident on land, at sea or in the air, alleged ones included.",
    ),
    (
        "diplomatic",
        "Diplomatic move",
        "Diplomatic moves",
        "Proposals and replies, staff changes, consular services.",
    ),
]


def upgrade() -> None:

    op.create_table(
        "actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('state', 'person', 'organisation', 'agency')", name=op.f("ck_actors_kind")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["actors.id"],
            name=op.f("fk_actors_parent_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
        sa.UniqueConstraint("slug", name=op.f("uq_actors_slug")),
    )
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actors_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "event_types",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("plural", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_event_types")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("publisher", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_sources_key")),
    )
    op.create_table(
        "actor_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_actor_aliases_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actor_aliases")),
        sa.UniqueConstraint("actor_id", "name", name=op.f("uq_actor_aliases_actor_id_name")),
    )
    with op.batch_alter_table("actor_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actor_aliases_name"), ["name"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("type_slug", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verification", sa.String(length=20), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_precision", sa.String(length=10), nullable=False),
        sa.Column("start_approximate", sa.Boolean(), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_precision", sa.String(length=10), nullable=True),
        sa.Column("end_approximate", sa.Boolean(), nullable=False),
        sa.Column("place_name", sa.String(length=200), nullable=True),
        sa.Column("place_lat", sa.Float(), nullable=True),
        sa.Column("place_lon", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("importance", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_precision IN ('minute', 'hour', 'day', 'week', 'month', 'year')",
            name=op.f("ck_events_end_precision"),
        ),
        sa.CheckConstraint(
            "start_precision IN ('minute', 'hour', 'day', 'week', 'month', 'year')",
            name=op.f("ck_events_start_precision"),
        ),
        sa.CheckConstraint(
            "status IN ('occurred', 'scheduled', 'postponed', 'cancelled')",
            name=op.f("ck_events_status"),
        ),
        sa.CheckConstraint(
            "verification IN ('confirmed', 'claimed', 'disputed')",
            name=op.f("ck_events_verification"),
        ),
        sa.CheckConstraint(
            "end_at IS NULL OR end_at >= start_at", name=op.f("ck_events_end_after_start")
        ),
        sa.CheckConstraint("importance BETWEEN 1 AND 3", name=op.f("ck_events_importance")),
        sa.ForeignKeyConstraint(
            ["type_slug"], ["event_types.slug"], name=op.f("fk_events_type_slug_event_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("key", name=op.f("uq_events_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_published_start", ["published", "start_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_type_slug"), ["type_slug"], unique=False)

    op.create_table(
        "citations",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_citations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_citations_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "source_id", name=op.f("pk_citations")),
    )
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.create_index("ix_citations_source", ["source_id"], unique=False)

    op.create_table(
        "event_actors",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('initiator', 'counterpart', 'participant', 'subject')",
            name=op.f("ck_event_actors_role"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_event_actors_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_actors_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "actor_id", name=op.f("pk_event_actors")),
    )
    with op.batch_alter_table("event_actors", schema=None) as batch_op:
        batch_op.create_index("ix_event_actors_actor_event", ["actor_id", "event_id"], unique=False)

    op.create_table(
        "event_relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_event_id", sa.Integer(), nullable=False),
        sa.Column("to_event_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "relation IN ('denies', 'responds-to', 'part-of', 'follows')",
            name=op.f("ck_event_relations_relation"),
        ),
        sa.CheckConstraint(
            "from_event_id <> to_event_id", name=op.f("ck_event_relations_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["from_event_id"],
            ["events.id"],
            name=op.f("fk_event_relations_from_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_event_id"],
            ["events.id"],
            name=op.f("fk_event_relations_to_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_relations")),
        sa.UniqueConstraint(
            "from_event_id",
            "to_event_id",
            "relation",
            name=op.f("uq_event_relations_from_event_id_to_event_id_relation"),
        ),
    )
    with op.batch_alter_table("event_relations", schema=None) as batch_op:
        batch_op.create_index("ix_event_relations_to", ["to_event_id"], unique=False)

    event_types = sa.table(
        "event_types",
        sa.column("slug", sa.String),
        sa.column("label", sa.String),
        sa.column("plural", sa.String),
        sa.column("description", sa.Text),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(
        event_types,
        [
            {
                "slug": slug,
                "label": label,
                "plural": plural,
                "description": description,
                "position": position,
            }
            for position, (slug, label, plural, description) in enumerate(EVENT_TYPES)
        ],
    )


def downgrade() -> None:

    with op.batch_alter_table("event_relations", schema=None) as batch_op:
        batch_op.drop_index("ix_event_relations_to")

    op.drop_table("event_relations")
    with op.batch_alter_table("event_actors", schema=None) as batch_op:
        batch_op.drop_index("ix_event_actors_actor_event")

    op.drop_table("event_actors")
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.drop_index("ix_citations_source")

    op.drop_table("citations")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_type_slug"))
        batch_op.drop_index("ix_events_published_start")

    op.drop_table("events")
    with op.batch_alter_table("actor_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actor_aliases_name"))

    op.drop_table("actor_aliases")
    op.drop_table("sources")
    op.drop_table("event_types")
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actors_parent_id"))

    op.drop_table("actors")
