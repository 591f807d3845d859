"""The brink command."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from app import accounts
from app.config import get_settings
from app.db import DatabaseError, check_connection, make_engine, migrate, write_session
from app.generate import generate
from app.loading import SAMPLE, LoadError, LoadReport, load_file
from app.models import AccountRole
from app.queries import has_events

cli = typer.Typer(
    help="Brink: a timeline of an unfolding crisis.", no_args_is_help=True, add_completion=False
)
user_cli = typer.Typer(help="Editors' and administrators' accounts.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
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


def _require_schema(engine: Engine, table: str = "events") -> None:
    if not inspect(engine).has_table(table):
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


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from standard input (one line), for scripts."
    ),
]


def _read_password(from_stdin: bool) -> str:
    """The new password: typed twice, hidden, or one line of stdin. Never an argument, which
    would show in `ps` and the shell's history."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        return accounts.check_password(password)
    except accounts.AccountError as error:
        raise _fail(str(error)) from error


@contextmanager
def _accounts() -> Iterator[Session]:
    """A write session on the configured database; account errors end the command clearly."""
    with _database() as engine:
        _require_schema(engine, "users")
        try:
            with write_session(engine) as session:
                yield session
        except accounts.AccountError as error:
            raise _fail(str(error)) from error


@user_cli.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="Their email address; it is their login.")],
    role: Annotated[AccountRole, typer.Option(help="What they may do.")] = (AccountRole.EDITOR),
    password_stdin: PasswordStdin = False,
) -> None:
    """Add an editor or an administrator."""
    try:
        email = accounts.normalise_email(email)
    except accounts.AccountError as error:
        raise _fail(str(error)) from error
    with _database() as engine, Session(engine) as session:
        _require_schema(engine, "users")
        if accounts.find_user(session, email) is not None:
            raise _fail(f"There is already a user {email!r}.")  # say so before asking
    password = _read_password(password_stdin)
    with _accounts() as session:
        user = accounts.add_user(session, email, role.value, password)
    out.print(f"Added {user.email} ({user.role}).", highlight=False)


@user_cli.command("passwd")
def user_passwd(
    email: Annotated[str, typer.Argument(help="The user's email address.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password; their sessions end."""
    with _accounts() as session:
        user = accounts.get_user_or_error(session, email)
        accounts.set_password(session, user, _read_password(password_stdin))
    out.print(f"Changed the password of {user.email}; their sessions have ended.", highlight=False)


@user_cli.command("list")
def user_list() -> None:
    """List every account, with its role and state."""
    with _accounts() as session:
        users = accounts.list_users(session)
    if not users:
        out.print("No users yet: add one with 'brink user add EMAIL --role admin'.")
        return
    table = Table("Email", "Role", "State", "Added", box=None, pad_edge=False)
    for user in users:
        state = "active" if user.disabled_at is None else f"disabled {user.disabled_at:%Y-%m-%d}"
        table.add_row(user.email, user.role, state, f"{user.created_at:%Y-%m-%d}")
    out.print(table, highlight=False)


@user_cli.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="The user's email address.")]) -> None:
    """Disable an account: it can no longer sign in, and its sessions end now."""
    with _accounts() as session:
        user = accounts.get_user_or_error(session, email)
        accounts.disable_user(session, user)
    out.print(f"Disabled {user.email}; their sessions have ended.", highlight=False)


@user_cli.command("enable")
def user_enable(email: Annotated[str, typer.Argument(help="The user's email address.")]) -> None:
    """Enable a disabled account again."""
    with _accounts() as session:
        user = accounts.get_user_or_error(session, email)
        accounts.enable_user(user)
    out.print(f"Enabled {user.email}.", highlight=False)


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
