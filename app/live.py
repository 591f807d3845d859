"""Live updates: an open timeline hears of events published or edited after it was rendered.

The change log is the `revisions` table: every create, publish, edit, delete or restore of an event
writes a row whose id only grows. A page carries the newest revision id it was rendered at; its
stream (GET /events/stream, Server-Sent Events) reads the revisions after that id, keeps those
whose events the page's filters select *now* (one SQL query), and sends

- `new`: the "N new events — show" bar, when matching events were published;
- `updated`: the new card of a matching event that was edited (swapped in if it is on screen).

Each batch ends with an SSE `id:`, a revision id, so a browser that reconnects (Last-Event-ID)
resumes where it was. Nothing in memory is the truth, so any number of processes can serve
streams: each process has one `Hub` that only says *when* to read the log again. On SQLite it
polls max(id) once a second; on PostgreSQL it LISTENs for the NOTIFY that every revision sends at
commit (`announce`), and polls now and then in case a notification is missed. An idle stream is
a suspended coroutine: no thread, no database connection.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from time import monotonic
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app import present, queries
from app.filters import EventFilters
from app.models import Revision
from app.templating import templates

log = logging.getLogger(__name__)

CHANNEL = "brink_revisions"  # PostgreSQL NOTIFY channel
POLL_SECONDS = 1.0  # SQLite: how often a process looks at max(id)
FALLBACK_SECONDS = 5.0  # PostgreSQL: how often it looks anyway, besides LISTEN
HEARTBEAT_SECONDS = 20.0  # a comment this often keeps proxies from closing an idle stream
RETRY_MS = 3000  # how long a browser waits before reconnecting
GAP_SECONDS = 600.0  # how long an id skipped over may still turn up (see Tail)
MAX_GAPS = 100  # runs of such ids kept
BATCH = 500  # revisions read at a time
MAX_CARDS = 50  # edited cards sent per batch: a page shows 50
MAX_NEW = 1000  # new events counted; beyond, the bar says "1,000+"
MAX_STREAMS = 5000  # per process (~64 KiB each idle, docs/live-updates.md); more get a 503

# What a revision means for a reader, when its event is in the view now.
PUBLISHING = {"create", "publish", "undelete", "import"}
EDITING = {"edit", "restore", "reimport"}


def announce(session: Session) -> None:
    """Called as a revision is recorded, in its transaction: on PostgreSQL, tell every listening
    process at commit (NOTIFY is transactional, and one per transaction however many rows).
    SQLite has no NOTIFY; its processes poll."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get("live_announced") is transaction:
        return  # once is enough: an import of 10,000 events sends one
    session.info["live_announced"] = transaction
    session.execute(select(func.pg_notify(CHANNEL, "")))


def latest_revision(session: Session) -> int:
    return session.scalar(select(func.max(Revision.id))) or 0


# The page's side


@dataclass(frozen=True)
class PageState:
    """What a rendered timeline says about its own freshness and where its stream is."""

    revision: int  # the newest revision when the page was rendered
    generated_at: datetime
    stream_url: str

    @property
    def generated(self) -> str:
        return self.generated_at.strftime("%H:%M %Z")


def page_state(session: Session, filters: EventFilters, zone: ZoneInfo) -> PageState | None:
    """Read before the page's own queries: anything newer than `revision` may be missing from
    the page, so the stream reports it (at worst an event is announced that is already shown).
    None for the timeline as it stood at a past moment (as_of): it does not change."""
    if filters.as_of is not None:
        return None
    revision = latest_revision(session)
    pairs = [("pinned", filters.pinned)] if filters.pinned else []
    pairs += parse_qsl(filters.view_query)
    pairs.append(("last", str(revision)))
    return PageState(revision, datetime.now(zone), "/events/stream?" + urlencode(pairs))


# Reading the log


@dataclass(frozen=True)
class Tail:
    """How far a stream has read the log.

    Ids are handed out when a revision is inserted but seen when its transaction commits, so on
    PostgreSQL id 12 can appear after id 13. Runs of ids skipped over are kept as gaps and read
    again (when a NOTIFY says something committed) until they turn up or GAP_SECONDS pass: a
    rolled-back transaction leaves a gap for good. SQLite commits writers one at a time, in id
    order, and never leaves one.
    """

    after: int  # every id up to here has been read, or is in a gap
    gaps: tuple[tuple[int, int, float], ...] = ()  # (first id, last id, when first missed)

    @property
    def resume_id(self) -> int:
        """Everything up to this id has been read: the SSE id to resume from."""
        return min((first for first, _, _ in self.gaps), default=self.after + 1) - 1

    def advance(self, ids: Sequence[int], now: float) -> "Tail":
        seen = sorted(set(ids))
        after = max([self.after, *seen])
        gaps = [
            (first, last, since)
            for old_first, old_last, since in self.gaps
            if now - since < GAP_SECONDS
            for first, last in _holes(old_first, old_last, seen)
        ]
        gaps += [(first, last, now) for first, last in _holes(self.after + 1, after, seen)]
        return Tail(after, tuple(gaps[-MAX_GAPS:]))


