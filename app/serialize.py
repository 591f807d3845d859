"""Events and actors as data: the JSON shapes (with the descriptions and examples /docs shows)
and the CSV columns, built from the same rows the pages show.

Field names are part of the public contract (see DESIGN.md): add fields freely, never rename.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from app import models, queries
from app.dates import format_point, format_span
from app.filters import EventFilters
from app.loading import slugify
from app.present import RELATION_LABELS, ROLE_ORDER, actor_path, describe_view, event_path
from app.queries import ActorCount, Counts, Page, View
from app.templating import markdown_html

EXAMPLE_BASE = "https://brink.example"


@dataclass(frozen=True)
class Site:
    """What links and dates need: the public address and the crisis's time zone."""

    base: str  # scheme://host, without a trailing slash
    zone: ZoneInfo

    def url(self, path: str) -> str:
        return self.base + path

    def list_url(self, path: str, filters: EventFilters, **changes: Any) -> str:
        """The absolute URL of a view on `path`, changed: a page of it, or its first page."""
        query = filters.to_query(**changes)
        return self.url(f"{path}?{query}" if query else path)


# The shapes


class Point(BaseModel):
    """An instant at the precision it is known: '12 Feb 2022, 18:04 EET', 'late December 2021'."""

    at: datetime = Field(
        description="The instant in UTC, ISO 8601. When the precision is coarser than a minute "
        "this is the start of the period (its local midnight): read it with `precision`.",
        examples=["2022-02-12T16:04:00Z"],
    )
    local: str = Field(
        description="The same instant in the crisis's time zone, ISO 8601 with its offset.",
        examples=["2022-02-12T18:04:00+02:00"],
    )
    precision: models.Precision = Field(
        description="How much of the instant is known.", examples=["minute"]
    )
    approximate: bool = Field(description="True for 'around …', 'early/mid/late …'.")
    text: str = Field(
        description="As the timeline shows it, in the crisis's time zone.",
        examples=["12 Feb 2022, 18:04 EET"],
    )


class Place(BaseModel):
    name: str | None = Field(description="Where it happened.", examples=["Moscow"])
    lat: float | None = Field(description="Latitude, WGS 84.", examples=[55.7558])
    lon: float | None = Field(description="Longitude, WGS 84.", examples=[37.6173])
    timezone: str | None = Field(description="The place's IANA time zone.", examples=[None])


class ActorRef(BaseModel):
    slug: str = Field(description="The actor's slug: the `actor` parameter.", examples=["france"])
    name: str = Field(description="The name the timeline shows.", examples=["France"])
    kind: models.ActorKind = Field(
        description="state, person, organisation or agency.", examples=["state"]
    )
    url: str = Field(description="The actor's page.", examples=[f"{EXAMPLE_BASE}/actors/france"])


class EventActor(ActorRef):
    role: models.Role = Field(
        description="What the actor did in the event.", examples=["initiator"]
    )


class Source(BaseModel):
    publisher: str = Field(description="Who published it.", examples=["Reuters"])
    title: str = Field(
        description="Its headline or title.", examples=["Biden warns Putin of swift, severe costs"]
    )
    url: str | None = Field(description="Where to read it, when known.", examples=[None])
    published: date | None = Field(
        description="The day the source was published, ISO 8601.", examples=["2022-02-12"]
    )
    quote: str | None = Field(
        description="The passage that supports the event.", examples=["Biden told Putin…"]
    )


class EventRef(BaseModel):
    id: int = Field(description="The event's number.", examples=[18])
    title: str = Field(
        description="The event's title.", examples=["Kremlin denies plans to invade"]
    )
    url: str = Field(
        description="The event's canonical page.",
        examples=[f"{EXAMPLE_BASE}/events/18/kremlin-denies-plans-to-invade"],
    )
    start: Point = Field(description="When it started.")


class RelatedEvent(EventRef):
    relation: models.RelationKind = Field(
        description="The kind of link, read out → in.", examples=["denies"]
    )
    direction: str = Field(
        description="`out`: this event → the other ('denies' it); "
        "`in`: the other → this event ('denied by' it).",
        examples=["in"],
    )
    label: str = Field(description="The relation read from this event.", examples=["Denied by"])


