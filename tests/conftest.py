"""Fixtures: every test that touches a database runs on SQLite and again on PostgreSQL.

PostgreSQL is a throwaway server started here from the machine's binaries (or the server named by
BRINK_TEST_DATABASE_URL). Each test gets a fresh database copied from a migrated template.
"""

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import accounts, counting, editing, search
from app.config import Settings
from app.db import make_engine, migrate, write_session
from app.generate import generate
from app.loading import SAMPLE, load_file, slugify
from app.main import create_app
from app.models import Actor, Citation, Event, EventActor, Source
from tests.accounts import ADMIN, EDITOR, PASSWORD

IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]
_skip_messages: list[str] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, scope="session")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for message in _skip_messages:
        terminalreporter.write_line(f"NOTE: {message}", yellow=True, bold=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(Path(found.stdout.strip()))
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb") or "").parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary directory, listening on 127.0.0.1 only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="brink-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        # PostgreSQL refuses to run as root; CI runs as root, so run it as an ordinary user.
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.root, user)
            self.run_as = ["runuser", "-u", user, "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.run_as, *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> str:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -F "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
             "stop"],
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for the whole run: BRINK_TEST_DATABASE_URL, or a throwaway one."""
    configured = os.environ.get("BRINK_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    bindir = _postgres_bindir()
    if bindir is None:
        message = "PostgreSQL tests skipped: no PostgreSQL binaries (initdb, pg_ctl) found."
        if IN_CI:
            pytest.fail(message + " Under CI=true that is a failure.")
        if message not in _skip_messages:
            _skip_messages.append(message)
        pytest.skip(message)
    server = ThrowawayPostgres(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


_counter = itertools.count()


@pytest.fixture(scope="session")
def template_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database that each test's database is copied from."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"brink_template_{os.getpid()}"
    _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_execute(admin_url: str, *statements: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def database_url(
    backend: str, template_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    if backend == "sqlite":
        path = tmp_path / "brink.db"
        shutil.copyfile(make_url(template_url).database or "", path)
        yield f"sqlite:///{path}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    template = make_url(template_url).database
    name = f"brink_test_{os.getpid()}_{next(_counter)}"
    _admin_execute(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A database with no schema at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"brink_empty_{os.getpid()}_{next(_counter)}"
    _admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


GENERATED_EVENTS = 10_000
GENERATED_SEED = 1


@pytest.fixture(scope="session")
def generated_database_url(
    backend: str,
    template_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    """A database of 10,000 generated events (seed 1, crisis zone Europe/Kyiv), made once per
    backend per run and shared by every test that asks for it: read it, never write to it."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("generated") / "brink.db"
        shutil.copyfile(make_url(template_url).database or "", path)
        url, admin_url, name = f"sqlite:///{path}", None, None
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        template = make_url(template_url).database
        name = f"brink_generated_{os.getpid()}"
        _admin_execute(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    generate(engine, events=GENERATED_EVENTS, seed=GENERATED_SEED, zone=ZoneInfo("Europe/Kyiv"))
    engine.dispose()
    yield url
    if admin_url:
        _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def big_client(generated_database_url: str) -> Iterator[TestClient]:
    """A client of the app serving the generated database (read-only: it is shared)."""
    settings = Settings(
        database_url=generated_database_url, site_title="Brink test", timezone="Europe/Kyiv"
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, site_title="Brink test", timezone="Europe/Kyiv")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def sample(engine: Engine, settings: Settings) -> None:
    """The sample crisis, loaded."""
    load_file(engine, SAMPLE, settings.zone)


@pytest.fixture
def count_queries(client: TestClient) -> Callable[[str], tuple[int, Any]]:
    """GET a URL and count the SQL statements it cost."""
    app_engine: Engine = client.app.state.engine  # type: ignore[attr-defined]

    def get(url: str) -> tuple[int, Any]:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(app_engine, "before_cursor_execute", record)
        try:
            response = client.get(url)
        finally:
            event.remove(app_engine, "before_cursor_execute", record)
        counted = [
            s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SELECT 1"))
        ]
        return len(counted), response

    return get


@pytest.fixture
def make_event(engine: Engine) -> Callable[..., int]:
    """Insert a published event (and any actors it names) and return its id."""

    def make(**overrides: Any) -> int:
        actors: list[tuple[str, str]] = overrides.pop("actors", [("test-actor", "initiator")])
        parents: dict[str, str] = overrides.pop("parents", {})
        fields: dict[str, Any] = {
            "title": "A test event",
            "summary": "Something happened.",
            "type_slug": "statement",
            "start_at": datetime(2022, 2, 12, 10, 0, tzinfo=UTC),
            "start_precision": "day",
            "published": True,
            "published_at": datetime(2022, 2, 12, 12, 0, tzinfo=UTC),
        }
        fields.update(overrides)
        fields.setdefault("slug", slugify(fields["title"]))
        with write_session(engine) as session:
            event = Event(**fields)
            for position, (slug, role) in enumerate(actors):
                actor = _get_or_make_actor(session, slug, parents)
                event.actor_links.append(EventActor(actor=actor, role=role, position=position))
            source = session.query(Source).filter_by(key="test-source").one_or_none()
            source = source or Source(key="test-source", publisher="Test wire", title="A report")
            event.citations.append(Citation(source=source))
            session.add(event)
            session.flush()
            # What the app's writers keep from these rows: the search index, the counts and
            # the actor tree (counted first: the tree's refresh counts a new actor's events).
            search.reindex(session.connection(), [event.id])
            counting.count(session.connection(), [event.id])
            editing.refresh_actor_members(session.connection())
            return event.id

    return make


def _get_or_make_actor(session: Session, slug: str, parents: dict[str, str]) -> Actor:
    actor = session.query(Actor).filter_by(slug=slug).one_or_none()
    if actor is None:
        parent = _get_or_make_actor(session, parents[slug], parents) if slug in parents else None
        name = slug.replace("-", " ").title()
        actor = Actor(slug=slug, name=name, kind="person", parent=parent)
        session.add(actor)
        session.flush()
    return actor


CHROMIUM = Path(os.environ.get("BRINK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@contextmanager
def serving(database_url: str, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The real app under uvicorn on a free loopback port: its base URL and its process."""
    import sys
    import time
    import urllib.request

    port = free_port()
    env = {**os.environ, "BRINK_DATABASE_URL": database_url, "BRINK_TIMEZONE": "Europe/Kyiv"}
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    log = log_path.open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/static/brink.css", timeout=1):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log.close()
                pytest.fail(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
    try:
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def live_server(database_url: str, sample: None, tmp_path: Path) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, serving the sample crisis."""
    with serving(database_url, tmp_path / "server.log") as (base, _):
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (its own browser download is not available here)."""
    if not CHROMIUM.exists():
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message + "; under CI=true a missing browser is a failure.")
        if message not in _skip_messages:
            _skip_messages.append("Browser tests skipped: " + message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under test-artifacts/screenshots/, named after the test."""

    def save(page: Any, name: str) -> Path:
        folder = ARTIFACTS / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        test_name = request.node.name.replace("[", "-").replace("]", "")
        path = folder / f"{test_name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def users(engine: Engine) -> None:
    """An administrator (ADMIN) and an editor (EDITOR), both with PASSWORD (tests/accounts.py)."""
    with write_session(engine) as session:
        accounts.add_user(session, ADMIN, "admin", PASSWORD)
        accounts.add_user(session, EDITOR, "editor", PASSWORD)
