"""HTTP caching and compression: validators, conditional GET, Cache-Control, gzip.

A reader's page or data route gets a weak ETag and Last-Modified derived from what it is made
of, not from its bytes: the data version (queries.data_version, one statement of index look-ups),
the full URL, the htmx headers that pick a fragment, the code and settings that render it, and
the day (an event page's citation says when it was read; /changes, the minute). So a conditional
GET that still matches is answered 304 before the route runs: no rendering, no other query.

The same validators key an in-process cache of whole responses (ResponseCache): a page that is
asked for again at the same data version is sent from memory, with no query but the data
version's and no rendering. A shared link going viral costs one render per change of the data.

Left alone: anything for a signed-in user (a session cookie: their pages are private, no-store),
editorial and account pages, the write API, the live stream, POSTs, errors and redirects, and
any response that sets its own ETag (preview images), a cookie, or private/no-store caching.
"""

import hashlib
import re
import threading
import time as clock
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import cookie_parser

from app import queries
from app.config import Settings
from app.routes.auth import SESSION_COOKIE
from app.templating import ROOT

# Browsers ask again every time (a 304 is cheap, and a crisis moves); shared caches (a CDN, a
# reverse proxy) may answer for a minute without asking.
PUBLIC = "public, max-age=0, s-maxage=60"
# /static: vendored files carry their version in the name and never change; our own CSS and JS
# do change with a deployment, under the same name.
STATIC_VERSIONED = "public, max-age=31536000, immutable"
STATIC = "public, max-age=300"
VERSIONED_NAME = re.compile(r"-\d+\.\d+\.\d+")

# Never cached: what depends on who asks, and what never ends.
PRIVATE_PATHS = ("/api/", "/desk", "/admin", "/login", "/logout", "/account", "/previews/")
STREAMS = ("/events/stream",)
BY_THE_MINUTE = ("/changes",)  # pages that count back from now: "the last 24 hours"
EVENT_STREAM = "text/event-stream"
# The request headers that choose between a page and one of its fragments (templating.render).
FRAGMENT_HEADERS = ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request")
VARY = ("Accept-Encoding", *FRAGMENT_HEADERS)

# The response cache: bounded in bytes per process; an entry bigger than a page or two (a whole
# CSV export) is streamed, never held. Entries expire after a minute: what writes no revision
# (an edited source, see queries.data_version) shows within s-maxage, as from a shared cache.
RESPONSE_CACHE_BYTES = 32 * 1024 * 1024
RESPONSE_ENTRY_BYTES = 1024 * 1024
RESPONSE_TTL = 60.0  # seconds
MEMO_ENTRIES = 256  # counts kept by queries.remembered (a few thousand rows at most each)

GZIP_MINIMUM = 500  # bytes: below this, gzip's header and a round of CPU buy nothing
GZIP_LEVEL = 6  # zlib's default: within 2% of level 9 on our HTML, JSON and CSV, faster


def _is_stream(path: str, headers: Headers) -> bool:
    return path in STREAMS or EVENT_STREAM in headers.get("accept", "")


class Compression:
    """gzip for text (HTML, JSON, CSV, Atom, iCalendar, SVG, CSS, JS), with Vary:
    Accept-Encoding. Images are compressed already. A live stream is passed straight through:
    its events must leave the moment they are written, never held for a bigger chunk."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.gzip = GZipMiddleware(
            app,
            minimum_size=GZIP_MINIMUM,
            compresslevel=GZIP_LEVEL,
            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, EVENT_STREAM),
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _is_stream(scope["path"], Headers(scope=scope)):
            return await self.app(scope, receive, send)
        await self.gzip(scope, receive, send)


@cache
def _code_digest() -> tuple[str, datetime]:
    """A digest of the code and templates that render pages, and when they last changed:
    computed once, from the files' contents, so every process of a deployment agrees."""
    digest = hashlib.blake2b(digest_size=16)
    newest = 0.0
    files = sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "templates").rglob("*.html")])
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    return digest.hexdigest(), datetime.fromtimestamp(newest, UTC)


def app_version(settings: Settings) -> tuple[str, datetime]:
    """What renders pages besides the data: the code, and the settings pages show."""
    code, changed = _code_digest()
    shown = (code, settings.site_title, settings.timezone, settings.base_url or "")
    return "\n".join(shown), changed


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 8.8.3.2), as If-None-Match asks: W/"x" matches "x"."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.removeprefix("W/") in tags