EXAMPLE_POINT = {
    "at": "2022-02-12T16:04:00Z",
    "local": "2022-02-12T18:04:00+02:00",
    "precision": "minute",
    "approximate": False,
    "text": "12 Feb 2022, 18:04 EET",
}
EXAMPLE_EVENT = {
    "id": 17,
    "url": f"{EXAMPLE_BASE}/events/17/biden-and-putin-speak-by-phone",
    "slug": "biden-and-putin-speak-by-phone",
    "title": "Biden and Putin speak by phone",
    "summary": "A call of just over an hour; Biden warns of **swift and severe costs**.",
    "summary_html": "<p>A call of just over an hour; Biden warns of "
    "<strong>swift and severe costs</strong>.</p>\n",
    "type": "call",
    "type_label": "Call",
    "status": "occurred",
    "verification": "confirmed",
    "importance": 3,
    "when": "12 Feb 2022, 18:04 EET",
    "start": EXAMPLE_POINT,
    "end": None,
    "place": None,
    "actors": [
        {
            "slug": "joe-biden",
            "name": "Joe Biden",
            "kind": "person",
            "url": f"{EXAMPLE_BASE}/actors/joe-biden",
            "role": "initiator",
        },
        {
            "slug": "vladimir-putin",
            "name": "Vladimir Putin",
            "kind": "person",
            "url": f"{EXAMPLE_BASE}/actors/vladimir-putin",
            "role": "counterpart",
        },
    ],
    "sources": [
        {
            "publisher": "Reuters",
            "title": "Biden warns Putin of swift, severe costs",
            "url": None,
            "published": "2022-02-12",
            "quote": "Biden told Putin that the United States would respond decisively.",
        }
    ],
    "related": [
        {
            "id": 18,
            "title": "Kremlin says the call was businesslike",
            "url": f"{EXAMPLE_BASE}/events/18/kremlin-says-the-call-was-businesslike",
            "start": EXAMPLE_POINT,
            "relation": "responds-to",
            "direction": "in",
            "label": "Responded to by",
        }
    ],
    "published_at": "2022-02-12T17:00:00Z",
    "updated_at": "2022-02-12T17:30:00Z",
}


