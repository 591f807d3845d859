"""The brink command."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from app import accounts, counting, tokens
from app.config import get_settings
from app.db import DatabaseError, check_connection, make_engine, migrate, write_session
from app.exporting import export_chunks, export_counts, snapshot
from app.generate import EVENTS_PER_ACTOR, MAX_ACTORS, MIN_ACTORS, generate
from app.import_formats import ImportFormat, ImportOptions, ImportProblems, OptionError
from app.importing import import_file
from app.loading import SAMPLE, LoadError, LoadReport, load_file
from app.models import AccountRole, ActorKind, Role, Status, Verification
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
        counting.ensure(engine, ZoneInfo(get_settings().timezone))
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
    actors: Annotated[
        int | None,
        typer.Option(
            min=MIN_ACTORS,
            show_default=False,
            help=f"How many actors (default: one per {EVENTS_PER_ACTOR} events, at most "
            f"{MAX_ACTORS:,}).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="The same seed makes the same crisis.")] = 1,
) -> None:
    """Add a made-up crisis of many events, to try Brink at scale; it goes on top of any data,
    in one transaction."""
    with _database() as engine:
        _require_schema(engine)
        started = time.perf_counter()
        with _import_progress("Generating") as progress:
            report = generate(
                engine, events=events, seed=seed, zone=get_settings().zone, actors=actors,
                progress=progress,
            )  # fmt: skip
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


# Import and export

LARGE_IMPORT = 200  # records: smaller files are done before a progress bar could be read


@cli.command("export")
def export_command(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="Where to write it, or - for standard output.")
    ],
) -> None:
    """Write the whole database as Brink JSON: sources, actors and every event (drafts and the
    trash included), with their ids. Revision history is not included."""
    settings = get_settings()
    with _database() as engine, snapshot(engine) as session:
        _require_schema(engine)
        chunks = export_chunks(session, settings.zone, settings.timezone)
        if file == "-":
            for chunk in chunks:
                sys.stdout.write(chunk)
            return
        counts = export_counts(session)
        path = Path(file)
        partial = path.with_name(path.name + ".partial")  # never a half-written FILE
        try:
            with partial.open("w", encoding="utf-8") as handle:
                handle.writelines(chunks)
            partial.replace(path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise _fail(f"cannot write {file}: {error.strerror or error}") from error
    said = [f"{n} {kind if n != 1 else kind[:-1]}" for kind, n in counts.items()]
    out.print(
        f"Exported {said[0]}, {said[1]} and {said[2]} to {file}.", highlight=False, soft_wrap=True
    )


@cli.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A Brink JSON export, a Brink CSV (the columns of /events.csv), or a TimelineJS "
            "spreadsheet (saved as CSV) or JSON file.",
        ),
    ],
    file_format: Annotated[
        ImportFormat,
        typer.Option("--format", help="The file's format; auto tells it by name and content."),
    ] = ImportFormat.AUTO,
    event_type: Annotated[
        str,
        typer.Option(
            "--type", help="The type of new events whose file gives none (TimelineJS, blank cells)."
        ),
    ] = "statement",
    status: Annotated[Status, typer.Option(help="The status of such new events.")] = (
        Status.OCCURRED
    ),
    verification: Annotated[
        Verification,
        typer.Option(help="Their verification: claimed, as this desk has not checked them yet."),
    ] = Verification.CLAIMED,
    actor_kind: Annotated[
        ActorKind,
        typer.Option(help="The kind of an actor made for a TimelineJS group Brink does not know."),
    ] = ActorKind.ORGANISATION,
    role: Annotated[
        Role, typer.Option(help="The role of a group's actor, or of a CSV actor given none.")
    ] = Role.PARTICIPANT,
    actor: Annotated[
        str | None,
        typer.Option(help="The actor of TimelineJS rows without a group (name, alias or slug)."),
    ] = None,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish/--draft",
            help="Publish new events at once, or keep them as drafts to review (the default). A "
            "Brink JSON file says for itself.",
        ),
    ] = False,
    timezone: Annotated[
        str | None,
        typer.Option(help="The time zone of TimelineJS clock times (default: the crisis's)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything and report; write nothing.")
    ] = False,
) -> None:
    """Import events from a file: checked whole first, then written in one transaction, or not at
    all. Records are matched, so importing the same file again changes nothing."""
    settings = get_settings()
    try:
        options = ImportOptions(
            format=file_format, type=event_type, status=status, verification=verification,
            actor_kind=actor_kind, role=role, actor=actor, publish=publish, timezone=timezone,
        )  # fmt: skip
        content = file.read_bytes()
    except OptionError as error:
        raise _fail(f"--{error.option}: {error}") from error
    except OSError as error:
        raise _fail(f"cannot read {file}: {error.strerror or error}") from error
    with _database() as engine:
        _require_schema(engine)
        try:
            verb = "Checking" if dry_run else "Importing"
            with _import_progress(f"{verb} {file.name}") as progress:
                report = import_file(
                    engine, str(file), content, settings.zone, options, dry_run=dry_run,
                    progress=progress,
                )  # fmt: skip
        except OptionError as error:
            raise _fail(f"--{error.option.replace('_', '-')}: {error}") from error
        except ImportProblems as error:
            for problem in error.problems:
                err.print(problem, highlight=False, markup=False, soft_wrap=True)
            count = len(error.problems)
            raise _fail(f"nothing was imported: {count} problem(s) in {file}") from error
    if dry_run:
        message = f"Checked {file}: it would have {report.summary()}. Nothing was written."
    else:
        message = f"Imported {file}: {report.summary()}."
    out.print(message, highlight=False, markup=False, soft_wrap=True)


@contextmanager
def _import_progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on standard error, for a terminal and a file of some size; else nothing."""
    if not err.is_terminal:
        yield None
        return
    with Progress(*Progress.get_default_columns(), console=err, transient=True) as bar:
        task: list[TaskID] = []

        def advance(done: int, total: int) -> None:
            if total < LARGE_IMPORT:
                return
            if not task:
                task.append(bar.add_task(label, total=total))
            bar.update(task[0], completed=done)

        yield advance


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart when the code changes.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve Brink over HTTP."""
    with _database() as engine:
        # Fail here, clearly, rather than on the first request; count the events once here
        # rather than in every worker at once.
        counting.ensure(engine, ZoneInfo(get_settings().timezone))
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


# API tokens

token_cli = typer.Typer(
    help="API tokens: newsroom tools' keys to the write API.", no_args_is_help=True
)
cli.add_typer(token_cli, name="token")


@token_cli.command("create")
def token_create(
    email: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What will use it, to tell tokens apart.")],
) -> None:
    """Make a token and print it, this once: only its SHA-256 is stored."""
    with _accounts() as session:
        user = accounts.get_user_or_error(session, email)
        token, plaintext = tokens.create(session, user, name)
    err.print(
        f"Made token {token.id} “{token.name}” for {user.email}. Copy it now: it is not shown "
        "again.",
        highlight=False,
        soft_wrap=True,
    )
    print(plaintext)  # alone on stdout, for scripts: TOKEN=$(brink token create …)


@token_cli.command("list")
def token_list(
    email: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
) -> None:
    """List tokens (never their secrets): whose, when made and last used, whether revoked."""
    with _accounts() as session:
        user_id = accounts.get_user_or_error(session, email).id if email else None
        rows = tokens.list_tokens(session, user_id)
    if not rows:
        out.print("No tokens yet: make one with 'brink token create EMAIL --name NAME'.")
        return
    table = Table("ID", "User", "Name", "Created", "Last used", "State", box=None, pad_edge=False)
    for token in rows:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        created = f"{token.created_at:%Y-%m-%d}"
        table.add_row(str(token.id), token.user.email, token.name, created, used, state)
    out.print(table, highlight=False)


@token_cli.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's ID (brink token list).")],
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    with _accounts() as session:
        token = tokens.get(session, token_id) if 0 < token_id < 2**31 else None
        if token is None:
            raise accounts.AccountError(f"No token {token_id}.")
        revoked = tokens.revoke(token)
    done = "Revoked" if revoked else "Already revoked:"
    out.print(f"{done} token {token.id} “{token.name}” of {token.user.email}.", highlight=False)
