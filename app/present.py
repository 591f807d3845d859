"""Shaping rows for templates: labels, dates at their precision, links, badges."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.dates import day_heading, format_point, format_span
from app.filters import EventFilters
from app.models import Event, Precision, Status, Verification

ROLE_ORDER = {"initiator": 0, "counterpart": 1, "participant": 2, "subject": 3}
# How a relation reads from each end: "this denial denies X" / "X is denied by this denial".
RELATION_LABELS = {
    "denies": ("Denies", "Denied by"),
    "responds-to": ("Responds to", "Responded to by"),
    "part-of": ("Part of", "Includes"),
    "follows": ("Follows", "Followed by"),
}


def event_path(event: Event) -> str:
    return f"/events/{event.id}/{event.slug}"


@dataclass(frozen=True)
class ActorRole:
    slug: str
    name: str
    role: str

    @property
    def timeline_href(self) -> str:
        return "/?" + EventFilters(actors=(self.slug,)).to_query()


@dataclass(frozen=True)
class Badge:
    label: str
    kind: str


@dataclass(frozen=True)
class Related:
    label: str
    title: str
    path: str
    when: str


@dataclass(frozen=True)
class SourceRef:
    publisher: str
    title: str
    url: str | None
    published: str | None
    quote: str | None


@dataclass(frozen=True)
class EventCard:
    id: int
    path: str
    title: str
    summary: str
    type_slug: str
    type_label: str
    when: str
    when_utc: str | None
    datetime_attr: str
    place: str | None
    actors: list[ActorRole]
    badges: list[Badge]
    source_count: int
    status: str
    verification: str

    @property
    def sources_label(self) -> str:
        return f"{self.source_count} source" + ("" if self.source_count == 1 else "s")


def badges(event: Event) -> list[Badge]:
    shown = []
    if event.status != Status.OCCURRED:
        shown.append(Badge(event.status.capitalize(), f"status-{event.status}"))
    if event.verification != Verification.CONFIRMED:
        shown.append(Badge(event.verification.capitalize(), f"verification-{event.verification}"))
    return shown


def actor_roles(event: Event) -> list[ActorRole]:
    links = sorted(event.actor_links, key=lambda link: (ROLE_ORDER[link.role], link.position))
    return [ActorRole(link.actor.slug, link.actor.name, link.role) for link in links]


def event_card(event: Event, zone: ZoneInfo) -> EventCard:
    timed = event.start_precision in (Precision.MINUTE, Precision.HOUR)
    return EventCard(
        id=event.id,
        path=event_path(event),
        title=event.title,
        summary=event.summary,
        type_slug=event.type_slug,
        type_label=event.type.label,
        when=format_span(
            event.start_at,
            event.start_precision,
            event.start_approximate,
            event.end_at,
            event.end_precision,
            event.end_approximate,
            zone,
        ),
        when_utc=format_point(event.start_at, event.start_precision, False, ZoneInfo("UTC"))
        if timed
        else None,
        # Machine-readable only as far as it is known: a day for day precision, a year for a year.
        datetime_attr=_datetime_attr(event, zone),
        place=event.place_name,
        actors=actor_roles(event),
        badges=badges(event),
        source_count=len(event.citations),
        status=event.status,
        verification=event.verification,
    )


def _datetime_attr(event: Event, zone: ZoneInfo) -> str:
    local = event.start_at.astimezone(zone)
    match event.start_precision:
        case Precision.MINUTE | Precision.HOUR:
            return event.start_at.strftime("%Y-%m-%dT%H:%MZ")
        case Precision.DAY | Precision.WEEK:
            return local.strftime("%Y-%m-%d")
        case Precision.MONTH:
            return local.strftime("%Y-%m")
        case _:
            return local.strftime("%Y")


@dataclass(frozen=True)
class Day:
    heading: str
    events: list[EventCard]


def group_by_day(events: Iterable[Event], zone: ZoneInfo) -> list[Day]:
    """Consecutive events under their day (or their coarser period: 'late December 2021')."""
    days: list[Day] = []
    for event in events:
        heading = day_heading(event.start_at, event.start_precision, event.start_approximate, zone)
        if not days or days[-1].heading != heading:
            days.append(Day(heading, []))
        days[-1].events.append(event_card(event, zone))
    return days


def related_events(event: Event, zone: ZoneInfo) -> list[Related]:
    """Links to and from this event, read from this event's side, published ones only."""
    related = []
    pairs = [(r, r.to_event, 0) for r in event.relations_out]
    pairs += [(r, r.from_event, 1) for r in event.relations_in]
    for relation, other, side in pairs:
        if not other.published:
            continue
        when = format_point(other.start_at, other.start_precision, other.start_approximate, zone)
        label = RELATION_LABELS[relation.relation][side]
        related.append(Related(label, other.title, event_path(other), when))
    return related


def source_refs(event: Event) -> list[SourceRef]:
    refs = []
    for citation in event.citations:
        source = citation.source
        published = source.published_on
        refs.append(
            SourceRef(
                publisher=source.publisher,
                title=source.title,
                url=source.url,
                published=f"{published.day} {published:%b %Y}" if published else None,
                quote=citation.quote,
            )
        )
    return refs


def describe_view(count: int, type_plurals: Sequence[str], actor_names: Sequence[str]) -> str:
    """'Calls involving France · 6 events'."""
    what = " and ".join(type_plurals) or ("Events" if actor_names else "All events")
    what = what[0] + what[1:].lower()
    if actor_names:
        what += " involving " + " and ".join(actor_names)
    noun = "event" if count == 1 else "events"
    return f"{what} · {count} {noun}"
