"""`brink import` and /events.csv at scale: import time and memory, streaming memory.

    .venv/bin/python bench/import_export.py                        # 100k events, both databases
    .venv/bin/python bench/import_export.py --backend sqlite --events 20000
    .venv/bin/python bench/import_export.py --csv-only sqlite:////tmp/bench8/sqlite-1m.db
    .venv/bin/python bench/import_export.py --files /tmp/bench8/imp8 --backend postgresql

Generates a crisis (`brink generate --events N --seed 1`) into a temporary SQLite database,
exports it (`brink export`, Brink JSON) and streams its whole /events.csv from the real app under
uvicorn, sampling the server's resident memory while it streams. Then, on SQLite and (when its
binaries are installed) on a throwaway PostgreSQL server (tests/conftest.py's), each into a fresh
database: `brink import` of the JSON, the same import again (nothing to change), and `brink
import` of the CSV into a database holding only the actors (so every event and every source is
made from the CSV's text). Each import runs as its own process: its wall time and peak RSS are
reported. Results go to docs/performance.md by hand.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import ThrowawayPostgres, _postgres_bindir, free_port  # noqa: E402

ZONE = "Europe/Kyiv"
BRINK = [sys.executable, "-c", "from app.cli import main; main()"]


def brink(database_url: str, *args: str) -> tuple[float, float, str]:
    """Run a brink command as its own process: (seconds, peak RSS in MiB, its output + its CPU
    time, which a machine shared with other jobs inflates less than the wall time)."""
    env = {**os.environ, "BRINK_DATABASE_URL": database_url, "BRINK_TIMEZONE": ZONE}
    started = time.perf_counter()
    process = subprocess.Popen(
        [*BRINK, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"brink {' '.join(args)} failed:\n{output}")
    cpu = f" [CPU {usage.ru_utime + usage.ru_stime:.1f} s]"
    return seconds, usage.ru_maxrss / 1024, output.strip() + cpu


def rss(pid: int) -> float:
    """A process's resident memory now, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stream_csv(database_url: str, save_to: Path | None = None) -> None:
    """Serve the database and download its whole /events.csv (into `save_to`, if given),
    sampling the server's RSS."""
    port = free_port()
    env = {"BRINK_DATABASE_URL": database_url, "BRINK_TIMEZONE": ZONE, "PATH": "/usr/bin:/bin"}
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=30).read()
                break
            except OSError:
                time.sleep(0.2)
        urllib.request.urlopen(base + "/events.csv?q=zzzzqqq", timeout=30).read()
        before = rss(server.pid)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(rss(server.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        size = rows = 0
        with (
            urllib.request.urlopen(base + "/events.csv", timeout=600) as response,
            open(save_to or os.devnull, "wb") as out,
        ):
            while chunk := response.read(1 << 16):
                out.write(chunk)
                size += len(chunk)
                rows += chunk.count(b"\n")
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        print(
            f"/events.csv: {size / 2**20:,.0f} MiB, ~{rows - 1:,} lines, in {seconds:.1f} s; "
            f"server RSS {before:.0f} MiB before, peak {max(samples, default=before):.0f} MiB "
            "while streaming"
        )
    finally:
        server.terminate()
        server.wait(10)


def imports(backend: str, fresh: Callable[[], str], files: dict[str, Path]) -> None:
    """The three imports, each into `fresh()` databases as described above."""
    url = fresh()
    brink(url, "migrate")
    seconds, peak, said = brink(url, "import", str(files["json"]))
    print(f"{backend} import JSON: {seconds:.1f} s, peak RSS {peak:.0f} MiB — {said}")
    seconds, peak, said = brink(url, "import", str(files["json"]))
    print(f"{backend} re-import JSON: {seconds:.1f} s, peak RSS {peak:.0f} MiB — {said}")
    url = fresh()
    brink(url, "migrate")
    brink(url, "import", str(files["actors"]))
    seconds, peak, said = brink(url, "import", str(files["csv"]))
    print(f"{backend} import CSV: {seconds:.1f} s, peak RSS {peak:.0f} MiB — {said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--csv-only", metavar="DATABASE_URL", help="only stream this database")
    parser.add_argument(
        "--files",
        metavar="DIR",
        type=Path,
        help="import DIR/all.json and DIR/events.csv "
        "(made by an earlier run) instead of generating and exporting",
    )
    args = parser.parse_args()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {cpu} · {os.cpu_count()} CPUs · "
          f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")  # fmt: skip
    if args.csv_only:
        stream_csv(args.csv_only)
        return
    with tempfile.TemporaryDirectory(prefix="brink-import-") as folder:
        work = Path(folder)
        given = args.files or work
        files = {"json": given / "all.json", "csv": given / "events.csv", "actors": work / "a.json"}
        if args.files is None:
            source = f"sqlite:///{work}/source.db"
            brink(source, "migrate")
            seconds, _, said = brink(
                source, "generate", "--events", str(args.events), "--seed", "1"
            )
            print(f"{said} ({seconds:.1f} s)")
            seconds, peak, said = brink(source, "export", str(files["json"]))
            print(f"export: {seconds:.1f} s, peak RSS {peak:.0f} MiB — {said}")
            stream_csv(source, files["csv"])
        whole = json.loads(files["json"].read_text())
        files["actors"].write_text(json.dumps({**whole, "events": [], "sources": []}))
        del whole  # not held while the imports run
        counter = iter(range(1000))
        if args.backend in ("sqlite", "both"):
            imports("SQLite", lambda: f"sqlite:///{work}/target{next(counter)}.db", files)
        if args.backend in ("postgresql", "both"):
            bindir = _postgres_bindir()
            if bindir is None:
                print("PostgreSQL: skipped, no initdb/pg_ctl found")
                return
            postgres = ThrowawayPostgres(bindir)
            try:
                admin = postgres.start()

                def fresh() -> str:
                    name = f"target{next(counter)}"
                    subprocess.run(
                        [*BRINK[:1], "-c", "import sys, sqlalchemy as s; e = s.create_engine("
                         "sys.argv[1], isolation_level='AUTOCOMMIT'); "
                         "e.connect().exec_driver_sql(f'CREATE DATABASE {sys.argv[2]}')",
                         admin, name],
                        check=True,
                    )  # fmt: skip
                    return admin.rsplit("/", 1)[0] + "/" + name

                imports("PostgreSQL", fresh, files)
            finally:
                postgres.stop()


if __name__ == "__main__":
    main()
