"""Alembic environment: the engine comes from Brink (brink migrate) or from BRINK_DATABASE_URL."""

from alembic import context

from app.config import get_settings
from app.db import make_engine
from app.models import Base
from app.search import include_name

config = context.config
engine = config.attributes.get("engine") or make_engine(get_settings().database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
