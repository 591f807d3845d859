"""Shaping rows for templates: labels, dates at their precision, links, badges."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from markupsafe import Markup

from app.dates import day_heading, format_point, format_span, short_date
from app.filters import EventFilters
from app.models import ActorKind, Event, Precision, Status, Verification
from app.queries import ActorCount, View
from app.search import SearchQuery, highlight
from app.templating import markdown_html

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
        return EventFilters(actors=(self.slug,)).link()


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
    title_html: Markup
    summary_html: Markup
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


def event_card(event: Event, zone: ZoneInfo, search: SearchQuery | None = None) -> EventCard:
    timed = event.start_precision in (Precision.MINUTE, Precision.HOUR)
    return EventCard(
        id=event.id,
        path=event_path(event),
        title=event.title,
        title_html=highlight(event.title, search),
        summary_html=highlight(markdown_html(event.summary), search),
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


def group_by_day(
    events: Iterable[Event], zone: ZoneInfo, search: SearchQuery | None = None
) -> list[Day]:
    """Events under their day (or their coarser period: 'late December 2021'), in list order.

    A period that starts at midnight ("around 12 Feb", "week of 7 Feb") sorts among its first
    day's midnight events; those events join their day's group instead of opening a second one
    under the same heading. Only events at the same instant change places."""
    days: dict[str, Day] = {}
    for event in events:
        heading = day_heading(event.start_at, event.start_precision, event.start_approximate, zone)
        heading = heading[:1].upper() + heading[1:]  # "Around week of 7 Feb 2022"
        day = days.setdefault(heading, Day(heading, []))
        day.events.append(event_card(event, zone, search))
    return list(days.values())


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


def _either(words: Sequence[str], joiner: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {joiner} " + words[-1]


def describe_view(view: View, count: int) -> str:
    """What a view shows, as its heading and title: 'Calls involving France · 6 events'."""
    filters = view.filters
    what = _either([t.plural.lower() for t in view.types]) or "events"
    qualities = [_either(filters.statuses), _either(filters.verifications)]
    qualities = [quality for quality in qualities if quality]
    if qualities:
        what = ", ".join(qualities) + " " + what
    elif not filters.has_filters:
        what = "all events"
    if view.actors:
        names = [actor.name for actor in view.actors]
        what += " involving " + _either(names, "and" if filters.match == "all" else "or")
        if filters.only:
            what += " itself" if len(names) == 1 else " themselves"
    if filters.q:
        what += f" matching “{filters.q}”"
    start, end = filters.date_from, filters.date_to
    if start and end:
        what += (
            f" on {short_date(start)}"
            if start == end
            else f" from {short_date(start)} to {short_date(end)}"
        )
    elif start:
        what += f" since {short_date(start)}"
    elif end:
        what += f" until {short_date(end)}"
    noun = "event" if count == 1 else "events"
    return f"{what[0].upper()}{what[1:]} · {count:,} {noun}"


@dataclass(frozen=True)
class Chip:
    """An active filter, with the link that removes it."""

    label: str
    remove_href: str


def chips(view: View) -> list[Chip]:
    filters = view.filters
    shown: list[Chip] = []
    for actor in view.actors:
        rest = tuple(s for s in filters.actors if s != actor.slug)
        shown.append(Chip(f"Actor: {actor.name}", filters.link(actors=rest)))
    if filters.only and view.actors:
        shown.append(Chip("Members left out", filters.link(only=False)))
    if filters.match == "all" and len(view.actors) > 1:
        shown.append(Chip("All of these actors together", filters.link(match="any")))
    for event_type in view.types:
        rest = tuple(s for s in filters.types if s != event_type.slug)
        shown.append(Chip(f"Type: {event_type.label}", filters.link(types=rest)))
    for status in filters.statuses:
        rest = tuple(s for s in filters.statuses if s != status)
        shown.append(Chip(f"Status: {status.capitalize()}", filters.link(statuses=rest)))
    for verification in filters.verifications:
        rest = tuple(v for v in filters.verifications if v != verification)
        label = f"Verification: {verification.capitalize()}"
        shown.append(Chip(label, filters.link(verifications=rest)))
    if filters.q:
        shown.append(Chip(f"Search: {filters.q}", filters.link(q="")))
    if filters.date_from:
        shown.append(Chip(f"From {short_date(filters.date_from)}", filters.link(date_from=None)))
    if filters.date_to:
        shown.append(Chip(f"To {short_date(filters.date_to)}", filters.link(date_to=None)))
    return shown


@dataclass(frozen=True)
class WayOut:
    label: str
    href: str


def ways_out(view: View, active: Sequence[Chip]) -> list[WayOut]:
    """For an empty view: one-click ways to a view that has events."""
    filters = view.filters
    options: list[WayOut] = []
    if filters.date_from or filters.date_to:
        options.append(
            WayOut(
                "Widen the dates to the whole crisis", filters.link(date_from=None, date_to=None)
            )
        )
    if active and active[-1].remove_href not in {option.href for option in options}:
        options.append(WayOut(f"Drop the last filter ({active[-1].label})", active[-1].remove_href))
    if filters.match == "all" and len(view.actors) > 1:
        options.append(
            WayOut("Show events involving any of these actors", filters.link(match="any"))
        )
    if filters.has_filters:
        options.append(WayOut("Show all events", "/"))
    return options


@dataclass(frozen=True)
class Option:
    """One choice in a facet: its value, label, how many events it gives, and whether chosen."""

    value: str
    label: str
    count: int
    selected: bool
    hint: str = ""


@dataclass(frozen=True)
class ActorGroup:
    kind: str
    label: str
    options: list[Option]
    more: int  # actors of this kind with events here but not shown: the type-ahead finds them


KIND_LABELS = {
    ActorKind.STATE: "States",
    ActorKind.PERSON: "People",
    ActorKind.ORGANISATION: "Organisations",
    ActorKind.AGENCY: "Agencies",
}


def vocabulary_options(
    values: Sequence[str], counts: dict[str, int], chosen: Sequence[str]
) -> list[Option]:
    return [Option(v, v.capitalize(), counts.get(v, 0), v in chosen) for v in values]


def actor_option(row: ActorCount, chosen: Sequence[str]) -> Option:
    parent = row.actor.parent.name if row.actor.parent_id and row.actor.parent else ""
    return Option(row.actor.slug, row.actor.name, row.count, row.actor.slug in chosen, parent)


def actor_groups(rows: Sequence[ActorCount], chosen: Sequence[str]) -> list[ActorGroup]:
    groups = []
    for kind, label in KIND_LABELS.items():
        of_kind = [row for row in rows if row.actor.kind == kind]
        if of_kind:
            options = [actor_option(row, chosen) for row in of_kind]
            groups.append(ActorGroup(kind, label, options, of_kind[0].others_of_kind))
    return groups