def _holes(first: int, last: int, seen: list[int]) -> list[tuple[int, int]]:
    """The runs of ids from `first` to `last` that are not in `seen` (sorted)."""
    holes, start = [], first
    for seen_id in seen:
        if seen_id > last:
            break
        if seen_id >= start:
            if seen_id > start:
                holes.append((start, seen_id - 1))
            start = seen_id + 1
    if start <= last:
        holes.append((start, last))
    return holes


@dataclass(frozen=True)
class Batch:
    """Revisions read past a tail, as a view sees them."""

    tail: Tail
    published: list[int]  # events published into the view, in order
    gone: set[int]  # events that changed and are not in the view now
    cards: dict[int, str]  # edited events in the view: their new cards
    more: bool  # a full batch: read again at once


def start(engine: Engine, since: int | None) -> Tail:
    """Where a stream starts: after `since`, or now; never beyond the log's end."""
    with Session(engine) as session:
        latest = latest_revision(session)
    return Tail(latest if since is None else min(since, latest))


def read(engine: Engine, view: queries.View, tail: Tail, edits_after: int) -> Batch:
    """The next revisions after `tail`; edits count only past `edits_after` (those before were
    delivered before a reconnection)."""
    with Session(engine) as session:
        unread = or_(
            Revision.id > tail.after,
            *[Revision.id.between(first, last) for first, last, _ in tail.gaps],
        )
        rows = session.execute(
            select(Revision.id, Revision.entity, Revision.entity_id, Revision.action)
            .where(unread)
            .order_by(Revision.id)
            .limit(BATCH)
        ).all()
        changes = [row for row in rows if row.entity == "event"]
        touched = {row.entity_id for row in changes}
        shown = queries.matching_ids(session, view, touched)
        published = [r.entity_id for r in changes if r.action in PUBLISHING]
        published = [event_id for event_id in dict.fromkeys(published) if event_id in shown]
        edited = {
            r.entity_id
            for r in changes
            if r.action in EDITING and r.id > edits_after and r.entity_id in shown
        }
        edited -= set(published)
        cards = _cards(session, view, sorted(edited)[:MAX_CARDS])
    return Batch(
        tail=tail.advance([row.id for row in rows], monotonic()),
        published=published,
        gone=touched - shown,
        cards=cards,
        more=len(rows) == BATCH,
    )


def _cards(session: Session, view: queries.View, ids: list[int]) -> dict[int, str]:
    """The cards of these events as the list shows them, marked as updated."""
    if not ids:
        return {}
    template = templates.get_template("_event_card.html")
    cards = {}
    for event in queries.listed_events(session, ids):
        card = present.event_card(event, view.zone, view.filters.search)
        card = replace(card, badges=[*card.badges, present.Badge("Updated", "live-updated")])
        cards[event.id] = template.render(event=card, page=None).strip()
    return cards


# Waking streams


class Hub:
    """One per process: watches the log and wakes every open stream when it may have grown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.version = 0  # raised whenever the log may have changed
        self.closed = False
        self._latest: int | None = None
        self._changed: asyncio.Event | None = None
        self._streams = 0
        self._watcher: asyncio.Task[None] | None = None
        self._failing = False
        self.listening = False  # a LISTEN connection is up: every commit will be heard

    @property
    def streams(self) -> int:
        return self._streams

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[None]:
        """Count a stream in for as long as it is open; the watcher runs while any is."""
        self._streams += 1
        if self._watcher is None and not self.closed:
            self._watcher = asyncio.create_task(self._watch(), name="brink-live-watcher")
            _close_on_exit_signals(self)
        try:
            yield
        finally:
            self._streams -= 1

    async def wait(self, version: int, timeout: float) -> bool:
        """Until the log may have changed since `version` (True), or `timeout` (False)."""
        if self.version != version or self.closed:
            return True
        if self._changed is None:
            self._changed = asyncio.Event()
        changed = self._changed
        try:
            async with asyncio.timeout(timeout):
                await changed.wait()
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self.version += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _saw(self, latest: int) -> None:
        if latest != self._latest:
            self._latest = latest
            self._wake()

    def _running(self) -> bool:
        return bool(self._streams) and not self.closed

    async def _watch(self) -> None:
        try:
            while self._running():
                try:
                    if self.engine.dialect.name == "postgresql":
                        with suppress(psycopg.Error, OSError):
                            await self._listen()  # returns when no stream is left
                            continue
                        self._failed("LISTEN failed")
                    await self._poll()
                    self._failing = False
                except Exception as error:  # the database is away: keep trying, quietly
                    self._failed(f"cannot read the log: {error}")
                await asyncio.sleep(POLL_SECONDS)
        finally:
            self._watcher = None

    def _failed(self, what: str) -> None:
        if not self._failing:
            log.warning("live updates: %s; retrying every %s s", what, POLL_SECONDS)
        self._failing = True

    async def _poll(self) -> None:
        def latest() -> int:
            with Session(self.engine) as session:
                return latest_revision(session)

        self._saw(await run_in_threadpool(latest))

    async def _listen(self) -> None:
        """Wake streams on every NOTIFY; returns when no stream is left, raises if the
        connection fails. max(id) is read now and then as well, for a notification missed."""
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            await connection.execute(f"LISTEN {CHANNEL}")
            self._failing, self.listening = False, True
            try:
                checked = 0.0  # at once: whatever was committed before LISTEN began
                while self._running():
                    if monotonic() - checked >= FALLBACK_SECONDS:
                        cursor = await connection.execute("SELECT max(id) FROM revisions")
                        row = await cursor.fetchone()
                        self._saw(row[0] if row and row[0] else 0)
                        checked = monotonic()
                    notified = False
                    async for _ in connection.notifies(timeout=POLL_SECONDS, stop_after=1):
                        notified = True
                    if notified:
                        self._wake()
            finally:
                self.listening = False


def _close_on_exit_signals(hub: Hub) -> None:
    """uvicorn waits for open responses before it stops, and a stream never ends by itself: on
    SIGINT or SIGTERM end the streams first (browsers reconnect, to another process if any).
    Only where a server installed its own handler, which is called as before."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(number)
        if not callable(previous) or getattr(previous, "closes_live_streams", False):
            continue

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(hub.close)
            previous(signum, frame)

        handler.closes_live_streams = True  # type: ignore[attr-defined]
        signal.signal(number, handler)


