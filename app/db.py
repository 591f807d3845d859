"""Engine, per-request sessions, SQLite set up for a web server, and migrations."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.counting import sqlite_local_day

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class DatabaseError(Exception):
    """The database named by a URL cannot be used; the message says which and why."""


def normalise_url(url: str) -> str:
    """Let people write postgresql:// and still get psycopg 3, the driver Brink ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 10})
        _configure_sqlite(engine)
        return engine
    # JIT off: the recursive actor CTEs fool the planner into estimating millions of rows, and
    # compiling for them cost ~450 ms on queries that run in ~40 ms.
    return create_engine(url, pool_pre_ping=True, connect_args={"options": "-c jit=off"})


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()
        # The day an instant falls on in a zone, for app/counting.py (PostgreSQL has timezone()).
        dbapi_connection.create_function("brink_local_day", 2, sqlite_local_day, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front, so two of them queue on busy_timeout instead of
        # failing with "database is locked" when a read transaction tries to upgrade.
        mode = connection.get_execution_options().get("brink_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def writing(engine: Engine) -> Engine:
    """The same engine, for sessions that will write: on SQLite they begin IMMEDIATE."""
    return engine.execution_options(brink_begin="IMMEDIATE")


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls everything back on any error."""
    with Session(writing(engine), expire_on_commit=False) as session, session.begin():
        yield session


def analyze(engine: Engine) -> None:
    """Give the query planners statistics after a bulk write (generate, import, a sample):
    without them SQLite takes an index on `published` for a selective one, and nothing on
    SQLite ever gathers them by itself."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def check_connection(engine: Engine) -> None:
    """Open a connection now, so a bad URL fails with a clear message instead of mid-request."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as error:  # the drivers raise many kinds; all mean "cannot open"
        url = engine.url.render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise DatabaseError(f"cannot open database {url}: {reason}") from error


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration."""
    check_connection(engine)
    command.upgrade(alembic_config(engine), "head")


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        # What queries.remembered keys on: the data version read for this request's
        # validators (app/caching.py; none for signed-in users), and the process's memo.
        session.info["data_version"] = request.scope.get("state", {}).get("data_version")
        session.info["memo"] = request.app.state.memo
        session.info["counts_zone"] = request.app.state.counts_zone  # app/counting.py
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