def _not_modified_since(if_modified_since: str, last_modified: str) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # not a date: ignored, as RFC 9110 says
    if since.tzinfo is None:
        return False
    return parsedate_to_datetime(last_modified) <= since


def _vary(headers: MutableHeaders) -> None:
    """Add VARY to the route's own Vary (and gzip's), each name once."""
    names: list[str] = []
    for value in [*headers.getlist("vary"), *VARY]:
        for name in value.split(","):
            name = name.strip()
            if name and name.lower() not in {known.lower() for known in names}:
                names.append(name)
    headers["Vary"] = ", ".join(names)


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float


class ResponseCache:
    """Whole responses by their validators (and whether they were gzipped), least recently
    used first out. One per process: the event loop is its only user, so it needs no lock."""

    def __init__(self, capacity: int = RESPONSE_CACHE_BYTES) -> None:
        self.capacity = capacity
        self.size = 0
        self.entries: OrderedDict[tuple[str, bool], CachedResponse] = OrderedDict()

    def get(self, key: tuple[str, bool]) -> CachedResponse | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires < clock.monotonic():
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, bool], status: int, headers: list, body: bytes) -> None:
        if len(body) > RESPONSE_ENTRY_BYTES or len(body) > self.capacity:
            return
        if key in self.entries:
            self._drop(key)
        expires = clock.monotonic() + RESPONSE_TTL
        self.entries[key] = CachedResponse(status, list(headers), body, expires)
        self.size += len(body)
        while self.size > self.capacity:
            self._drop(next(iter(self.entries)))

    def _drop(self, key: tuple[str, bool]) -> None:
        self.size -= len(self.entries.pop(key).body)


