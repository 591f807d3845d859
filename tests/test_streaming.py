"""Streamed downloads on a real server: readers who hang up halfway through a big CSV or calendar
must not take the server down (they once did, on SQLite: the stream read through the request's
session after its connection had gone back to the pool)."""

import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import serving

HANG_UPS = 15


def hang_up_midway(base: str, path: str) -> None:
    """Ask for `path`, read the start of the answer, and close the connection."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        received = connection.recv(16_384)
        assert received.startswith(b"HTTP/1.1 200"), received[:200]


def test_readers_hanging_up_midway_leave_the_server_running(
    generated_database_url: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"
    with serving(generated_database_url, log_path) as (base, server):
        actor = urllib.request.urlopen(base + "/actors.json").read()
        assert actor  # the server answers before the test begins
        for number in range(HANG_UPS):
            path = "/events.csv" if number % 2 else "/events.ics"
            hang_up_midway(base, path)
            hang_up_midway(base, f"{path}?type=call")
        # Whole answers still come, and the process that served the hang-ups is the one alive.
        with urllib.request.urlopen(base + "/events.csv?type=call", timeout=60) as response:
            body = response.read()
        assert body.count(b"\n") > 500
        assert server.poll() is None, log_path.read_text()
    assert "Segmentation fault" not in log_path.read_text()
