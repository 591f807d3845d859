"""Former actor slugs, so that links made with an actor's old slug still lead to it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "actor_former_slugs",
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_actor_former_slugs_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_actor_former_slugs")),
    )
    with op.batch_alter_table("actor_former_slugs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_actor_former_slugs_actor_id"), ["actor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("actor_former_slugs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actor_former_slugs_actor_id"))
    op.drop_table("actor_former_slugs")
