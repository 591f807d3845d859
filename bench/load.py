"""Load benchmark: Brink's reader routes under wrk, hot and cold, against a constant-page baseline.

    .venv/bin/python bench/load.py /tmp/bench8/sqlite-100k.db --workers 1 --duration 10
    .venv/bin/python bench/load.py --postgresql --events 100000 --seed 1 --workers 2

Takes a generated database (a SQLite file, used read-only; or --postgresql: a throwaway
PostgreSQL server from tests/conftest.py, filled by `brink generate --events N --seed S`). Picks
the URLs to ask for from the database first, then starts Brink under uvicorn on loopback
(`--workers N`, no access log) and measures every route with wrk (4 connections, one thread,
--duration seconds, --latency):

- HOT: the same URL over and over;
- COLD: a wrk Lua script cycling through many different URLs of the same route (other actors,
  words, date ranges, depths, events), so that no cache of a response or of a query result helps.
  The table says how many distinct URLs there were and whether wrk got through all of them.

Then, in the same run, the baseline: bench/baseline.py, FastAPI under uvicorn with the same number
of workers, answering a constant page as big as the timeline page; every route's hot throughput
is given as a fraction of it. wrk sends no If-None-Match or If-Modified-Since and no
Accept-Encoding, so every request is rendered in full and sent uncompressed: HTTP caching (304s)
and gzip never help here. The server's peak memory (VmHWM of every uvicorn process) is read from
/proc at the end. Output: a markdown table on stdout, with machine, date, command and database.
"""

import argparse
import contextlib
import os
import platform
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.db import make_engine  # noqa: E402
from app.filters import Cursor, EventFilters  # noqa: E402
from app.models import Event  # noqa: E402
from app.search import WORD  # noqa: E402
from tests.conftest import ThrowawayPostgres, _postgres_bindir, free_port  # noqa: E402

ZONE = "Europe/Kyiv"
CONNECTIONS = 4
COLD_URLS = 3000  # distinct URLs per cold route, at most
PAGE = 50  # events per timeline page (app/queries.py)
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "results"}
_STOPWORDS = (
    "about after again against also among and are been before being between both but can could "
    "does down during each from further have having here into its more most much must near other "
    "over own said same says should some such than that the their them then there these they this "
    "those through under until upon very was were what when where which while who will with would "
    "your"
)
STOPWORDS = set(_STOPWORDS.split())


@dataclass
class Route:
    name: str
    hot: str
    cold: list[str]
    headers: dict[str, str] = field(default_factory=dict)


def canonical(params: list[tuple[str, str]], path: str = "/") -> str:
    """The URL the app would not redirect: parameters in the filters' canonical order."""
    filters = EventFilters.from_query(params)
    query = filters.to_query(cursor=filters.cursor)
    return f"{path}?{query}" if query else path


# Picking URLs from the database


