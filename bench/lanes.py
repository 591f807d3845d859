"""How fast the swimlanes (/?view=lanes) render at 10,000 events, on SQLite and PostgreSQL.

    .venv/bin/python bench/lanes.py                       # SQLite, and PostgreSQL if it can
    .venv/bin/python bench/lanes.py --backend sqlite --duration 10

Generates a crisis (`brink generate --events N --seed 1`, zone Europe/Kyiv) into a temporary
SQLite database and, when PostgreSQL's binaries are installed, into a throwaway PostgreSQL server
(tests/conftest.py's). Starts the real app under uvicorn (one worker, no access log) on each and
measures every URL below with wrk: one connection (so the latency is one request's own time, the
server doing nothing else) for --duration seconds. Results go to docs/lanes.md by hand.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import make_engine, migrate  # noqa: E402
from app.generate import generate  # noqa: E402
from tests.conftest import ThrowawayPostgres, _postgres_bindir, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ZONE = "Europe/Kyiv"


def urls(engine_url: str) -> list[tuple[str, str]]:
    """The views measured: unfiltered (the 12 most active actors), one and three actors (the
    most active of the generated crisis), every zoom."""
    from sqlalchemy import text

    engine = make_engine(engine_url)
    with engine.connect() as connection:
        slugs = connection.execute(
            text(
                "SELECT a.slug FROM actors a JOIN event_actors ea ON ea.actor_id = a.id "
                "GROUP BY a.slug ORDER BY count(*) DESC, a.slug LIMIT 3"
            )
        ).scalars()
        slugs = list(slugs)
    engine.dispose()
    one = f"actor={slugs[0]}"
    three = "&".join(f"actor={slug}" for slug in slugs)
    return [
        ("unfiltered, auto zoom", "/?view=lanes"),
        ("unfiltered, day", "/?view=lanes&zoom=day"),
        ("unfiltered, week", "/?view=lanes&zoom=week"),
        ("unfiltered, month", "/?view=lanes&zoom=month"),
        ("one actor, auto", f"/?{one}&view=lanes"),
        ("three actors, auto", f"/?{three}&view=lanes"),
        ("three actors, day", f"/?{three}&view=lanes&zoom=day"),
        ("calls, auto", "/?type=call&view=lanes"),
        ("the list (for comparison)", "/"),
    ]


def serve(database_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {"BRINK_DATABASE_URL": database_url, "BRINK_TIMEZONE": ZONE, "PATH": "/usr/bin:/bin"}
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=5).read()
            return server, base
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def wrk(url: str, duration: int) -> dict[str, str]:
    out = subprocess.run(
        ["wrk", "-t1", "-c1", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {
        "p50": re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE),
        "p99": re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE),
        "rps": re.search(r"Requests/sec:\s+(\S+)", out),
    }
    return {key: match.group(1) if match else "?" for key, match in found.items()}


def measure(backend: str, database_url: str, events: int, duration: int) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    started = time.perf_counter()
    generate(engine, events=events, seed=1, zone=ZoneInfo(ZONE))
    engine.dispose()
    print(f"\n{backend}: {events:,} events generated in {time.perf_counter() - started:.1f} s")
    server, base = serve(database_url)
    try:
        print("| view | URL | size | p50 | p99 | req/s |\n| --- | --- | --- | --- | --- | --- |")
        for label, path in urls(database_url):
            body = urllib.request.urlopen(base + path, timeout=30).read()  # warm, and its size
            result = wrk(base + path, duration)
            size = f"{len(body) / 1024:,.0f} KiB"
            print(f"| {label} | `{path}` | {size} | {result['p50']} | {result['p99']} | "
                  f"{result['rps']} |")  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {cpu} · {os.cpu_count()} CPUs · "
          f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")  # fmt: skip
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/brink.db", args.events, args.duration)
    if args.backend in ("postgresql", "both"):
        bindir = _postgres_bindir()
        if bindir is None:
            print("\nPostgreSQL: skipped, no initdb/pg_ctl found")
            return
        postgres = ThrowawayPostgres(bindir)
        try:
            measure("PostgreSQL", postgres.start(), args.events, args.duration)
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
