from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.db import alembic_config, make_engine, migrate
from app.models import Base, EventType
from app.search import include_name


def test_migrations_have_a_single_head(engine):
    script = ScriptDirectory.from_config(alembic_config(engine))

    assert len(script.get_heads()) == 1


def test_an_empty_database_upgrades_to_the_newest_schema(empty_database_url):
    url = empty_database_url
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == []

    migrate(engine)
    migrate(engine)  # a second run is a no-op

    with Session(engine) as session:
        types = session.scalars(select(EventType.slug).order_by(EventType.position)).all()
    assert types == [
        "call", "meeting", "statement", "denial", "drill", "deployment", "evacuation",
        "travel-advisory", "sanctions", "incident", "diplomatic",
    ]  # fmt: skip
    engine.dispose()


def test_the_models_match_the_migrated_schema(engine):
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": include_name}
            ),
            Base.metadata,
        )

    assert differences == []
