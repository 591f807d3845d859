"""Live updates (/events/stream): real uvicorn processes, read with httpx streaming in a thread,
every wait bounded, so nothing hangs.

A stream sends `id:` after each batch of the log it has read, which lets a test know that a
stream has *seen* a revision without an event for it: that is how "nothing was sent" is checked
without waiting for a timeout."""

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import accounts, editing, live, tokens
from app.db import write_session
from app.live import Tail
from tests.accounts import EDITOR
from tests.conftest import free_port
from tests.html import soup

WAIT = 5.0  # seconds: the most any one thing may take

MACRON_CALL = {
    "title": "Macron telephones Putin again",
    "summary": "A second call in a week.",
    "type": "call",
    "start": "2022-02-20T11:30",
    "actors": [
        {"actor": "emmanuel-macron", "role": "initiator"},
        {"actor": "vladimir-putin", "role": "counterpart"},
    ],
}


# Reading a stream


@dataclass
class Message:
    event: str | None  # None: an `id:` alone (the stream has read the log that far)
    data: str
    id: int | None


@dataclass
class Stream:
    """One SSE connection, read in a thread into a queue of messages."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    messages: "queue.Queue[Message | None]" = field(default_factory=queue.Queue)
    status: int | None = None
    content_type: str = ""
    last_id: int | None = None  # the id last received: what a browser would resume from

    def __post_init__(self) -> None:
        self._client = httpx2.Client(timeout=httpx2.Timeout(WAIT, read=None))
        self._ready = threading.Event()
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # Ready once it has read the log for the first time (its first `id:`).
        assert self._ready.wait(WAIT), f"{self.url} sent no id (status {self.status})"

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                fields: dict[str, Any] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        continue  # a heartbeat
                    if line:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "data":
                            fields.setdefault("data", []).append(value)
                        else:
                            fields[name] = value
                        continue
                    if "data" in fields or "id" in fields:
                        identifier = int(fields["id"]) if "id" in fields else None
                        data = "\n".join(fields.get("data", []))
                        self.messages.put(Message(fields.get("event"), data, identifier))
                        if identifier is not None:
                            self.last_id = identifier
                            self._ready.set()
                    fields = {}
        except Exception:  # closed under it, at the end of a test
            pass
        finally:
            self.messages.put(None)
            self._ready.set()

    def next(self, event: str | None, timeout: float = WAIT) -> Message | None:
        """The next message named `event` (None: an id alone), skipping the others."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                return None
            if message is None:
                return None
            if message.event == event:
                return message
        return None

    def events_until(self, revision: int) -> list[Message]:
        """Every named message until the stream says it has read up to `revision`."""
        seen = []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if message is None:
                break
            if message.event is not None:
                seen.append(message)
            if message.id is not None and message.id >= revision:
                return seen
        raise AssertionError(f"{self.url} did not read up to revision {revision}; got {seen}")

    def close(self) -> None:
        """Hang up, as a browser leaving the page does (waking the thread blocked reading)."""
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        self._thread.join(WAIT)
        self._client.close()


@pytest.fixture
def streams() -> Iterator[Callable[..., Stream]]:
    opened: list[Stream] = []

    def open_stream(url: str, **headers: str) -> Stream:
        stream = Stream(url, headers)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def new_events(message: Message | None) -> list[int]:
    assert message is not None, "no `new` message came"
    bar = soup(message.data).select_one(".live-news-bar")
    return [int(i) for i in bar["data-events"].split()] if bar else []


# Changing the log the way editors do


def latest(engine: Engine) -> int:
    with Session(engine) as session:
        return live.latest_revision(session)


def publish(engine: Engine, settings, data: dict[str, Any] | None = None, **kwargs) -> int:
    with write_session(engine) as session:
        event_input = editing.parse(editing.EventInput, data or MACRON_CALL)
        event = editing.create_event(session, event_input, settings.zone, None, **kwargs)
        return event.id


def edit(engine: Engine, settings, event_id: int, **changes: Any) -> None:
    with write_session(engine) as session:
        event = editing.load_event(session, event_id)
        assert event is not None
        data = editing.event_input(event, settings.zone).model_copy(update=changes)
        assert editing.update_event(
            session, event, data, settings.zone, None, expected_version=event.version
        )


def sample_event_id(engine: Engine, title: str) -> int:
    from sqlalchemy import select

    from app.models import Event

    with Session(engine) as session:
        event_id = session.scalar(select(Event.id).where(Event.title == title))
        assert event_id is not None
        return event_id


# The page