def pick_routes(engine: Engine, rng: random.Random) -> tuple[list[Route], dict[str, str]]:
    """Every route of the benchmark with its hot URL and cold URLs, and notes on what was picked."""
    with Session(engine) as session:
        published = Event.published.is_(True)
        activity = session.execute(
            text(
                "SELECT a.slug, count(*) AS n FROM actors a "
                "JOIN event_actors ea ON ea.actor_id = a.id "
                "JOIN events e ON e.id = ea.event_id AND e.published "
                "GROUP BY a.slug ORDER BY n DESC, a.slug"
            )
        ).all()
        actors = [slug for slug, _ in activity]
        parents = session.execute(
            text(
                "SELECT p.slug, p.kind, count(*) AS members FROM actors p "
                "JOIN actors c ON c.parent_id = p.id GROUP BY p.slug, p.kind "
                "ORDER BY members DESC, p.slug"
            )
        ).all()
        active = {slug: n for slug, n in activity}
        with_members = sorted(
            (slug for slug, _, _ in parents if slug in active), key=lambda s: (-active[s], s)
        )
        states = [s for s in with_members if dict((p[0], p[1]) for p in parents)[s] == "state"]
        hot_actor = (states or with_members or actors)[0]
        pairs = session.execute(
            text(
                "SELECT a.slug, t.type_slug, count(*) AS n FROM event_actors ea "
                "JOIN actors a ON a.id = ea.actor_id "
                "JOIN events t ON t.id = ea.event_id AND t.published "
                "GROUP BY a.slug, t.type_slug ORDER BY n DESC, a.slug, t.type_slug"
            )
        ).all()
        dyads = session.execute(
            text(
                "SELECT a.slug, b.slug, count(*) AS n FROM event_actors x "
                "JOIN event_actors y ON y.event_id = x.event_id AND y.actor_id > x.actor_id "
                "JOIN actors a ON a.id = x.actor_id JOIN actors b ON b.id = y.actor_id "
                "GROUP BY a.slug, b.slug ORDER BY n DESC, a.slug, b.slug LIMIT 5000"
            )
        ).all()
        texts = session.execute(
            select(Event.title, Event.summary).where(published).order_by(Event.id).limit(50_000)
        ).all()
        first, last = session.execute(
            select(func.min(Event.start_at), func.max(Event.start_at))
        ).one()
        keys = session.execute(
            select(Event.start_at, Event.id)
            .where(published)
            .order_by(Event.start_at.desc(), Event.id.desc())
        ).all()
        pages = session.execute(
            select(Event.id, Event.slug).where(published).order_by(Event.id)
        ).all()

    notes: dict[str, str] = {}
    words = Counter()
    for title, summary in texts:
        words.update({w for w in WORD.findall(f"{title} {summary}".lower()) if len(w) >= 4})
    common = [w for w, _ in words.most_common() if w not in STOPWORDS and not w.isdigit()][:300]
    # Rare: in at most 0.1% of the texts read, or else the 300 least frequent words.
    by_rarity = sorted((n, w) for w, n in words.items() if len(w) >= 5 and not w.isdigit())
    rare = [w for n, w in by_rarity if n <= max(1, len(texts) // 1000)] or [
        w for _, w in by_rarity[:300]
    ]
    rng.shuffle(rare)
    read = f"of the first {len(texts):,} events"
    notes["common word"] = f"“{common[0]}” (in {words[common[0]]:,} {read})"
    notes["rare word"] = f"“{rare[0]}” (in {words[rare[0]]:,} {read})"

    def sample(items: list, n: int = COLD_URLS) -> list:
        items = list(items)
        rng.shuffle(items)
        return items[:n]

    # Date ranges: a week in the middle of the crisis (hot), 1 to 30 days anywhere (cold).
    first_day, last_day = first.date(), last.date()
    span = max((last_day - first_day).days, 1)
    middle = first_day + timedelta(days=span // 2)
    ranges = set()
    while len(ranges) < min(COLD_URLS, span * 10):
        start = first_day + timedelta(days=rng.randrange(span))
        ranges.add((start, start + timedelta(days=rng.randrange(1, 31))))

    def day_range(start: date, end: date) -> str:
        return canonical([("from", start.isoformat()), ("to", end.isoformat())])

    # Deep pages: the cursor "Load more" would carry after `depth` events, newest first.
    def cursor_at(depth: int) -> str:
        start_at, event_id = keys[depth - 1]
        return canonical([("cursor", Cursor("newest", "after", start_at, event_id).encode())])

    hot_depth = min(20 * PAGE, len(keys) - 1)
    notes["deep page"] = f"hot after {hot_depth:,} events (page {hot_depth // PAGE + 1})"
    depths = sample(range(10 * PAGE, max(len(keys) - PAGE, 10 * PAGE + 1)))
    hot_event = pages[len(pages) // 2]
    actor_types = [(a, t) for a, t, n in pairs if n >= 2]
    hot_pair = next(((a, t) for a, t in actor_types if a == hot_actor), actor_types[0])
    notes["actor"] = f"{hot_actor} ({active[hot_actor]:,} own events; members rolled up)"
    notes["dyad"] = f"{dyads[0][0]} & {dyads[0][1]} ({dyads[0][2]:,} shared events)"

    def one(slug: str, **more: str) -> str:
        return canonical([("actor", slug), *more.items()])

    routes = [
        Route("timeline, unfiltered", "/", []),
        Route("one actor with members", one(hot_actor), [one(s) for s in sample(with_members)]),
        Route(
            "actor + type",
            one(hot_pair[0], type=hot_pair[1]),
            [one(a, type=t) for a, t in sample(actor_types)],
        ),
        Route(
            "dyad (match=all)",
            canonical([("actor", dyads[0][0]), ("actor", dyads[0][1]), ("match", "all")]),
            [
                canonical([("actor", a), ("actor", b), ("match", "all")])
                for a, b, _ in sample(dyads)
            ],
        ),
        Route(
            "search, common word",
            canonical([("q", common[0])]),
            [canonical([("q", w)]) for w in common],
        ),
        Route(
            "search, rare word",
            canonical([("q", rare[0])]),
            [canonical([("q", w)]) for w in rare[:COLD_URLS]],
        ),
        Route(
            "date range",
            day_range(middle, middle + timedelta(days=7)),
            [day_range(a, b) for a, b in sorted(ranges)],
        ),
        Route("deep cursor page", cursor_at(hot_depth), [cursor_at(d) for d in depths]),
        Route(
            "event page",
            f"/events/{hot_event[0]}/{hot_event[1]}",
            [f"/events/{i}/{s}" for i, s in sample(pages)],
        ),
        Route("actor page", f"/actors/{hot_actor}", [f"/actors/{s}" for s in sample(actors)]),
        Route(
            "/events.json",
            "/events.json",
            [one(s).replace("/?", "/events.json?") for s in sample(actors)],
        ),
        Route("overview (results fragment)", "/", [one(s) for s in sample(actors)], HTMX_RESULTS),
        Route(
            "lanes", canonical([("view", "lanes")]), [one(s, view="lanes") for s in sample(actors)]
        ),
        Route(
            "/events.csv, one actor",
            one(hot_actor).replace("/?", "/events.csv?"),
            [one(s).replace("/?", "/events.csv?") for s in sample(actors)],
        ),
    ]
    return routes, notes


# Servers


def start_server(command: list[str], env: dict[str, str], probe: str) -> subprocess.Popen:
    log = tempfile.NamedTemporaryFile(prefix="brink-load-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited:\n{Path(log.name).read_text()}")
        try:
            with urllib.request.urlopen(probe, timeout=60) as response:
                response.read()
            print(f"  server log: {log.name}", file=sys.stderr)
            return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise RuntimeError("the server did not start in 2 minutes")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def uvicorn(target: str, port: int, workers: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", target, "--factory", *extra,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
    ]  # fmt: skip


class Server:
    """uvicorn serving an app on a free loopback port; restarted if it dies, its processes'
    peak memory kept across restarts."""

    def __init__(self, target: str, env: dict[str, str], workers: int, probe: str) -> None:
        self.target, self.env, self.workers, self.probe = target, env, workers, probe
        self.memory: dict[int, int] = {}
        self.start()

    def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        extra = ["--app-dir", str(ROOT / "bench")] if self.target.startswith("baseline") else []
        command = uvicorn(self.target, port, self.workers, *extra)
        self.process = start_server(command, self.env, self.base + self.probe)

    def pids(self) -> set[int]:
        self.read_memory()
        return set(process_tree(self.process.pid))

    def read_memory(self) -> None:
        peaks = peak_memory(self.process.pid)
        self.memory.update(peaks)
        self.largest_sum = max(getattr(self, "largest_sum", 0), sum(peaks.values()))
        self.processes = len(peaks)

    def check(self, before: set[int]) -> str:
        """What died since `before` (and the server restarted if it did), or ""."""
        time.sleep(1)
        with contextlib.suppress(OSError):  # a crash may wait for the next garbage collection
            for _ in range(3):
                fetch(self.base, "/", {})
        if self.process.poll() is not None:
            code = self.process.returncode
            how = signal.Signals(-code).name if code < 0 else f"exit status {code}"
            self.start()
            return f"the server died ({how}) and was restarted"
        gone = before - self.pids()
        return f"{len(gone)} worker process(es) died and were replaced" if gone else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.read_memory()
            stop(self.process)


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def peak_memory(pid: int) -> dict[int, int]:
    """VmHWM (peak resident set, KiB) of each process of the server."""
    peaks = {}
    for each in process_tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            peaks[each] = int(found.group(1))
    return peaks


# wrk


@dataclass
class Result:
    rps: float
    p50: float  # ms
    p99: float
    requests: int
    errors: str = ""


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(
    base: str, path: str, duration: int, headers: dict[str, str], script: Path | None
) -> Result:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "--timeout", "60s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    rps = re.search(r"Requests/sec:\s+(\S+)", out)
    count = re.search(r"(\d+) requests in", out)
    problems = re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", out)
    if not (p50 and p99 and rps and count):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return Result(
        float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), int(count.group(1)),
        "; ".join(problems),
    )  # fmt: skip


def cells(result: Result) -> str:
    """req/s, p50, p99: dashes when not one request finished in time."""
    if not result.requests:
        return "0 | — | —"
    return f"{result.rps:,.1f} | {result.p50:,.1f} | {result.p99:,.1f}"


def lua_script(paths: list[str], headers: dict[str, str], folder: Path, name: str) -> Path:
    """A wrk script that asks for the next of `paths` on every request."""
    quoted = ",\n".join(f'  "{p}"' for p in paths)
    header_table = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
    script = folder / f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.lua"
    script.write_text(
        f"local paths = {{\n{quoted}\n}}\n"
        f"local headers = {{{header_table}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i], headers)\n'
        "end\n"
    )
    return script


def fetch(base: str, path: str, headers: dict[str, str]) -> tuple[int, int, float]:
    """One request, timed from sending to the last byte: status, bytes, seconds."""

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirects)
    started = time.perf_counter()
    try:
        with opener.open(urllib.request.Request(base + path, headers=headers), timeout=600) as r:
            size = len(r.read())
            status = r.status
    except urllib.error.HTTPError as error:
        return error.code, 0, time.perf_counter() - started
    return status, size, time.perf_counter() - started


# The run


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {memory / 1024 / 1024:.1f} GiB; Linux "
        f"{platform.release()}; Python {platform.python_version()}; load before {load}"
    )


