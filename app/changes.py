"""Time on the timeline, for readers: what changed since a moment (`?since=`, /changes), and the
banner and links of the timeline as it stood at one (`?as_of=`, app/as_of.py)."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload
from starlette.datastructures import QueryParams

from app import history, present
from app.filters import EventFilters, moment_text
from app.models import Event, Revision
from app.queries import View, conditions

DEFAULT_SINCE = timedelta(hours=24)
MAX_CHANGES = 200  # a page of changes; the timeline with ?since= lists every event concerned
PRESETS = (("Last hour", timedelta(hours=1)), ("Last 24 hours", DEFAULT_SINCE),
           ("Last 7 days", timedelta(days=7)))  # fmt: skip


def moment(at: datetime, zone: ZoneInfo) -> str:
    """'13 Feb 2022, 09:12 EET'."""
    return history.moment(at, zone)


# Since a moment


def since_marks(session: Session, view: View, events: Sequence[Event]) -> dict[int, str]:
    """With `since`, each listed event marked 'New' (published since), 'Corrected', or
    'Updated' (its status changed, nothing else): one query."""
    since = view.since
    if since is None or not events:
        return {}
    marks = {e.id: "New" for e in events if e.published_at and e.published_at > since}
    query = select(Revision.entity_id, Revision.changes).where(
        Revision.entity == "event",
        Revision.public.is_(True),
        Revision.created_at > since,
        Revision.entity_id.in_([e.id for e in events if e.id not in marks]),
    )
    if view.as_of is not None:
        query = query.where(Revision.created_at <= view.as_of)
    for event_id, changed in session.execute(query):
        status_changed = any(change["field"] == "status" for change in changed)
        if marks.get(event_id) != "Corrected":
            marks[event_id] = "Updated" if status_changed else "Corrected"
    return marks


def since_chip(view: View) -> present.Chip | None:
    """The `since` filter as a removable chip."""
    if view.since is None:
        return None
    label = f"Published or corrected since {moment(view.since, view.zone)}"
    return present.Chip(label, view.filters.link(since=None))


@dataclass(frozen=True)
class Change:
    """One change on the 'what changed' page."""

    kind: str  # "added", "corrected", "updated" (a change of status)
    label: str
    when: str
    datetime_attr: str
    title: str
    path: str
    text: str
    note: str
    at: datetime


@dataclass(frozen=True)
class Changes:
    at: datetime  # since when
    since: str  # '13 Feb 2022, 09:12 EET'
    changes: list[Change]
    total: int  # more than len(changes) when cut at MAX_CHANGES
    counts: dict[str, int]  # by kind, of those listed

    @property
    def summary(self) -> str:
        words = {"added": "addition", "corrected": "correction", "updated": "status change"}
        parts = []
        for kind, word in words.items():
            count = self.counts.get(kind, 0)
            if count:
                parts.append(f"{count:,} {word}{'' if count == 1 else 's'}")
        return ", ".join(parts) or "Nothing"


def changes_since(session: Session, view: View, zone: ZoneInfo) -> Changes:
    """Additions (publications), corrections and changes of status since `view.since`, newest
    first, of the events the view lists: a fixed number of queries."""
    since = view.since
    assert since is not None
    selected = conditions(view)
    added = session.scalars(
        select(Event)
        .where(*selected, Event.published_at > since)
        .order_by(Event.published_at.desc(), Event.id.desc())
        .limit(MAX_CHANGES)
        .options(joinedload(Event.type))
    ).all()
    public = select(Revision).where(
        Revision.entity == "event",
        Revision.public.is_(True),
        Revision.created_at > since,
        Revision.entity_id.in_(select(Event.id).where(*selected)),
    )
    revisions = session.scalars(
        public.order_by(Revision.created_at.desc(), Revision.id.desc()).limit(MAX_CHANGES)
    ).all()
    revised_ids = {revision.entity_id for revision in revisions}
    events = {event.id: event for event in added}
    missing = revised_ids - set(events)
    if missing:
        events.update(
            {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(missing)))}
        )
    count_added = (
        select(func.count()).select_from(Event).where(*selected, Event.published_at > since)
    )
    total = (session.scalar(count_added) or 0) + (
        session.scalar(select(func.count()).select_from(public.subquery())) or 0
    )
    listed = [_added(event, zone) for event in added]
    for revision in revisions:
        change = _revised(revision, events[revision.entity_id], zone)
        if change is not None:
            listed.append(change)
    listed.sort(key=lambda change: change.at, reverse=True)
    listed = listed[:MAX_CHANGES]
    counts: dict[str, int] = {}
    for change in listed:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    return Changes(since, moment(since, zone), listed, max(total, len(listed)), counts)


def _datetime_attr(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _added(event: Event, zone: ZoneInfo) -> Change:
    at = event.published_at or event.created_at
    card = present.event_card(event, zone)
    return Change(
        kind="added",
        label="Added",
        when=moment(at, zone),
        datetime_attr=_datetime_attr(at),
        title=event.title,
        path=card.path,
        text=f"{card.type_label}, {card.when}.",
        note="",
        at=at,
    )


def _revised(revision: Revision, event: Event, zone: ZoneInfo) -> Change | None:
    text = history.describe_revision(revision, zone)
    if not text:
        return None
    status_changed = any(change["field"] == "status" for change in revision.changes)
    return Change(
        kind="updated" if status_changed else "corrected",
        label="Status changed" if status_changed else "Corrected",
        when=moment(revision.created_at, zone),
        datetime_attr=_datetime_attr(revision.created_at),
        title=event.title,
        path=present.event_path(event),
        text=text,
        note=revision.note,
        at=revision.created_at,
    )


@dataclass(frozen=True)
class Preset:
    label: str
    href: str
    current: bool


def presets(filters: EventFilters, since: datetime | None, now: datetime) -> list[Preset]:
    """Links to the last hour, day and week of changes, in this view."""
    shown = []
    for label, span in PRESETS:
        start = (now - span).replace(second=0, microsecond=0)
        shown.append(Preset(label, filters.link("/changes", since=start), start == since))
    return shown


def default_since(now: datetime) -> datetime:
    return (now - DEFAULT_SINCE).replace(second=0, microsecond=0)


def local_input(at: datetime, zone: ZoneInfo) -> str:
    """A datetime-local field's value: the crisis's local time, to the minute."""
    return at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


# As it stood at a moment


@dataclass(frozen=True)
class Banner:
    """'The timeline as it stood on 13 Feb 2022, 09:12 EET — …', with the way back to now."""

    what: str  # "The timeline", "This event"
    moment: str
    datetime_attr: str
    detail: str
    now_href: str
    note: str = ""


def timeline_banner(view: View) -> Banner | None:
    if view.past is None or view.as_of is None:
        return None
    note = "" if view.past.events else "Nothing had been published yet."
    return Banner(
        what="The timeline",
        moment=moment(view.as_of, view.zone),
        datetime_attr=_datetime_attr(view.as_of),
        detail="later events are hidden and later edits undone.",
        now_href=view.filters.link(as_of=None, around=view.filters.around),
        note=note,
    )


def event_banner(at: datetime, zone: ZoneInfo, now_href: str) -> Banner:
    detail = "later edits are undone."
    return Banner("This event", moment(at, zone), _datetime_attr(at), detail, now_href)


def time_inputs(filters: EventFilters) -> list[tuple[str, str]]:
    """`since` and `as_of` as hidden fields of the filter form: changing a filter keeps them."""
    pairs = [("since", filters.since), ("as_of", filters.as_of)]
    return [(name, moment_text(value)) for name, value in pairs if value is not None]


def at_moment(href: str, as_of: datetime) -> str:
    """A link to a timeline, actor or event page, pointed at the same moment."""
    href, hash_mark, fragment = href.partition("#")
    path, _, query = href.partition("?")
    filters = EventFilters.from_query(QueryParams(query))
    query = filters.to_query(as_of=as_of)
    return f"{path}?{query}{hash_mark}{fragment}"


@dataclass(frozen=True)
class ActorThen(present.ActorRole):
    """An actor of an event as it stood: its links keep the moment."""

    as_of: datetime | None = None

    @property
    def timeline_href(self) -> str:
        return EventFilters(actors=(self.slug,), as_of=self.as_of).link()

    @property
    def page_href(self) -> str:
        return at_moment(present.actor_path(self.slug), self.as_of) if self.as_of else ""


def card_then(card: present.EventCard, as_of: datetime) -> present.EventCard:
    """An event card whose links keep the moment."""
    return replace(card, path=at_moment(card.path, as_of), actors=actors_then(card.actors, as_of))


def days_then(days: list[present.Day], as_of: datetime) -> list[present.Day]:
    return [present.Day(day.heading, [card_then(c, as_of) for c in day.events]) for day in days]


def profile_then(profile: present.ActorPage, as_of: datetime) -> present.ActorPage:
    """An actor's profile whose links keep the moment."""

    def link(item: present.Link) -> present.Link:
        return replace(item, href=at_moment(item.href, as_of))

    def count(item: present.CountLink) -> present.CountLink:
        return replace(item, href=at_moment(item.href, as_of))

    return replace(
        profile,
        parent=link(profile.parent) if profile.parent else None,
        members=[link(member) for member in profile.members],
        own=count(profile.own) if profile.own else None,
        by_type=[count(item) for item in profile.by_type],
        counterparts=[count(item) for item in profile.counterparts],
        marks=[replace(mark, path=at_moment(mark.path, as_of)) for mark in profile.marks],
    )


def actors_then(roles: list[present.ActorRole], as_of: datetime) -> list[present.ActorRole]:
    return [ActorThen(role.slug, role.name, role.role, as_of) for role in roles]


def related_then(item: present.Related, as_of: datetime) -> present.Related:
    return replace(item, path=at_moment(item.path, as_of))