# The stream


@dataclass
class _Reader:
    """One stream's state: where it is in the log, and what it has told the page."""

    tail: Tail
    new: dict[int, None] = field(default_factory=dict)  # events published since the page
    sent_id: int | None = None


def message(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


def news_bar(view: queries.View, new: list[int]) -> str:
    """The bar's content: how many new events, and a link to see them (empty for none)."""
    if not new:
        return ""
    count = len(new)
    label = "1,000+ new events" if count >= MAX_NEW else f"{count:,} new event" + "s" * (count > 1)
    # One: open the view at it, highlighted. Several: the view's first page.
    href = view.filters.link(around=new[-1]) if count == 1 else view.filters.link()
    return templates.get_template("_live_news.html").render(label=label, href=href, ids=new).strip()


def _messages(view: queries.View, reader: _Reader, batch: Batch) -> Iterator[str]:
    before = list(reader.new)
    for event_id in batch.gone:
        reader.new.pop(event_id, None)  # withdrawn again before the reader looked
    for event_id in batch.published:
        if len(reader.new) < MAX_NEW:
            reader.new[event_id] = None
    if list(reader.new) != before:
        yield message("new", news_bar(view, list(reader.new)))
    for card in batch.cards.values():
        yield message("updated", card)


async def messages(
    hub: Hub, view: queries.View, since: int | None, last: int | None
) -> AsyncIterator[str]:
    """The stream of one open page: new events counted from `since` (the revision the page was
    rendered at), edits sent from `last` (Last-Event-ID: what an earlier connection delivered)."""
    yield f"retry: {RETRY_MS}\n\n"
    async with hub.stream():
        tail = await run_in_threadpool(start, hub.engine, since if since is not None else last)
        edits_after = max(tail.after, last or 0)
        reader = _Reader(tail)
        written = monotonic()
        version, unread = hub.version, True
        while not hub.closed:
            if unread:
                version = hub.version
                batch = await run_in_threadpool(read, hub.engine, view, reader.tail, edits_after)
                reader.tail = batch.tail
                for text in _messages(view, reader, batch):
                    yield text
                    written = monotonic()
                if reader.tail.resume_id != reader.sent_id:
                    reader.sent_id = reader.tail.resume_id
                    yield f"id: {reader.sent_id}\n\n"
                    written = monotonic()
                if batch.more:
                    continue
            # Idle, a stream reads nothing until the hub says the log moved. Without LISTEN, a
            # gap filling up moves nothing the hub sees: gaps are read again every few seconds.
            quiet = HEARTBEAT_SECONDS - (monotonic() - written)
            recheck = bool(reader.tail.gaps) and not hub.listening
            unread = await hub.wait(version, min(quiet, POLL_SECONDS * 5) if recheck else quiet)
            unread = unread or recheck
            if monotonic() - written >= HEARTBEAT_SECONDS and not hub.closed:
                yield ": keep-alive\n\n"
                written = monotonic()


def hub_of(app: Any) -> Hub:
    """The app's hub, made on first use (one per process: each process has its own app)."""
    hub = getattr(app.state, "live", None)
    if hub is None:
        hub = app.state.live = Hub(app.state.engine)
    return hub
