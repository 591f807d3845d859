"""The filter object: parsed once from the query string, it drives every view of the events.

Parsing is lenient: a reader who follows a mangled link sees a sensible view and a notice saying
what was left out, never an error page. The canonical query string lists only non-default values,
in one stable order, so every view has exactly one URL.
"""

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from app.models import Status, Verification
from app.search import SearchQuery

ORDERS = ("newest", "oldest", "relevance")
VIEWS = ("list", "lanes")  # how the events are shown: the list, or a swimlane per actor
ZOOMS = ("day", "week", "month")  # the lanes' time scale; unset, the lanes choose by the span
MATCHES = ("any", "all")
SLUG_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
MAX_VALUES = 20  # per repeatable parameter: more is never a reader's view, only a flood
MAX_QUERY_LENGTH = 200
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# An ISO 8601 date or date and time, with or without a zone ("+" may arrive as a space).
MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?)?"
    r"(?:Z|[+\- ]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
TRUE_VALUES = ("1", "true", "on", "yes")
# The canonical parameter order (a contract: shared links depend on it).
PARAMETERS = (
    "actor", "only", "match", "type", "status", "verification", "q", "from", "to", "order",
    "since", "as_of", "view", "zoom", "around", "cursor",
)  # fmt: skip


@dataclass(frozen=True)
class Cursor:
    """A position in a list: after (or before) the event with this sort key."""

    order: str
    direction: str  # "after": the next page; "before": the previous one
    start_at: datetime
    event_id: int
    rank: int = 0

    def encode(self) -> str:
        payload = [self.order[0], self.direction[0], self.start_at.isoformat(), self.event_id]
        if self.order == "relevance":
            payload.append(self.rank)
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> "Cursor | None":
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            order, direction, start, event_id, *rest = json.loads(raw)
            order = {"n": "newest", "o": "oldest", "r": "relevance"}[order]
            direction = {"a": "after", "b": "before"}[direction]
            start_at = datetime.fromisoformat(start)
            rank = int(rest[0]) if rest else 0
            if start_at.tzinfo is None or not isinstance(event_id, int) or len(rest) > 1:
                return None
        except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
            return None
        return cls(order, direction, start_at, event_id, rank)


def _slugs(values: list[str]) -> tuple[tuple[str, ...], bool]:
    """Distinct, well-formed slugs in the order given, and whether any value was dropped."""
    seen: dict[str, None] = {}
    dropped = False
    for value in values:
        value = value.strip().lower()
        if not value:
            continue
        if len(value) <= 120 and set(value) <= SLUG_CHARACTERS:
            seen.setdefault(value, None)
        else:
            dropped = True
    return tuple(seen), dropped


def _choices(
    values: list[str], allowed: tuple[str, ...], what: str, notices: list[str]
) -> tuple[str, ...]:
    chosen: dict[str, None] = {}
    for value in values:
        value = value.strip().lower()
        if value in allowed:
            chosen.setdefault(value, None)
        elif value:
            notices.append(f"There is no {what} {value[:40]!r}; it was left out.")
    # In vocabulary order, so that the same choice always has the same URL.
    return tuple(v for v in allowed if v in chosen)