class Event(BaseModel):
    """One event, in full."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_EVENT]})

    id: int = Field(description="The event's number; never reused.", examples=[17])
    url: str = Field(
        description="The event's canonical page.",
        examples=[f"{EXAMPLE_BASE}/events/17/biden-and-putin-speak-by-phone"],
    )
    slug: str = Field(
        description="The title as a URL word; may change (old ones redirect).",
        examples=["biden-and-putin-speak-by-phone"],
    )
    title: str = Field(description="Plain text.", examples=["Biden and Putin speak by phone"])
    summary: str = Field(description="Markdown source.")
    summary_html: str = Field(description="The summary as sanitised HTML.")
    type: str = Field(description="The event type's slug: the `type` parameter.", examples=["call"])
    type_label: str = Field(description="The type as the timeline names it.", examples=["Call"])
    status: models.Status = Field(
        description="Whether it happened or is to come.", examples=["occurred"]
    )
    verification: models.Verification = Field(
        description="How sure: confirmed, claimed (by one side) or disputed.",
        examples=["confirmed"],
    )
    importance: int = Field(description="1 (minor) to 3 (major).", ge=1, le=3, examples=[3])
    when: str = Field(
        description="Start and end as the timeline shows them.",
        examples=["12 Feb 2022, 18:04 EET", "10–20 Feb 2022"],
    )
    start: Point = Field(description="When it happened or starts.")
    end: Point | None = Field(description="For an event that spans time; else null.")
    place: Place | None = Field(description="Where, when known; else null.")
    actors: list[EventActor] = Field(description="Who did what: initiators first.")
    sources: list[Source] = Field(description="What it is based on, with quoted passages.")
    related: list[RelatedEvent] = Field(
        description="Published events linked to this one, in both directions."
    )
    published_at: datetime | None = Field(
        description="When it first appeared on the timeline.", examples=["2022-02-12T17:00:00Z"]
    )
    updated_at: datetime = Field(description="Its last edit.", examples=["2022-02-12T17:30:00Z"])


class FacetOption(BaseModel):
    value: str = Field(description="The parameter value.", examples=["call"])
    label: str = Field(description="The option as the panel names it.", examples=["Call"])
    count: int = Field(
        description="Events this option gives under the view's other filters.", examples=[6]
    )
    selected: bool = Field(description="Whether the view has chosen it.")


class ActorFacet(BaseModel):
    slug: str = Field(description="The `actor` parameter.", examples=["france"])
    name: str = Field(description="The name the panel shows.", examples=["France"])
    kind: models.ActorKind = Field(
        description="The panel groups actors by kind.", examples=["state"]
    )
    parent: ActorRef | None = Field(description="The actor it belongs to, as the panel hints.")
    count: int = Field(
        description="Events choosing this actor gives under the view's other filters.",
        examples=[12],
    )
    selected: bool = Field(description="Whether the view has chosen it.")


class Facets(BaseModel):
    """Counts for each option of the filter panel, from the same selection as the list."""

    type: list[FacetOption] = Field(description="Every event type, in panel order.")
    status: list[FacetOption] = Field(description="Every status.")
    verification: list[FacetOption] = Field(description="Every verification.")
    actor: list[ActorFacet] = Field(
        description="The chosen actors and the most active of each kind, as the panel shows "
        "them; /actors.json?q= finds the rest."
    )


class EventList(BaseModel):
    """A page of a view, with its facets."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "view": "actor=france&type=call",
                    "description": "Calls involving France · 3 events",
                    "timeline_url": f"{EXAMPLE_BASE}/?actor=france&type=call",
                    "total": 3,
                    "around": None,
                    "next": None,
                    "previous": None,
                    "next_cursor": None,
                    "previous_cursor": None,
                    "events": [EXAMPLE_EVENT],
                    "facets": {
                        "type": [{"value": "call", "label": "Call", "count": 3, "selected": True}],
                        "status": [],
                        "verification": [],
                        "actor": [],
                    },
                }
            ]
        }
    )

    view: str = Field(
        description="The view's canonical query string, without its page position.",
        examples=["actor=france&type=call"],
    )
    description: str = Field(
        description="What the view shows, as the timeline's heading.",
        examples=["Calls involving France · 3 events"],
    )
    timeline_url: str = Field(description="This page of the view on the timeline.")
    total: int = Field(description="Events in the whole view, on every page.", examples=[3])
    around: int | None = Field(description="The `around` event, found on this page.")
    next: str | None = Field(description="The next page's URL; null on the last page.")
    previous: str | None = Field(description="The previous page's URL; null on the first.")
    next_cursor: str | None = Field(description="The `cursor` of the next page.")
    previous_cursor: str | None = Field(description="The `cursor` of the previous page.")
    events: list[Event] = Field(description="Up to 50 events, in the view's order.")
    facets: Facets = Field(description="The filter panel's counts for this view.")
    as_of: datetime | None = Field(
        default=None,
        description="With `as_of`: the moment the view shows, as it stood then (UTC). Null: now.",
    )


EXAMPLE_ACTOR = {
    "slug": "vladimir-putin",
    "name": "Vladimir Putin",
    "kind": "person",
    "url": f"{EXAMPLE_BASE}/actors/vladimir-putin",
    "parent": {
        "slug": "russia",
        "name": "Russia",
        "kind": "state",
        "url": f"{EXAMPLE_BASE}/actors/russia",
    },
    "aliases": ["Putin", "Владимир Путин"],
    "event_count": 14,
    "timeline_url": f"{EXAMPLE_BASE}/?actor=vladimir-putin",
}


class Actor(ActorRef):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ACTOR]})

    parent: ActorRef | None = Field(description="The actor it belongs to: Putin → Russia.")
    aliases: list[str] = Field(
        description="Other names it is found by.", examples=[["Zelensky", "Зеленський"]]
    )
    event_count: int = Field(
        description="Published events involving it or its members (as ?actor=slug lists).",
        examples=[14],
    )
    timeline_url: str = Field(description="The timeline of its events.")


class ActorList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"actors": [EXAMPLE_ACTOR], "next": None}]}
    )

    actors: list[Actor] = Field(
        description="With q: the best matches of names and aliases, prefixes first (at most 10). "
        "Without: every actor in slug order, a page at a time."
    )
    next: str | None = Field(description="The next page's URL; null on the last page or with q.")