class Memo:
    """Results of expensive reads (queries.remembered), keyed on the data version and the
    statement: shared by the threads of a process, so locked; bounded in entries, and each
    kept no longer than a response is."""

    def __init__(self, size: int = MEMO_ENTRIES) -> None:
        self.size = size
        self.entries: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        now = clock.monotonic()
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[0] > now:
                self.entries.move_to_end(key)
                return found[1]
        value = compute()  # outside the lock: two threads may both count, never wait
        with self.lock:
            self.entries[key] = (now + RESPONSE_TTL, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


class HttpCaching:
    """ETag, Last-Modified and Cache-Control on readers' pages and data, and 304s for
    conditional GETs; Cache-Control on /static. Runs outside Compression, so it sees what is
    sent: an ETag a file had before gzip is made weak, being no longer byte for byte."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.zone = settings.zone
        self.version, self.code_changed = app_version(settings)
        self.responses = ResponseCache(settings.response_cache_mb * 1024 * 1024)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"].startswith("/static/"):
            return await self.app(scope, receive, self._static(scope["path"], send))
        headers = Headers(scope=scope)
        if not self._cacheable_request(scope, headers):
            return await self.app(scope, receive, send)
        engine = scope["app"].state.engine
        # The data version is read before the route renders: a change committed in between
        # is then in the page but not in its ETag, which costs a client one more 200 at worst,
        # never a 304 for a page it has not seen.
        ids, changed = await run_in_threadpool(queries.data_version, engine)
        # For the route's own reads that can be kept per version (queries.remembered).
        scope.setdefault("state", {})["data_version"] = (ids, changed)
        validators = self._validators(scope, headers, ids, changed)
        etag = validators["etag"]
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None:
            fresh = _matches(if_none_match, etag)
        else:
            since = headers.get("if-modified-since")
            fresh = since is not None and _not_modified_since(since, validators["last-modified"])
        if fresh:
            return await _send_not_modified(send, validators)
        anything = if_none_match is not None and "*" in if_none_match
        key = (etag, "gzip" in headers.get("accept-encoding", ""))
        if not anything:
            hit = self.responses.get(key)
            if hit is not None:
                return await _send_cached(send, hit)
        await self.app(scope, receive, self._stamped(send, validators, anything, key))

    def _cacheable_request(self, scope: Any, headers: Headers) -> bool:
        path = scope["path"]
        if scope["method"] != "GET" or path.startswith(PRIVATE_PATHS):
            return False
        if _is_stream(path, headers):
            return False
        return SESSION_COOKIE not in cookie_parser(headers.get("cookie", ""))

    def _validators(
        self, scope: Any, headers: Headers, ids: tuple[int | None, ...], changed: datetime | None
    ) -> dict[str, str]:
        now = datetime.now(UTC)
        clock = self._clock(scope["path"], now)
        url = (
            scope["scheme"],
            headers.get("host", ""),
            scope.get("root_path", "") + scope["path"],
            scope["query_string"].decode("latin-1"),
        )
        # `changed` too: an edit of the newest event or actor shows even without a revision.
        key = [self.version, repr(ids), repr(changed), *url]
        key += [headers.get(h, "") for h in FRAGMENT_HEADERS]
        key.append(clock.isoformat())
        digest = hashlib.blake2b("\n".join(key).encode(), digest_size=16).hexdigest()
        last_modified = max(changed or clock, self.code_changed, clock)
        return {
            "etag": f'W/"{digest}"',
            "last-modified": _http_date(min(last_modified, now)),
            "cache-control": PUBLIC,
        }

    def _clock(self, path: str, now: datetime) -> datetime:
        """Since when a page is the same at the same data: /changes counts back from this
        minute; any other page, from today (an event's citation gives the day it was read)."""
        if path in BY_THE_MINUTE:
            return now.replace(second=0, microsecond=0)
        return datetime.combine(now.astimezone(self.zone).date(), time(), self.zone)

    def _stamped(
        self, send: Any, validators: dict[str, str], anything: bool, key: tuple[str, bool]
    ) -> Any:
        """Add the validators to a response that may be cached, and keep it for the next
        request with the same ones; with If-None-Match: *, answer 304 instead of a page that
        exists."""
        swallowing = False
        start: Any = None  # the response being kept, until it is complete or too big
        chunks: list[bytes] = []
        kept = 0

        async def stamp(message: Any) -> None:
            nonlocal swallowing, start, kept
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message.setdefault("headers", []))
                if _cacheable_response(message["status"], headers):
                    if anything:
                        swallowing = True
                        return await _send_not_modified(send, validators, last=False)
                    headers["ETag"] = validators["etag"]
                    headers["Last-Modified"] = validators["last-modified"]
                    headers.setdefault("Cache-Control", validators["cache-control"])
                    _vary(headers)
                    # As this layer sends it: the layers outside add their own headers to
                    # every response, the replayed ones included.
                    start = (message["status"], list(message["headers"]))
            elif message["type"] == "http.response.body":
                if swallowing:
                    if not message.get("more_body"):
                        await send({"type": "http.response.body", "body": b""})
                    return
                if start is not None:
                    body = message.get("body", b"")
                    kept += len(body)
                    chunks.append(body)
                    if kept > RESPONSE_ENTRY_BYTES:
                        start, chunks[:] = None, []
                    elif not message.get("more_body"):
                        self.responses.put(key, *start, b"".join(chunks))
            await send(message)

        return stamp

    @staticmethod
    def _static(path: str, send: Any) -> Any:
        versioned = VERSIONED_NAME.search(path) is not None

        async def stamp(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = MutableHeaders(raw=message.setdefault("headers", []))
                headers.setdefault("Cache-Control", STATIC_VERSIONED if versioned else STATIC)
                etag = headers.get("etag")
                if etag and "content-encoding" in headers and not etag.startswith("W/"):
                    headers["ETag"] = "W/" + etag  # the same file, but not the same bytes
            await send(message)

        return stamp


def _cacheable_response(status: int, headers: MutableHeaders) -> bool:
    """A 200 that says nothing against it: a route's own "public, max-age=…" is kept (and
    validated), its own ETag is never replaced, private or no-store is respected."""
    cache_control = headers.get("cache-control", "").lower()
    return (
        status == 200
        and "etag" not in headers
        and "private" not in cache_control
        and "no-store" not in cache_control
        and "set-cookie" not in headers
        and not headers.get("content-type", "").startswith(EVENT_STREAM)
    )


async def _send_cached(send: Any, response: CachedResponse) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": list(response.headers),
        }
    )
    await send({"type": "http.response.body", "body": response.body})


async def _send_not_modified(send: Any, validators: dict[str, str], last: bool = True) -> None:
    headers = MutableHeaders({name: value for name, value in validators.items()})
    _vary(headers)
    await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
    if last:
        await send({"type": "http.response.body", "body": b""})
