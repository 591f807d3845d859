"""`brink serve --workers N`: one parent process and N workers, each configured from the
environment, each answering; they stop together and cleanly."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

BRINK = str(Path(sys.executable).parent / "brink")


def children(pid: int) -> list[str]:
    """The command lines of a process's children."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError):
            continue  # it ended meanwhile
    return found


def wait_for(url: str, server: subprocess.Popen, log: Path) -> bytes:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                return response.read()
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"brink serve did not answer:\n{log.read_text()}")
            time.sleep(0.2)


def test_serve_with_two_workers(database_url: str, sample: None, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "BRINK_DATABASE_URL": database_url, "BRINK_SITE_TITLE": "Two workers"}
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [BRINK, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            page = wait_for(base + "/", server, log)
            # The sample crisis and the title: the settings reached the worker from the
            # environment, and it reads the same database.
            assert b"Two workers" in page
            assert b"War in eastern Ukraine" in page
            for _ in range(10):  # spread over both workers
                assert b"Two workers" in wait_for(base + "/?actor=russia", server, log)
            workers = [c for c in children(server.pid) if "multiprocessing.spawn" in c]
            assert len(workers) == 2
        finally:
            server.send_signal(signal.SIGTERM)
            returncode = server.wait(timeout=30)
    assert returncode == 0
    assert children(server.pid) == []
    text = log.read_text()
    assert text.count("Application startup complete") == 2
    assert text.count("Finished server process") == 2
    assert "Traceback" not in text