class Counterpart(ActorRef):
    count: int = Field(
        description="Events involving both (with members): what the dyad lists.", examples=[4]
    )
    timeline_url: str = Field(
        description="The timeline of the dyad.",
        examples=[f"{EXAMPLE_BASE}/?actor=joe-biden&actor=vladimir-putin&match=all"],
    )


class ActorProfile(Actor):
    """One actor, with its members, its events' span and the actors it meets most."""

    description: str = Field(description="Markdown source.")
    members: list[ActorRef] = Field(description="Actors that belong to it: Russia → Putin.")
    own_event_count: int = Field(
        description="Events involving it by name, not through a member (?actor=slug&only=1)."
    )
    first_event: EventRef | None = Field(description="Its earliest event, members' included.")
    last_event: EventRef | None = Field(description="Its latest event, members' included.")
    counterparts: list[Counterpart] = Field(
        description="The actors it shares most events with, most first (its own members and "
        "parents left out)."
    )
    events_url: str = Field(
        description="Its events as data.", examples=[f"{EXAMPLE_BASE}/events.json?actor=russia"]
    )


class Error(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "Some parameters cannot be used.",
                    "notices": ["There is no actor 'atlantis'; it was left out."],
                }
            ]
        }
    )

    error: str = Field(description="What went wrong.")
    notices: list[str] = Field(
        description="Each parameter that cannot be used, as the timeline page would say it."
    )


# Building them


def point(at: datetime, precision: str, approximate: bool, zone: ZoneInfo) -> Point:
    return Point(
        at=at,
        local=at.astimezone(zone).isoformat(),
        precision=precision,
        approximate=approximate,
        text=format_point(at, precision, approximate, zone),
    )


def start_point(event: models.Event, zone: ZoneInfo) -> Point:
    return point(event.start_at, event.start_precision, event.start_approximate, zone)


def end_point(event: models.Event, zone: ZoneInfo) -> Point | None:
    if event.end_at is None:
        return None
    precision = event.end_precision or event.start_precision
    return point(event.end_at, precision, event.end_approximate, zone)


def when(event: models.Event, zone: ZoneInfo) -> str:
    return format_span(
        event.start_at,
        event.start_precision,
        event.start_approximate,
        event.end_at,
        event.end_precision,
        event.end_approximate,
        zone,
    )


def actor_ref(site: Site, actor: models.Actor) -> ActorRef:
    return ActorRef(
        slug=actor.slug, name=actor.name, kind=actor.kind, url=site.url(actor_path(actor.slug))
    )


def event_actors(site: Site, event: models.Event) -> list[EventActor]:
    links = sorted(event.actor_links, key=lambda link: (ROLE_ORDER[link.role], link.position))
    return [
        EventActor(**actor_ref(site, link.actor).model_dump(), role=link.role) for link in links
    ]


def sources(event: models.Event) -> list[Source]:
    return [
        Source(
            publisher=citation.source.publisher,
            title=citation.source.title,
            url=citation.source.url,
            published=citation.source.published_on,
            quote=citation.quote,
        )
        for citation in event.citations
    ]


def event_ref(site: Site, event: models.Event) -> EventRef:
    return EventRef(
        id=event.id,
        title=event.title,
        url=site.url(event_path(event)),
        start=start_point(event, site.zone),
    )


def related(site: Site, event: models.Event) -> list[RelatedEvent]:
    pairs = [(r, r.to_event, "out") for r in event.relations_out]
    pairs += [(r, r.from_event, "in") for r in event.relations_in]
    return [
        RelatedEvent(
            **event_ref(site, other).model_dump(),
            relation=relation.relation,
            direction=direction,
            label=RELATION_LABELS[relation.relation][direction == "in"],
        )
        for relation, other, direction in pairs
        if other.published
    ]


def place(event: models.Event) -> Place | None:
    if event.place_name is None and event.place_lat is None and event.place_lon is None:
        return None
    return Place(
        name=event.place_name, lat=event.place_lat, lon=event.place_lon, timezone=event.timezone
    )