def test_the_timeline_says_when_it_was_made_and_carries_its_stream(client, sample, engine):
    page = soup(client.get("/?type=call").text)
    connect = page.select_one(".live[sse-connect]")
    assert connect is not None
    assert connect["hx-ext"] == "sse"
    assert connect["sse-connect"] == f"/events/stream?type=call&last={latest(engine)}"
    generated = page.select_one(".live .generated")
    assert generated is not None
    assert "Generated at" in generated.text
    assert generated.select_one("time").text.endswith(("EET", "EEST"))  # Europe/Kyiv
    refresh = generated.select_one("a")
    assert refresh.text == "Refresh" and refresh["href"] == "/?type=call"
    bar = page.select_one("#live-news")
    assert bar["role"] == "status" and bar["sse-swap"] == "new"
    assert page.select_one('script[src*="htmx-ext-sse"]') is not None

    # An actor's page streams its own timeline; the htmx fragment carries the new filters.
    actor = soup(client.get("/actors/emmanuel-macron?type=call").text)
    url = actor.select_one(".live")["sse-connect"]
    assert url.startswith("/events/stream?pinned=emmanuel-macron&type=call&last=")
    fragment = client.get("/?type=drill", headers={"HX-Request": "true", "HX-Target": "results"})
    assert (
        soup(fragment.text)
        .select_one(".live")["sse-connect"]
        .startswith("/events/stream?type=drill&last=")
    )
    # "Load more" appends a page: no second stream.
    more = soup(client.get("/").text).select_one("a.load-more")
    if more is not None:
        pager = client.get(more["href"], headers={"HX-Request": "true", "HX-Target": "pager"})
        assert soup(pager.text).select_one(".live") is None


# Streams


def test_a_published_event_reaches_the_views_it_belongs_to_only(
    live_server, engine, settings, streams
):
    start = latest(engine)
    everything = streams(f"{live_server}/events/stream?last={start}")
    assert everything.status == 200
    assert everything.content_type.startswith("text/event-stream")
    macron = streams(f"{live_server}/events/stream?pinned=emmanuel-macron&last={start}")
    drills = streams(f"{live_server}/events/stream?type=drill&last={start}")

    event_id = publish(engine, settings, publish=True)
    revision = latest(engine)

    assert new_events(everything.next("new")) == [event_id]
    message = macron.next("new")
    assert new_events(message) == [event_id]
    link = soup(message.data).select_one("a")
    assert link.text == "show"
    assert link["href"] == f"/actors/emmanuel-macron?around={event_id}"
    assert link["hx-get"] == link["href"] and link["hx-target"] == "#results"
    assert drills.events_until(revision) == []


def test_a_draft_is_news_only_once_published_and_counts_add_up(
    live_server, engine, settings, streams
):
    stream = streams(f"{live_server}/events/stream?actor=vladimir-putin&last={latest(engine)}")
    draft = publish(engine, settings, publish=False)
    assert stream.events_until(latest(engine)) == []

    with write_session(engine) as session:
        event = editing.load_event(session, draft)
        editing.publish_event(session, event, settings.zone, None)
    assert new_events(stream.next("new")) == [draft]

    second = publish(engine, settings, {**MACRON_CALL, "title": "Putin replies"}, publish=True)
    message = stream.next("new")
    assert new_events(message) == [draft, second]
    assert "2 new events" in soup(message.data).text
    assert soup(message.data).select_one("a")["href"] == "/?actor=vladimir-putin"

    # Withdrawn before anyone looked: the bar counts it no longer.
    with write_session(engine) as session:
        event = editing.load_event(session, second)
        editing.delete_event(session, event, settings.zone, None)
    assert new_events(stream.next("new")) == [draft]


def test_an_edit_sends_the_events_new_card_to_views_that_show_it(
    live_server, engine, settings, streams
):
    start = latest(engine)
    calls = streams(f"{live_server}/events/stream?type=call&last={start}")
    drills = streams(f"{live_server}/events/stream?type=drill&last={start}")
    event_id = sample_event_id(engine, "Biden and Putin speak by phone")

    edit(engine, settings, event_id, title="Biden and Putin speak by phone for an hour")
    message = calls.next("updated")
    assert message is not None
    card = soup(message.data).select_one("article.event-card")
    assert card["id"] == f"event-{event_id}"
    assert card.select_one(".event-title").text == "Biden and Putin speak by phone for an hour"
    assert card.select_one(".badge.live-updated").text == "Updated"
    assert calls.events_until(latest(engine)) == []  # an edit is no news
    assert drills.events_until(latest(engine)) == []