def measure(database_url: str, label: str, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    engine = make_engine(database_url)
    started = time.perf_counter()
    routes, notes = pick_routes(engine, rng)
    with engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM events WHERE published")).scalar()
        actor_count = connection.execute(text("SELECT count(*) FROM actors")).scalar()
    engine.dispose()
    picking = time.perf_counter() - started
    if args.only:
        routes = [r for r in routes if any(o.lower() in r.name.lower() for o in args.only)]

    env = {**os.environ, "BRINK_DATABASE_URL": database_url, "BRINK_TIMEZONE": ZONE}
    brink = Server("app.main:create_app", env, args.workers, "/static/brink.css")
    rows, details, crashes = [], [], []
    page_bytes = 0
    try:
        with tempfile.TemporaryDirectory(prefix="brink-load-") as folder:
            for route in routes:
                base = brink.base
                status, size, seconds = fetch(base, route.hot, route.headers)  # warm, and checked
                if status != 200:
                    raise RuntimeError(f"{route.name}: {route.hot} answered {status}")
                for path in route.cold[:3]:
                    cold_status = fetch(base, path, route.headers)[0]
                    if cold_status != 200:
                        raise RuntimeError(f"{route.name}: {path} answered {cold_status}")
                if route.name == "timeline, unfiltered":
                    page_bytes = size
                alone = fetch(base, route.hot, route.headers)[2]  # warm now, and nothing else on
                if route.name.startswith("/events.csv"):
                    brink.read_memory()
                    details.append(
                        f"Server peak RSS before the /events.csv route: "
                        f"{brink.largest_sum / 1024:,.0f} MiB summed"
                    )
                if route.name.startswith("/events.csv"):
                    details.append(
                        f"/events.csv for {route.hot.split('actor=')[1]}: one request, "
                        f"{size / 1e6:,.1f} MB in {alone:.2f} s end to end"
                    )
                before = brink.pids()
                hot = wrk(base, route.hot, args.duration, route.headers, None)
                cold = None
                if route.cold:
                    script = lua_script(route.cold, route.headers, Path(folder), route.name)
                    cold = wrk(base, "/", args.duration, {}, script)
                rows.append((route, size, alone, hot, cold))
                print(f"  measured {route.name}", file=sys.stderr)
                lost = brink.check(before)
                if lost:
                    crashes.append(f"{route.name}: {lost}")
                    print(f"  {route.name}: {lost}", file=sys.stderr)
        if not page_bytes:  # the baseline is as big as the timeline page, measured or not
            page_bytes = fetch(brink.base, "/", {})[1]
    finally:
        brink.stop()

    baseline_env = {**os.environ, "BENCH_BASELINE_BYTES": str(page_bytes)}
    baseline_server = Server("baseline:create_app", baseline_env, args.workers, "/")
    try:
        baseline = wrk(baseline_server.base, "/", args.duration, {}, None)
        baseline_size = fetch(baseline_server.base, "/", {})[1]
    finally:
        baseline_server.stop()

    print(f"\n### {label}, {args.workers} worker{'s' if args.workers > 1 else ''}\n")
    print(f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- Machine: {machine()}")
    print(f"- Command: `{shlex.join(['.venv/bin/python', 'bench/load.py', *sys.argv[1:]])}`")
    print(
        f"- Database: {label}: {events:,} published events, {actor_count:,} actors "
        f"(URLs picked in {picking:.1f} s)"
    )
    print(
        f"- wrk: {CONNECTIONS} connections, 1 thread, {args.duration} s per measurement, on "
        "loopback; no If-None-Match, no Accept-Encoding: every request renders, uncompressed"
    )
    for name, note in notes.items():
        print(f"- Hot {name}: {note}")
    print(
        f"- Baseline (bench/baseline.py, constant {baseline_size:,} B page, {args.workers} "
        f"worker(s)): {baseline.rps:,.0f} req/s, p50 {baseline.p50:.1f} ms, "
        f"p99 {baseline.p99:.1f} ms"
    )
    print(
        f"- Server peak RSS (VmHWM): {max(brink.memory.values()) / 1024:,.0f} MiB in the largest "
        f"process; {brink.largest_sum / 1024:,.0f} MiB summed over the server's "
        f"{brink.processes} processes (uvicorn's parent, workers, multiprocessing's tracker)"
    )
    for line in details:
        print(f"- {line}")
    for line in crashes:
        print(f"- **Crash** after {line}")
    print()
    print(
        "| route | hot req/s | hot p50 | hot p99 | cold req/s | cold p50 | cold p99 "
        "| hot ÷ baseline | bytes | alone | requests hot / cold | cold URLs |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for route, size, alone, hot, cold in rows:
        if cold:
            wrapped = " (wrapped)" if cold.requests > len(route.cold) else ""
            cold_cells = cells(cold)
            cold_note = f"{len(route.cold):,}{wrapped}"
            count = f"{hot.requests:,} / {cold.requests:,}"
        else:
            cold_cells, cold_note, count = "— | — | —", "— (one URL)", f"{hot.requests:,} / —"
        ratio = hot.rps / baseline.rps
        print(
            f"| {route.name} | {cells(hot)} | {cold_cells} "
            f"| {ratio:.{2 if ratio < 0.01 else 1}%} | {size:,} | {alone * 1000:,.0f} | {count} "
            f"| {cold_note} |"
        )
    problems = [(r.name, x.errors) for r, _, _, h, c in rows for x in (h, c) if x and x.errors]
    for name, error in problems:
        print(f"\nwrk reported for {name}: {error}")
    print(
        f"\nLatencies in ms. Cold: a different URL on every request (wrk Lua script). Alone: the "
        f"hot URL once, warm, nothing else running. A route with no request done within "
        f"{args.duration} s shows —."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", nargs="?", help="a generated SQLite database file")
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="generate --events into a throwaway PostgreSQL server instead",
    )
    parser.add_argument("--events", type=int, default=100_000, help="with --postgresql")
    parser.add_argument("--seed", type=int, default=1, help="generator seed; also picks URLs")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--only", action="append", help="routes whose name contains this")
    args = parser.parse_args()
    if args.postgresql:
        bindir = _postgres_bindir()
        if bindir is None:
            parser.error("no PostgreSQL binaries (initdb, pg_ctl) found")
        postgres = ThrowawayPostgres(bindir)
        try:
            url = postgres.start()
            env = {**os.environ, "BRINK_DATABASE_URL": url, "BRINK_TIMEZONE": ZONE}
            brink = str(Path(sys.executable).parent / "brink")
            subprocess.run([brink, "migrate"], env=env, check=True)
            started = time.perf_counter()
            generating = [brink, "generate", "--events", str(args.events), "--seed", str(args.seed)]
            subprocess.run(generating, env=env, check=True)
            print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            measure(url, f"PostgreSQL, `brink generate --events {args.events} --seed "
                    f"{args.seed}`", args)  # fmt: skip
        finally:
            postgres.stop()
        return
    if not args.database or not Path(args.database).is_file():
        parser.error("give a generated SQLite database file, or --postgresql")
    path = Path(args.database).resolve()
    measure(f"sqlite:///{path}", f"SQLite, {path.name}", args)


if __name__ == "__main__":
    main()