def full_event(site: Site, event: models.Event) -> Event:
    """An event with its type, actors (with their actor rows), sources and relations loaded."""
    return Event(
        id=event.id,
        url=site.url(event_path(event)),
        slug=event.slug,
        title=event.title,
        summary=event.summary,
        summary_html=str(markdown_html(event.summary)),
        type=event.type_slug,
        type_label=event.type.label,
        status=event.status,
        verification=event.verification,
        importance=event.importance,
        when=when(event, site.zone),
        start=start_point(event, site.zone),
        end=end_point(event, site.zone),
        place=place(event),
        actors=event_actors(site, event),
        sources=sources(event),
        related=related(site, event),
        published_at=event.published_at,
        updated_at=event.updated_at,
    )


def facets(
    site: Site,
    view: View,
    counts: Counts,
    actors: Sequence[ActorCount],
) -> Facets:
    filters = view.filters
    types, statuses, verifications = counts.types, counts.statuses, counts.verifications
    return Facets(
        type=[
            FacetOption(
                value=t.slug,
                label=t.label,
                count=types.get(t.slug, 0),
                selected=t.slug in filters.types,
            )
            for t in view.all_types
        ],
        status=_options(models.Status, statuses, filters.statuses),
        verification=_options(models.Verification, verifications, filters.verifications),
        actor=[
            ActorFacet(
                slug=row.actor.slug,
                name=row.actor.name,
                kind=row.actor.kind,
                parent=actor_ref(site, row.actor.parent) if row.actor.parent else None,
                count=row.count,
                selected=row.actor.slug in filters.actors,
            )
            for row in actors
        ],
    )


def _options(values: Iterable[str], counts: dict[str, int], chosen: Sequence[str]) -> list:
    return [
        FacetOption(value=v, label=v.capitalize(), count=counts.get(v, 0), selected=v in chosen)
        for v in values
    ]


def event_list(site: Site, view: View, page: Page, facets: Facets) -> EventList:
    filters = view.filters
    next_cursor, previous_cursor = page.next_cursor, page.previous_cursor
    return EventList(
        view=filters.view_query,
        description=describe_view(view, page.total),
        timeline_url=site.list_url("/", filters),
        total=page.total,
        around=page.around,
        next=site.list_url("/events.json", filters, cursor=next_cursor, around=None)
        if next_cursor
        else None,
        previous=site.list_url("/events.json", filters, cursor=previous_cursor, around=None)
        if previous_cursor
        else None,
        next_cursor=next_cursor.encode() if next_cursor else None,
        previous_cursor=previous_cursor.encode() if previous_cursor else None,
        events=[full_event(site, e) for e in page.events],
        facets=facets,
        as_of=view.as_of,
    )


def _actor(site: Site, row: ActorCount) -> Actor:
    actor = row.actor
    return Actor(
        **actor_ref(site, actor).model_dump(),
        parent=actor_ref(site, actor.parent) if actor.parent else None,
        aliases=actor.alias_names,
        event_count=row.count,
        timeline_url=site.list_url("/", EventFilters(actors=(actor.slug,))),
    )


def actor_list(site: Site, rows: Sequence[ActorCount], next_url: str | None) -> ActorList:
    return ActorList(actors=[_actor(site, row) for row in rows], next=next_url)


def actor_profile(site: Site, profile: queries.ActorProfile) -> ActorProfile:
    actor = profile.actor
    base = _actor(site, ActorCount(actor, profile.event_count, 0))
    return ActorProfile(
        **base.model_dump(),
        description=actor.description,
        members=[actor_ref(site, member) for member in actor.members],
        own_event_count=profile.own_event_count,
        first_event=event_ref(site, profile.first_event) if profile.first_event else None,
        last_event=event_ref(site, profile.last_event) if profile.last_event else None,
        counterparts=[
            Counterpart(
                **actor_ref(site, row.actor).model_dump(),
                count=row.count,
                timeline_url=site.list_url(
                    "/", EventFilters(actors=(actor.slug, row.actor.slug), match="all")
                ),
            )
            for row in profile.counterparts
        ],
        events_url=site.list_url("/events.json", EventFilters(actors=(actor.slug,))),
    )


# CSV: one row per event, actors and sources flattened (documented in README.md)