def test_reconnecting_with_last_event_id_replays_what_was_missed(
    live_server, engine, settings, streams
):
    first = streams(f"{live_server}/events/stream?actor=vladimir-putin")
    resume = first.last_id
    assert resume == latest(engine)
    first.close()

    missed = publish(engine, settings, publish=True)
    edited = sample_event_id(engine, "Biden and Putin speak by phone")
    edit(engine, settings, edited, summary="They spoke for an hour.")

    again = streams(f"{live_server}/events/stream?actor=vladimir-putin", **{
        "Last-Event-ID": str(resume)
    })  # fmt: skip
    replayed = again.events_until(latest(engine))
    assert [m.event for m in replayed] == ["new", "updated"]
    assert new_events(replayed[0]) == [missed]
    assert soup(replayed[1].data).select_one("article")["id"] == f"event-{edited}"

    # Up to date: nothing to replay.
    current = streams(f"{live_server}/events/stream?actor=vladimir-putin", **{
        "Last-Event-ID": str(again.last_id)
    })  # fmt: skip
    assert current.last_id == latest(engine)
    assert current.events_until(latest(engine)) == []


# Several server processes on one database


def start_server(database_url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Another uvicorn process on the same database (as tests/conftest.py's live_server)."""
    import urllib.request

    port = free_port()
    env = {**os.environ, "BRINK_DATABASE_URL": database_url, "BRINK_TIMEZONE": "Europe/Kyiv"}
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    log = log_path.open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/static/brink.css", timeout=1):
                return server, base
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait()
                pytest.fail(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)


@pytest.fixture
def second_server(live_server, database_url, tmp_path) -> Iterator[str]:
    server, base = start_server(database_url, tmp_path / "second.log")
    yield base
    server.terminate()
    server.wait(timeout=10)


def test_two_processes_on_one_database_both_deliver(
    live_server, second_server, engine, settings, users, streams
):
    start = latest(engine)
    url = f"/events/stream?actor=emmanuel-macron&last={start}"
    here, there = streams(live_server + url), streams(second_server + url)

    # Through the write API of the first process.
    with write_session(engine) as session:
        user = accounts.find_user(session, EDITOR)
        token = tokens.create(session, user, "Wire desk")[1]
    created = httpx2.post(
        f"{live_server}/api/events",
        json={"event": MACRON_CALL, "publish": True},
        headers={"Authorization": f"Bearer {token}"},
        timeout=WAIT,
    )
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert new_events(here.next("new")) == [event_id]
    assert new_events(there.next("new")) == [event_id]

    # Through neither: the editing core, in this process.
    other = publish(engine, settings, {**MACRON_CALL, "title": "Macron calls again"}, publish=True)
    assert new_events(here.next("new")) == [event_id, other]
    assert new_events(there.next("new")) == [event_id, other]


# Out-of-order commits (PostgreSQL hands out ids at insert, shows them at commit)


def test_a_revision_committed_after_a_later_one_is_not_lost(
    live_server, engine, settings, streams, backend
):
    if backend == "sqlite":
        pytest.skip("SQLite writers commit one at a time, in id order")
    stream = streams(f"{live_server}/events/stream?last={latest(engine)}")
    slow = Session(engine)
    try:
        with slow.begin():
            data = editing.parse(editing.EventInput, {**MACRON_CALL, "title": "Slow to commit"})
            early = editing.create_event(slow, data, settings.zone, None, publish=True).id
            late = publish(engine, settings, publish=True)  # a higher id, committed first
            assert late > early
            assert new_events(stream.next("new")) == [late]
        assert new_events(stream.next("new")) == [late, early]
    finally:
        slow.close()


def test_a_tail_keeps_skipped_ids_until_they_turn_up_or_expire():
    tail = Tail(10).advance([11, 13], now=100.0)
    assert (tail.after, tail.gaps, tail.resume_id) == (13, ((12, 12, 100.0),), 11)
    filled = tail.advance([12, 14], now=101.0)
    assert (filled.after, filled.gaps, filled.resume_id) == (14, (), 14)
    expired = tail.advance([], now=100.0 + live.GAP_SECONDS)
    assert (expired.after, expired.gaps, expired.resume_id) == (13, (), 13)

    # A long import holds a run of ids; another writer's commit lands beyond it.
    waiting = Tail(10).advance([5000], now=0.0)
    assert waiting.gaps == ((11, 4999, 0.0),)
    partly = waiting.advance([11, 12, 40], now=1.0)
    assert partly.gaps == ((13, 39, 0.0), (41, 4999, 0.0))
    assert partly.resume_id == 12


def test_too_many_streams_are_told_to_come_back_later(client, monkeypatch):
    monkeypatch.setattr(live, "MAX_STREAMS", 0)
    response = client.get("/events/stream")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