def _date(value: str, what: str, notices: list[str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    if DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    notices.append(f"{value[:40]!r} is not a date (YYYY-MM-DD); the {what} date was left out.")
    return None


def _moment(value: str, name: str, fallback: str, notices: list[str]) -> datetime | None:
    """An instant as ISO 8601: a date (its midnight), a date and time, with or without a zone.
    Naive values are in the crisis's zone, which the view applies (`queries.View`)."""
    value = value.strip()
    if not value:
        return None
    if MOMENT.fullmatch(value):
        # A "+02:00" typed into a URL arrives as " 02:00".
        text = re.sub(r"(:\d{2}(?:\.\d+)?) (\d{2}(?::?\d{2})?)$", r"\1+\2", value)
        try:
            moment = datetime.fromisoformat(text.upper())
        except ValueError:
            moment = None
        if moment is not None and 1000 < moment.year < 9999:
            return moment
    notices.append(
        f"{value[:40]!r} is not a date or time (like 2022-02-13 or 2022-02-13T09:12); "
        f"{name} was left out: {fallback}."
    )
    return None


def moment_text(moment: datetime) -> str:
    """An instant as the canonical query string writes it: a naive one as it was given (a day,
    or a local time to the minute or finer), one with a zone in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
        suffix = "Z"
    else:
        suffix = ""
        if moment.time() == datetime.min.time():
            return moment.date().isoformat()
    timespec = "minutes" if not (moment.second or moment.microsecond) else "auto"
    return moment.isoformat(timespec=timespec) + suffix


@dataclass(frozen=True)
class EventFilters:
    actors: tuple[str, ...] = ()
    only: bool = False  # the actors themselves, without their members
    match: str = "any"  # with several actors: "all" for events involving every one of them
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    verifications: tuple[str, ...] = ()
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    order: str = "newest"
    # Only events published or publicly corrected after this instant ("since your last visit").
    since: datetime | None = None
    # The timeline as it stood at this instant: later events hidden, later edits undone.
    as_of: datetime | None = None
    view: str = "list"
    zoom: str | None = None  # lanes only
    around: int | None = None
    cursor: Cursor | None = None
    # An actor's own page (/actors/<slug>): its actor is always chosen and not in the query
    # string, and other actors narrow its timeline to the events it shares with them.
    pinned: str | None = None
    notices: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params: QueryParams | Mapping[str, Any]) -> "EventFilters":
        if not isinstance(params, QueryParams):
            params = QueryParams(params)
        notices: list[str] = []

        def many(name: str) -> list[str]:
            values = params.getlist(name)
            if len(values) > MAX_VALUES:
                notices.append(f"Only the first {MAX_VALUES} {name} values were used.")
            return values[:MAX_VALUES]

        actors, dropped_actors = _slugs(many("actor"))
        types, dropped_types = _slugs(many("type"))
        if dropped_actors:
            notices.append("Some actor values were not valid slugs and were left out.")
        if dropped_types:
            notices.append("Some type values were not valid slugs and were left out.")
        statuses = _choices(many("status"), tuple(Status), "status", notices)
        verifications = _choices(many("verification"), tuple(Verification), "verification", notices)

        q = " ".join(params.get("q", "").split())
        if len(q) > MAX_QUERY_LENGTH:
            notices.append(f"The search was cut to its first {MAX_QUERY_LENGTH} characters.")
            q = q[:MAX_QUERY_LENGTH].rstrip()
        if q and SearchQuery.parse(q) is None:
            notices.append(f"{q[:40]!r} has no words to search for; the search was left out.")
            q = ""

        date_from = _date(params.get("from", ""), "start", notices)
        date_to = _date(params.get("to", ""), "end", notices)
        if date_from and date_to and date_from > date_to:
            notices.append("The start date was after the end date; they were swapped.")
            date_from, date_to = date_to, date_from

        match = params.get("match", "").strip().lower() or "any"
        if match not in MATCHES:
            notices.append(f"Unknown match {match[:40]!r}: showing events involving any actor.")
            match = "any"
        only = params.get("only", "").strip().lower() in TRUE_VALUES

        # Newest first even when searching: a timeline reads in time; "relevance" ranks matches.
        order = params.get("order", "").strip().lower() or "newest"
        if order not in ORDERS:
            notices.append(f"Unknown order {order[:40]!r}: showing newest first.")
            order = "newest"
        if order == "relevance" and not q:
            order = "newest"  # nothing to rank by

        since = _moment(params.get("since", ""), "since", "showing every event", notices)
        as_of = _moment(params.get("as_of", ""), "as_of", "showing the timeline now", notices)

        view = params.get("view", "").strip().lower() or "list"
        if view not in VIEWS:
            notices.append(f"Unknown view {view[:40]!r}: showing the list.")
            view = "list"
        zoom = params.get("zoom", "").strip().lower() or None
        if zoom is not None and zoom not in ZOOMS:
            notices.append(f"Unknown zoom {zoom[:40]!r}: the lanes chose one to fit.")
            zoom = None
        if view != "lanes":
            zoom = None

        around = None
        around_value = params.get("around", "").strip()
        if around_value:
            if around_value.isdigit() and len(around_value) < 12:
                around = int(around_value)
            else:
                notices.append(f"{around_value[:40]!r} is not an event number; it was left out.")

        cursor = None
        cursor_value = params.get("cursor", "").strip()
        if cursor_value:
            cursor = Cursor.decode(cursor_value[:200])
            if cursor is None or cursor.order != order:
                notices.append("The page link was not valid; showing the first page.")
                cursor = None
        if around is not None and cursor is not None:
            cursor = None  # a link to an event wins over a page position

        return cls(
            actors=actors,
            only=only,
            match=match,
            types=types,
            statuses=statuses,
            verifications=verifications,
            q=q,
            date_from=date_from,
            date_to=date_to,
            order=order,
            since=since,
            as_of=as_of,
            view=view,
            zoom=zoom,
            around=around,
            cursor=cursor,
            notices=tuple(notices),
        )

    @property
    def search(self) -> SearchQuery | None:
        return SearchQuery.parse(self.q) if self.q else None

    def pinned_to(self, slug: str) -> "EventFilters":
        """This view on the page of the actor `slug`."""
        others = tuple(s for s in self.actors if s != slug)
        return replace(self, actors=(slug, *others), match="all", pinned=slug)

    @property
    def path(self) -> str:
        """Where this view lives: the timeline, or its actor's page."""
        return f"/actors/{self.pinned}" if self.pinned else "/"

    def with_notice(self, notice: str) -> "EventFilters":
        return replace(self, notices=(*self.notices, notice))

    def pairs(self) -> list[tuple[str, str]]:
        """The non-default parameters, in canonical order."""
        values: dict[str, list[str]] = {
            "actor": [slug for slug in self.actors if slug != self.pinned],
            "only": ["1"] if self.only and self.actors else [],
            "match": ["all"]
            if self.match == "all" and len(self.actors) > 1 and not self.pinned
            else [],
            "type": list(self.types),
            "status": list(self.statuses),
            "verification": list(self.verifications),
            "q": [self.q] if self.q else [],
            "from": [self.date_from.isoformat()] if self.date_from else [],
            "to": [self.date_to.isoformat()] if self.date_to else [],
            "order": [self.order] if self.order != "newest" else [],
            "since": [moment_text(self.since)] if self.since else [],
            "as_of": [moment_text(self.as_of)] if self.as_of else [],
            "view": [self.view] if self.view != "list" else [],
            "zoom": [self.zoom] if self.zoom and self.view == "lanes" else [],
            "around": [str(self.around)] if self.around is not None else [],
            "cursor": [self.cursor.encode()] if self.cursor else [],
        }
        return [(name, value) for name in PARAMETERS for value in values[name]]

    def to_query(self, **changes: Any) -> str:
        """The canonical query string of this view, or of this view with some fields changed."""
        filters = replace(self, **changes)
        if not filters.q and filters.order == "relevance":
            filters = replace(filters, order="newest")
        return urlencode(filters.pairs())

    def link(self, path: str | None = None, **changes: Any) -> str:
        """A link to this view changed: it opens at the first page unless told otherwise."""
        changes.setdefault("cursor", None)
        changes.setdefault("around", None)
        query = self.to_query(**changes)
        path = path or self.path
        return f"{path}?{query}" if query else path

    @property
    def view_query(self) -> str:
        """The events this view selects, without page position or presentation (list or
        lanes): what data formats, feeds, previews and the live stream need."""
        return self.to_query(cursor=None, around=None, view="list", zoom=None)

    @property
    def is_default(self) -> bool:
        return not self.view_query

    @property
    def has_filters(self) -> bool:
        return bool(self.view_query)