CSV_COLUMNS = (
    "id", "url", "slug", "title", "type", "type_label", "status", "verification", "importance",
    "when", "start_at", "start_local", "start_precision", "start_approximate", "start_text",
    "end_at", "end_local", "end_precision", "end_approximate", "end_text",
    "place_name", "place_lat", "place_lon", "place_timezone",
    "actors", "actor_names", "source_count", "sources", "summary", "published_at", "updated_at",
)  # fmt: skip
_INSTANT = TypeAdapter(datetime)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A value as its JSON has it (times, booleans), bare: null is an empty cell."""
    if value.__class__ is str:  # most cells: tested first, an export has millions
        # A spreadsheet would run "=HYPERLINK(…)" typed into a title: the quote keeps it text.
        return "'" + value if value[:1] in FORMULA_STARTS else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _INSTANT.dump_python(value, mode="json")
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return str(value)


def _source_text(publisher: str, title: str, url: str | None) -> str:
    text = f"{publisher} — {title}"
    return f"{text} <{url}>" if url else text


def _csv_point(at: datetime, precision: str, approximate: bool, zone: ZoneInfo) -> list[Any]:
    """A Point's CSV cells (at, local, precision, approximate, text), built without the model:
    an export writes a million of them."""
    local = at.astimezone(zone).isoformat()
    return [at, local, precision, approximate, format_point(at, precision, approximate, zone)]


def csv_row(site: Site, event: Any, type_label: str, actors: list, sources: list) -> list[str]:
    """One event's cells, as its JSON (full_event) has them: `event` an Event or a row of its
    columns, `actors` (slug, name, role, position), `sources` (publisher, title, url) in order."""
    zone = site.zone
    start = _csv_point(event.start_at, event.start_precision, event.start_approximate, zone)
    if event.end_at is None:
        end: list[Any] = [None] * 5
    else:
        precision = event.end_precision or event.start_precision
        end = _csv_point(event.end_at, precision, event.end_approximate, zone)
    actors = sorted(actors, key=lambda actor: (ROLE_ORDER[actor.role], actor.position))
    values = [
        event.id, site.url(event_path(event)), event.slug, event.title, event.type_slug,
        type_label, event.status, event.verification, event.importance,
        format_span(
            event.start_at, event.start_precision, event.start_approximate,
            event.end_at, event.end_precision, event.end_approximate, zone,
        ),
        *start, *end,
        event.place_name, event.place_lat, event.place_lon, event.timezone,
        "; ".join(f"{actor.slug}:{actor.role}" for actor in actors),
        "; ".join(actor.name for actor in actors),
        len(sources),
        " | ".join(_source_text(s.publisher, s.title, s.url) for s in sources),
        event.summary, event.published_at, event.updated_at,
    ]  # fmt: skip
    return [_cell(value) for value in values]


@dataclass(frozen=True)
class _Linked:
    """An actor of an Event, as event_batches(flat=True) gives it."""

    slug: str
    name: str
    role: str
    position: int


def _flattened(event: models.Event) -> tuple[Any, str, list, list]:
    """An Event (a past view's) as csv_row takes it."""
    actors = [
        _Linked(link.actor.slug, link.actor.name, link.role, link.position)
        for link in event.actor_links
    ]
    return event, event.type.label, actors, [citation.source for citation in event.citations]


def csv_text(site: Site, batches: Iterable[Sequence]) -> Iterator[str]:
    """The CSV file, a header then a chunk per batch: it streams as the batches are read.
    Batches are of event_batches(flat=True): rows, or Events for a past view."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def written() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield written()
    for batch in batches:
        rows = []
        for item in batch:
            if isinstance(item, models.Event):
                event, type_label, actors, sources = _flattened(item)
            else:
                (event, actors, sources), type_label = item, item[0].type_label
            rows.append(csv_row(site, event, type_label, actors, sources))
        writer.writerows(rows)
        yield written()


def csv_filename(view: View, site_title: str) -> str:
    """'brink-calls-involving-france.csv': the view's heading, without its count."""
    heading = describe_view(view, 0).rsplit(" · ", 1)[0]
    return f"{slugify(site_title)}-{slugify(heading)}.csv"
