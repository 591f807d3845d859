"""Shaping rows for templates: labels, dates at their precision, links, badges."""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from markupsafe import Markup

from app.dates import day_heading, format_point, format_span, short_date
from app.filters import EventFilters
from app.models import Actor, ActorKind, Event, EventType, Precision, Status, Verification
from app.queries import ActorCount, ActorProfile, View
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

    @property
    def page_href(self) -> str:
        return f"/actors/{self.slug}"


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
        if other.published:
            related.append(link_to(other, RELATION_LABELS[relation.relation][side], zone))
    return related


def link_to(event: Event, label: str, zone: ZoneInfo) -> Related:
    """A labelled link to another event, with its date."""
    when = format_point(event.start_at, event.start_precision, event.start_approximate, zone)
    return Related(label, event.title, event_path(event), when)


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
    elif not filters.has_filters and not view.actors:
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
        if actor.slug == filters.pinned:
            continue  # its page says whose timeline this is
        rest = tuple(s for s in filters.actors if s != actor.slug)
        shown.append(Chip(f"Actor: {actor.name}", filters.link(actors=rest)))
    if filters.only and view.actors:
        shown.append(Chip("Members left out", filters.link(only=False)))
    if filters.match == "all" and len(view.actors) > 1 and not filters.pinned:
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
    if filters.match == "all" and len(view.actors) > 1 and not filters.pinned:
        options.append(
            WayOut("Show events involving any of these actors", filters.link(match="any"))
        )
    if filters.has_filters:
        pinned = pinned_actor(view)
        label = f"Show all events involving {pinned.name}" if pinned else "Show all events"
        options.append(WayOut(label, filters.path))
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


# Actor pages

KIND_NAMES = {
    ActorKind.STATE: "State",
    ActorKind.PERSON: "Person",
    ActorKind.ORGANISATION: "Organisation",
    ActorKind.AGENCY: "Agency",
}
COUNTERPARTS = 10


def actor_path(slug: str) -> str:
    return f"/actors/{slug}"


def events_label(count: int) -> str:
    return f"{count:,} event" + ("" if count == 1 else "s")


def pinned_actor(view: View) -> Actor | None:
    """The actor whose page this view is on, if it is on one."""
    return next((a for a in view.actors if a.slug == view.filters.pinned), None)


def page_title(view: View, heading: str) -> str:
    """A view's title: its heading; an actor's own page, unfiltered, is simply its name."""
    pinned = pinned_actor(view)
    return pinned.name if pinned and not view.filters.has_filters else heading


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    hint: str = ""


def actor_pages(view: View) -> list[Link]:
    """On the timeline, links to the pages of the actors it is filtered by."""
    if view.filters.pinned:
        return []
    return [Link(actor.name, actor_path(actor.slug)) for actor in view.actors]


@dataclass(frozen=True)
class CountLink:
    """A link to a view, with the number of events it lists."""

    label: str
    href: str
    count: int
    icon: str = ""
    hint: str = ""

    @property
    def count_label(self) -> str:
        return events_label(self.count)


@dataclass(frozen=True)
class EventMark:
    """An event marking a point in an actor's story: its first or its latest."""

    label: str
    title: str
    path: str
    when: str
    datetime_attr: str


@dataclass(frozen=True)
class ActorPage:
    name: str
    kind_label: str
    description_html: Markup
    aliases: list[str]
    parent: Link | None
    members: list[Link]
    event_count: int
    own: CountLink | None  # its own events, when its members' add to them
    by_type: list[CountLink]
    counterparts: list[CountLink]
    marks: list[EventMark]

    @property
    def events_label(self) -> str:
        return events_label(self.event_count)


def _mark(label: str, event: Event, zone: ZoneInfo) -> EventMark:
    when = format_span(
        event.start_at,
        event.start_precision,
        event.start_approximate,
        event.end_at,
        event.end_precision,
        event.end_approximate,
        zone,
    )
    return EventMark(label, event.title, event_path(event), when, _datetime_attr(event, zone))


def actor_page(
    profile: ActorProfile,
    type_totals: dict[str, int],
    types: Sequence[EventType],
    zone: ZoneInfo,
) -> ActorPage:
    """Who an actor is and what it did: kind, parent, members, counts, first and latest event,
    and the actors it shares most events with, each linked to the view it sums up."""
    actor = profile.actor
    own_timeline = EventFilters().pinned_to(actor.slug)
    marks = []
    if profile.first_event is not None and profile.last_event is not None:
        if profile.first_event.id == profile.last_event.id:
            marks.append(_mark("Only event", profile.first_event, zone))
        else:
            marks.append(_mark("First event", profile.first_event, zone))
            marks.append(_mark("Latest event", profile.last_event, zone))
    return ActorPage(
        name=actor.name,
        kind_label=KIND_NAMES.get(ActorKind(actor.kind), actor.kind.capitalize()),
        description_html=markdown_html(actor.description),
        aliases=actor.alias_names,
        parent=Link(actor.parent.name, actor_path(actor.parent.slug)) if actor.parent else None,
        members=[Link(member.name, actor_path(member.slug)) for member in actor.members],
        event_count=profile.event_count,
        own=CountLink("of them its own", own_timeline.link(only=True), profile.own_event_count)
        if profile.own_event_count != profile.event_count
        else None,
        by_type=[
            CountLink(t.plural, own_timeline.link(types=(t.slug,)), type_totals[t.slug], t.slug)
            for t in types
            if type_totals.get(t.slug)
        ],
        counterparts=[
            CountLink(
                row.actor.name,
                EventFilters(actors=(actor.slug, row.actor.slug), match="all").link(),
                row.count,
                hint=row.actor.parent.name if row.actor.parent else "",
            )
            for row in profile.counterparts
        ],
        marks=marks,
    )


@dataclass(frozen=True)
class IndexEntry:
    name: str
    href: str
    count: int
    parent: str
    alias: str  # the alias a filter matched, when the name did not

    @property
    def count_label(self) -> str:
        return events_label(self.count)


@dataclass(frozen=True)
class IndexGroup:
    kind: str
    label: str
    entries: list[IndexEntry]


def _sort_key(name: str) -> str:
    """Names in reading order: 'Élysée' among the Es, whatever the database's collation."""
    letters = unicodedata.normalize("NFKD", name)
    return "".join(c for c in letters if not unicodedata.combining(c)).casefold()


def actor_index_groups(rows: Sequence[ActorCount], text: str) -> list[IndexGroup]:
    """Actors under their kind, by name; with a filter, the alias it matched is shown."""
    needle = text.casefold()

    def entry(row: ActorCount) -> IndexEntry:
        actor = row.actor
        alias = ""
        if needle and needle not in actor.name.casefold():
            alias = next((a for a in actor.alias_names if needle in a.casefold()), "")
        parent = actor.parent.name if actor.parent_id and actor.parent else ""
        return IndexEntry(actor.name, actor_path(actor.slug), row.count, parent, alias)

    groups = []
    for kind, label in KIND_LABELS.items():
        of_kind = [row for row in rows if row.actor.kind == kind]
        of_kind.sort(key=lambda row: (_sort_key(row.actor.name), row.actor.slug))
        if of_kind:
            groups.append(IndexGroup(kind, label, [entry(row) for row in of_kind]))
    return groups


def index_summary(count: int, text: str) -> str:
    """'500 actors', '2 actors matching “put”'."""
    noun = "actor" if count == 1 else "actors"
    if not text:
        return f"{count:,} {noun}"
    if not count:
        return f"No actor’s name or alias contains “{text}”."
    return f"{count:,} {noun} matching “{text}”"
