"""The brink command."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine, inspect

from app.config import get_settings
from app.db import DatabaseError, check_connection, make_engine, migrate
from app.generate import generate
from app.loading import SAMPLE, LoadError, LoadReport, load_file
from app.queries import has_events

cli = typer.Typer(
    help="Brink: a timeline of an unfolding crisis.", no_args_is_help=True, add_completion=False
)
out = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=1)


@contextmanager
def _database() -> Iterator[Engine]:
    """The configured database, checked, and closed when the command ends."""
    engine = make_engine(get_settings().database_url)
    try:
        check_connection(engine)
        yield engine
    except DatabaseError as error:
        raise _fail(str(error)) from error
    finally:
        engine.dispose()


@cli.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the database schema to the newest version."""
    with _database() as engine:
        migrate(engine)
    out.print(f"Database is up to date: {engine.url.render_as_string(hide_password=True)}")


@cli.command("load-sample")
def load_sample(
    file: Annotated[Path, typer.Option(help="A crisis data file in Brink's TOML format.")] = SAMPLE,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into a database with no events yet.")
    ] = False,
) -> None:
    """Load the sample crisis (or another data file); loading it again changes nothing."""
    with _database() as engine:
        _require_schema(engine)
        if if_empty and has_events(engine):
            out.print("The database already has events; the sample was not loaded.")
            return
        report = _load(engine, file)
    created = ", ".join(f"{n} {what}" for what, n in report.created.items())
    updated = ", ".join(f"{n} {what}" for what, n in report.updated.items())
    out.print(f"Loaded {file.name}: created {created}; updated {updated}.")


def _require_schema(engine: Engine) -> None:
    if not inspect(engine).has_table("events"):
        raise _fail("the database has no Brink schema yet: run 'brink migrate' first")


@cli.command("generate")
def generate_command(
    events: Annotated[int, typer.Option(min=1, help="How many events to make.")] = 10_000,
    seed: Annotated[int, typer.Option(help="The same seed makes the same crisis.")] = 1,
) -> None:
    """Add a made-up crisis of many events, to try Brink at scale; it goes on top of any data."""
    with _database() as engine:
        _require_schema(engine)
        started = time.perf_counter()
        report = generate(engine, events=events, seed=seed, zone=get_settings().zone)
        seconds = time.perf_counter() - started
    out.print(f"Generated {report}, in {seconds:.1f} s.", highlight=False, soft_wrap=True)


def _load(engine: Engine, file: Path) -> LoadReport:
    try:
        return load_file(engine, file, get_settings().zone)
    except LoadError as error:
        for problem in error.problems:
            err.print(problem, highlight=False, markup=False, soft_wrap=True)
        raise _fail(f"nothing was loaded: {len(error.problems)} problem(s) in {file}") from error


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart when the code changes.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve Brink over HTTP."""
    with _database():
        pass  # fail here, clearly, rather than on the first request
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=None if reload else workers,
    )


def main() -> None:
    try:
        get_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"BRINK_{e['loc'][0]}".upper() + f": {e['msg']}" for e in error.errors()
        )
        err.print(f"[bold red]error:[/] bad setting: {problems}", highlight=False)
        raise SystemExit(1) from error
    cli()
