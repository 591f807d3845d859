"""What idle live-update streams cost a server: memory, threads and CPU of one uvicorn process.

    .venv/bin/python bench/idle_sse.py --connections 500 --idle 30

Starts the real app under uvicorn (one worker) on a fresh SQLite database holding the sample
crisis, opens N streams of /events/stream (each waits for its first `id:`, so it is really
subscribed), lets them sit idle, and reads the server's resident memory, thread count and CPU
time from /proc before and after. Then publishes one event and times how long it takes to reach
every stream. Pass --database-url to use another (migrated, loaded) database instead.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session  # noqa: E402

from app import editing, live  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, migrate, write_session  # noqa: E402
from app.loading import SAMPLE, load_file  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    return int(_status(pid)["VmRSS"].split()[0])


def threads(pid: int) -> int:
    return int(_status(pid)["Threads"])


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Subscriber:
    """One idle stream on a raw socket: the cheapest client, so the numbers are the server's."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.buffer = b""

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        self.writer.write(head.encode() + b"\r\n")
        await self.until(b"\nid: ")

    async def until(self, marker: bytes) -> None:
        while marker not in self.buffer:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise ConnectionError("the server closed the stream")
            self.buffer += chunk
        self.buffer = self.buffer[self.buffer.index(marker) + len(marker) :]

    def close(self) -> None:
        self.writer.close()


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "BRINK_DATABASE_URL": database_url}
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--workers", "1",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"the server did not start:\n{log.read_text()}") from None
            time.sleep(0.2)


async def measure(server: subprocess.Popen, port: int, engine, connections: int, idle: float):
    pid = server.pid
    with Session(engine) as session:
        last = live.latest_revision(session)
    path = f"/events/stream?last={last}"
    warm = Subscriber(port, path)  # first stream: imports done, watcher started
    await warm.open()
    warm.close()
    await asyncio.sleep(2)
    before = rss_kib(pid), threads(pid)

    subscribers = [Subscriber(port, path) for _ in range(connections)]
    started = time.monotonic()
    for batch in range(0, connections, 50):
        await asyncio.gather(*(s.open() for s in subscribers[batch : batch + 50]))
    opened = time.monotonic() - started
    await asyncio.sleep(2)
    cpu_start, wall_start = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(idle)
    cpu = (cpu_seconds(pid) - cpu_start) / (time.monotonic() - wall_start)
    after = rss_kib(pid), threads(pid)

    settings = Settings(database_url=str(engine.url))
    data = editing.parse(
        editing.EventInput,
        {"title": "Benchmark call", "type": "call", "start": "2022-02-20T11:30",
         "actors": [{"actor": "emmanuel-macron", "role": "initiator"}]},
    )  # fmt: skip
    published = time.monotonic()
    with write_session(engine) as session:
        editing.create_event(session, data, settings.zone, None, publish=True)
    await asyncio.gather(*(s.until(b"event: new") for s in subscribers))
    fan_out = time.monotonic() - published
    for subscriber in subscribers:
        subscriber.close()
    return before, after, opened, cpu, fan_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds idle to measure CPU")
    parser.add_argument("--database-url", help="default: a fresh SQLite file with the sample")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="brink-sse-") as folder:
        url = arguments.database_url or f"sqlite:///{folder}/brink.db"
        engine = make_engine(url)
        if not arguments.database_url:
            migrate(engine)
            load_file(engine, SAMPLE, Settings(database_url=url).zone)
        port = 8700 + os.getpid() % 200
        server = start_server(url, port, Path(folder) / "server.log")
        try:
            results = asyncio.run(
                measure(server, port, engine, arguments.connections, arguments.idle)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            engine.dispose()
    (rss_before, threads_before), (rss_after, threads_after), opened, cpu, fan_out = results
    n = arguments.connections
    print(f"streams:             {n} idle, opened in {opened:.1f} s")
    mib_before, mib_after = rss_before / 1024, rss_after / 1024
    print(f"server RSS:          {mib_before:.1f} MiB before, {mib_after:.1f} MiB after")
    print(f"memory per stream:   {(rss_after - rss_before) / n:.1f} KiB")
    print(f"server threads:      {threads_before} before, {threads_after} after")
    print(f"CPU while idle:      {cpu * 100:.2f} % of one core (over {arguments.idle:.0f} s)")
    print(f"publish to all {n}:  {fan_out:.2f} s")


if __name__ == "__main__":
    main()
