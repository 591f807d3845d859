"""Every read: plain functions, a session and a view in, rows out.

A `View` is the filters checked against the database. `conditions()` turns it into SQL once; the
page, the total, every facet and every data format select with those same conditions, which is
why a facet count always equals the length of the list it leads to.
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Engine,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    distinct,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from app import search
from app.dates import instant, short_date
from app.filters import Cursor, EventFilters
from app.models import (
    Actor,
    ActorAlias,
    ActorFormerSlug,
    ActorMember,
    Citation,
    Event,
    EventActor,
    EventCount,
    EventMonthCount,
    EventRelation,
    EventType,
    Revision,
    Source,
)

if TYPE_CHECKING:
    from app.as_of import Past

PAGE_SIZE = 50
AROUND_BEFORE = 10  # events shown above the one a reader was sent to
# A view with more events than this is paged by walking the timeline index and testing each
# event against the filters (about PAGE_SIZE × all events ÷ the view's events steps); a
# smaller one by fetching its events and sorting them. Both cost little either side of it.
WALK_FROM = 2_000
ACTORS_PER_KIND = 6  # the most active of each kind; the type-ahead finds the rest
SUGGESTIONS = 10


def has_events(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(Event.id).limit(1)) is not None


def event_types(session: Session) -> Sequence[EventType]:
    return session.scalars(select(EventType).order_by(EventType.position)).all()


def actors_by_slug(session: Session, slugs: Sequence[str]) -> dict[str, Actor]:
    """The actors these slugs name, by the slug asked for: a former slug finds its actor (whose
    `slug` is the current one); a current slug wins over another actor's former one."""
    if not slugs:
        return {}
    asked = union_all(
        select(Actor.slug.label("asked"), Actor.id.label("actor_id")).where(Actor.slug.in_(slugs)),
        select(ActorFormerSlug.slug, ActorFormerSlug.actor_id).where(
            ActorFormerSlug.slug.in_(slugs)
        ),
    ).subquery()
    found: dict[str, Actor] = {}
    rows = session.execute(select(asked.c.asked, Actor).join(Actor, Actor.id == asked.c.actor_id))
    for slug, actor in rows:
        if slug == actor.slug or slug not in found:
            found[slug] = actor
    return found


@dataclass(frozen=True)
class View:
    """Filters checked against the database (unknown slugs dropped with a notice), with what the
    SQL needs to apply them: the actors' ids, the crisis zone for dates, the database dialect."""

    filters: EventFilters
    actors: list[Actor]
    types: list[EventType]
    all_types: Sequence[EventType]
    zone: ZoneInfo
    dialect: str
    # The timeline as it stood at `as_of` (app/as_of.py), loaded once: what the queries below
    # read instead of the events table.
    past: "Past | None" = None

    @property
    def actor_ids(self) -> list[int]:
        return [actor.id for actor in self.actors]

    @property
    def as_of(self) -> datetime | None:
        """`as_of` as an instant (a naive time is in the crisis's zone)."""
        return instant(self.filters.as_of, self.zone) if self.filters.as_of else None

    @property
    def since(self) -> datetime | None:
        return instant(self.filters.since, self.zone) if self.filters.since else None

    def with_notice(self, notice: str) -> "View":
        return replace(self, filters=self.filters.with_notice(notice))


def resolve_view(session: Session, filters: EventFilters, zone: ZoneInfo) -> View:
    known_actors = actors_by_slug(session, filters.actors)
    all_types = event_types(session)
    known_types = {t.slug: t for t in all_types}
    notices = list(filters.notices)
    notices += [
        f"There is no actor {s!r}; it was left out."
        for s in filters.actors
        if s not in known_actors
    ]
    notices += [
        f"There is no event type {s!r}; it was left out."
        for s in filters.types
        if s not in known_types
    ]
    # By current slug, once each: ?actor=<former slug> is the actor under its new slug.
    chosen = {known_actors[s].slug: known_actors[s] for s in filters.actors if s in known_actors}
    cleaned = replace(
        filters,
        actors=tuple(chosen),
        types=tuple(t.slug for t in all_types if t.slug in filters.types),
        notices=tuple(notices),
    )
    view = View(
        filters=cleaned,
        actors=list(chosen.values()),
        types=[known_types[s] for s in cleaned.types],
        all_types=all_types,
        zone=zone,
        dialect=session.get_bind().dialect.name,
    )
    return _in_time(session, view)


def _in_time(session: Session, view: View) -> View:
    """`since` and `as_of` checked against the clock; for `as_of`, the past it shows, loaded."""
    filters = view.filters
    now = datetime.now(UTC)
    if view.as_of is not None and view.as_of > now:
        notice = "as_of is in the future: this is the timeline now."
        view = replace(view, filters=replace(filters, as_of=None).with_notice(notice))
    end = view.as_of or now
    if view.since is not None and view.since >= end:
        notice = f"since is not before {'as_of' if view.as_of else 'now'}: showing every event."
        view = replace(view, filters=replace(view.filters, since=None).with_notice(notice))
    if view.as_of is None:
        return view
    from app.as_of import Past  # it builds on this module

    return replace(view, past=Past(session, view, view.as_of))


def _members(actor_ids: Sequence[int]) -> Select[tuple[int]]:
    """These actors and everything below them: Russia → the Kremlin, Putin, Lavrov…"""
    return select(ActorMember.member_id).where(ActorMember.actor_id.in_(actor_ids))


def _involving(actor_ids: Sequence[int], only: bool, walk: bool) -> ColumnElement[bool]:
    actors = list(actor_ids) if only else _members(actor_ids)
    links = select(EventActor.event_id).where(EventActor.actor_id.in_(actors))
    if walk:  # each event of the walk looked up by its own links, not all the actors' links
        return links.where(EventActor.event_id == Event.id).exists()
    return Event.id.in_(links)


def conditions(
    view: View, skip: str | None = None, walk: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE clause of a view; `skip` leaves one facet's own filter out, so that its counts
    say what each of its options would give under all the other filters. `walk`: the
    planner should walk the timeline in order and test each event, not start from the events
    an actor or a word selects (see WALK_FROM)."""
    filters = view.filters
    # `id + 0` is the same number, but no index on it can drive the plan.
    event_id: ColumnElement[int] = Event.id + 0 if walk else Event.id
    where: list[ColumnElement[bool]] = [Event.published.is_(True)]
    if view.actors and skip != "actor":
        if filters.match == "all":
            where += [_involving([actor_id], filters.only, walk) for actor_id in view.actor_ids]
        else:
            where.append(_involving(view.actor_ids, filters.only, walk))
    if filters.types and skip != "type":
        where.append(Event.type_slug.in_(filters.types))
    if filters.statuses and skip != "status":
        where.append(Event.status.in_(filters.statuses))
    if filters.verifications and skip != "verification":
        where.append(Event.verification.in_(filters.verifications))
    if filters.date_to:
        where.append(Event.start_at < instant(filters.date_to + timedelta(days=1), view.zone))
    if filters.date_from:
        # A range (a ten-day drill) belongs to every day it overlaps.
        since = instant(filters.date_from, view.zone)
        where.append(or_(Event.start_at >= since, Event.end_at >= since))
        # The same, as a bound the timeline index can seek to: nothing starts before the
        # earliest range still running at `since` (or `since` itself, if none began earlier).
        running = select(func.min(Event.start_at)).where(Event.end_at >= since).scalar_subquery()
        bound = case((running < since, running), else_=literal(since, Event.start_at.type))
        where.append(Event.start_at >= bound)
    if filters.search:
        where.append(event_id.in_(search.matching_ids(filters.search, view.dialect)))
    since = view.since
    if since is not None:
        where.append(or_(Event.published_at > since, Event.id.in_(corrected_since(since))))
    return where


def corrected_since(since: datetime) -> Select[tuple[int]]:
    """Events with a public revision (a correction or a change of status) after `since`."""
    return select(Revision.entity_id).where(
        Revision.entity == "event", Revision.public.is_(True), Revision.created_at > since
    )


# Counts added up from event_counts (app/counting.py), not counted from the events


def tally(
    session: Session,
    view: View,
    skip: str | None,
    *,
    every_actor: bool = False,
    months: bool = True,
) -> Subquery | None:
    """A view's rows of the kept counts (app/counting.py), with the columns of EventCount:
    whole months of its span from event_month_counts (with `months`), the days around them
    from event_counts. `every_actor`: every actor's rows, for the actor facet. None when the
    view's counts cannot be added up from them: a word, `since`, a moment (as_of), own events
    only, several actors, or counts kept in another zone. Ranges under way at `from` began on
    days before it: `running` has them."""
    filters = view.filters
    if (
        session.info.get("counts_zone") != view.zone.key
        or view.past is not None
        or filters.search
        or view.since is not None
        or filters.only
        or (len(view.actors) > 1 and skip != "actor" and not every_actor)
    ):
        return None
    parts = []
    for table, first, last in _spans(filters.date_from, filters.date_to, months):
        where: list[ColumnElement[bool]] = []
        if every_actor:
            where.append(table.actor_id != 0)
        elif view.actors and skip != "actor":
            where.append(table.actor_id == view.actors[0].id)
        else:
            where.append(table.actor_id == 0)
        if filters.types and skip != "type":
            where.append(table.type_slug.in_(filters.types))
        if filters.statuses and skip != "status":
            where.append(table.status.in_(filters.statuses))
        if filters.verifications and skip != "verification":
            where.append(table.verification.in_(filters.verifications))
        if first is not None:
            where.append(table.day >= first)
        if last is not None:
            where.append(table.day <= last)
        columns = [getattr(table, column.key) for column in EventCount.__table__.columns]
        parts.append(select(*columns[1:]).where(*where))  # not the id
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


def _spans(
    first: date | None, last: date | None, months: bool
) -> list[tuple[type[EventCount] | type[EventMonthCount], date | None, date | None]]:
    """The counts tables covering the days first…last (either open): the whole months in it
    by month, the days before and after them by day."""
    if not months:
        return [(EventCount, first, last)]
    # The first whole month starts at `first` or the month after; the last ends at `last`.
    month_from = first if first is None or first.day == 1 else _next_month(first)
    after = None if last is None else last + timedelta(days=1)
    month_to = after if after is None or after.day == 1 else after.replace(day=1)  # exclusive
    if month_from is not None and month_to is not None and month_from >= month_to:
        return [(EventCount, first, last)]  # no whole month
    spans: list = [
        (EventMonthCount, month_from, None if month_to is None else month_to - timedelta(days=1))
    ]
    if first is not None and month_from is not None and first < month_from:
        spans.append((EventCount, first, month_from - timedelta(days=1)))
    if last is not None and month_to is not None and month_to <= last:
        spans.append((EventCount, month_to, last))
    return spans


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def running(view: View, skip: str | None) -> list[ColumnElement[bool]]:
    """The events of a view that event_counts has on days before its `from`: ranges that began
    earlier and are still under way (a few thousand at a million events)."""
    assert view.filters.date_from is not None
    since = instant(view.filters.date_from, view.zone)
    undated = replace(view, filters=replace(view.filters, date_from=None, date_to=None))
    # Began before `from` (so before `to`) and ends after it; each event tested (walk: its
    # actors looked up by its links).
    return [*conditions(undated, skip, walk=True), overlapping(view, since, since)]


def overlapping(view: View, since: datetime, until: datetime) -> ColumnElement[bool]:
    """Ranges ending at or after `since` that began before `until`: found through
    ix_events_end_start (a few thousand at a million events)."""
    if view.dialect != "sqlite":
        return and_(Event.end_at >= since, Event.start_at < until)
    # SQLite, without histograms, would rather read every range by its start: the ids come
    # from the index (`+start_at` is no index's), then each event is read.
    began = unindexed(Event.start_at, view.dialect)
    return Event.id.in_(select(Event.id).where(Event.end_at >= since, began < until))


def unindexed(column: ColumnElement, dialect: str) -> ColumnElement:
    """The column, as a term no index can serve on SQLite (`+column`): without histograms its
    planner may pick an index on it that reads far more than the one wanted."""
    if dialect != "sqlite":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _tally(
    session: Session, view: View, skip: str | None, columns: Sequence[str]
) -> list[tuple] | None:
    """(*columns, events) of a view's events grouped by these columns (of both EventCount and
    Event), added up from the kept counts; None when they cannot be (`tally`)."""
    rows = tally(session, view, skip)
    if rows is None:
        return None
    kept = [rows.c[name] for name in columns]
    query = select(*kept, func.sum(rows.c.events))
    totals: Counter[tuple] = Counter()
    for *key, n in remembered(session, query.group_by(*kept) if kept else query):
        totals[tuple(key)] += n or 0
    if view.filters.date_from:
        counted = [getattr(Event, name) for name in columns]
        query = select(*counted, func.count()).where(*running(view, skip))
        for *key, n in remembered(session, query.group_by(*counted) if counted else query):
            totals[tuple(key)] += n
    return [(*key, n) for key, n in totals.items() if n or not columns]


# The list


@dataclass(frozen=True)
class Page:
    events: Sequence[Event]
    total: int
    next_cursor: Cursor | None
    previous_cursor: Cursor | None
    around: int | None  # the event the page was opened at, found in this view


def _sort_key(view: View) -> list[ColumnElement]:
    order = view.filters.order
    columns: list[ColumnElement] = [Event.start_at, Event.id]
    if order == "relevance" and view.filters.search:
        columns.insert(0, search.rank(view.filters.search, view.dialect))
    return columns


def _after(view: View, key: list[ColumnElement], cursor: Cursor) -> ColumnElement[bool]:
    """Rows strictly beyond the cursor in the direction of travel."""
    values = [cursor.start_at, cursor.event_id]
    if len(key) == 3:
        values.insert(0, cursor.rank)
    descending = view.filters.order != "oldest"
    forward = cursor.direction == "after"
    bound = tuple_(*[literal(v, k.type) for v, k in zip(values, key, strict=True)])
    return tuple_(*key) < bound if descending == forward else tuple_(*key) > bound


def _ordered(query: Select, view: View, key: list[ColumnElement], forward: bool) -> Select:
    descending = (view.filters.order != "oldest") == forward
    return query.order_by(*[k.desc() if descending else k.asc() for k in key])


# What a list loads with its events, one query each whatever the list's length.
_LISTED = (joinedload(Event.type), selectinload(Event.actor_links).joinedload(EventActor.actor))
_WITH_SOURCES = selectinload(Event.citations).joinedload(Citation.source)
_WITH_RELATED = (
    selectinload(Event.relations_out).joinedload(EventRelation.to_event),
    selectinload(Event.relations_in).joinedload(EventRelation.from_event),
)


def _cursor_at(view: View, direction: str, row: Sequence) -> Cursor:
    """A cursor from a row that starts with the sort key: ([rank,] start_at, id)."""
    rank = row[0] if len(row) == 3 else 0
    return Cursor(view.filters.order, direction, row[-2], row[-1], rank)


def _around_cursor(
    session: Session, view: View, key: list[ColumnElement]
) -> tuple[View, Cursor | None, int | None]:
    """Where to start a page so the event asked for sits near its top, with a few before it."""
    event_id = view.filters.around
    where = conditions(view)
    target = session.execute(select(*key).where(Event.id == event_id, *where)).first()
    if target is None:
        exists = session.scalar(
            select(Event.id).where(Event.id == event_id, Event.published.is_(True))
        )
        notice = (
            f"Event {event_id} is not among the events of this view."
            if exists
            else f"There is no event {event_id}."
        )
        return view.with_notice(notice), None, None
    before = _ordered(select(*key).where(*where), view, key, forward=False)
    before = before.where(_after(view, key, _cursor_at(view, "before", target)))
    rows = session.execute(before.limit(AROUND_BEFORE + 1)).all()
    if len(rows) <= AROUND_BEFORE:
        return view, None, event_id
    return view, _cursor_at(view, "after", rows[-1]), event_id


def events_page(
    session: Session, view: View, *, full: bool = False, total: int | None = None
) -> tuple[View, Page]:
    """One page of a view, with everything a list shows loaded in a fixed number of queries
    (`full`: also each event's sources and related events, as the data formats give them).
    `total`: the view's count when the caller has it already (`view_counts`)."""
    if view.past is not None:
        return view.past.page(view)
    key = _sort_key(view)
    cursor, around = view.filters.cursor, None
    if view.filters.around is not None:
        view, cursor, around = _around_cursor(session, view, key)
    forward = cursor is None or cursor.direction == "after"
    total = count_events(session, view) if total is None else total
    walk = total > WALK_FROM and len(key) == 2  # not by relevance: no index has that order
    query = select(Event, *key).where(*conditions(view, walk=walk))
    if cursor is not None:
        query = query.where(_after(view, key, cursor))
    query = _ordered(query, view, key, forward).limit(PAGE_SIZE + 1)
    if full:
        query = query.options(*_LISTED, _WITH_SOURCES, *_WITH_RELATED)
    else:
        query = query.options(*_LISTED, selectinload(Event.citations))
    rows = session.execute(query).unique().all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if not forward:
        rows.reverse()
    keys = [tuple(row)[1:] for row in rows]
    has_next = more if forward else True
    has_previous = cursor is not None if forward else more
    page = Page(
        events=[row[0] for row in rows],
        total=total,
        next_cursor=_cursor_at(view, "after", keys[-1]) if rows and has_next else None,
        previous_cursor=_cursor_at(view, "before", keys[0]) if rows and has_previous else None,
        around=around,
    )
    return view, page


def count_events(session: Session, view: View) -> int:
    if view.past is not None:
        return len(view.past.matching(view))
    tallied = _tally(session, view, None, [])
    if tallied is not None:
        return tallied[0][0]
    query = select(func.count()).select_from(Event).where(*conditions(view))
    return remembered(session, query)[0][0]


def event_batches(
    session: Session, view: View, size: int = 500, *, flat: bool = False
) -> Iterator[Sequence]:
    """Every event of a view (not a page: its cursor and `around` are ignored), in list order,
    with actors and sources, a batch at a time: an export never holds more than one batch.

    `flat` (the CSV): each event as (row, actors, sources) read as plain rows, not objects, three
    statements a batch: the row has the event's columns and `type_label`, actors are (slug,
    name, role, position), sources (publisher, title, url) in citation order. An ORM load
    costs several times the CSV writing it feeds. A past view (as_of) gives events either way."""
    view = replace(view, filters=replace(view.filters, cursor=None, around=None))
    if view.past is not None:
        yield from view.past.batches(view, size)
        return
    key = _sort_key(view)
    if flat:
        columns = [*Event.__table__.columns, EventType.label.label("type_label")]
        query = select(*columns, *key).join(EventType, EventType.slug == Event.type_slug)
    else:
        query = select(Event, *key).options(*_LISTED, _WITH_SOURCES)
    # As a page is (WALK_FROM): each batch is a page of the same size of view.
    walk = len(key) == 2 and count_events(session, view) > WALK_FROM
    query = query.where(*conditions(view, walk=walk))
    width = len(query.selected_columns) - len(key)
    cursor = None
    while True:
        batch = query if cursor is None else query.where(_after(view, key, cursor))
        result = session.execute(_ordered(batch, view, key, True).limit(size))
        rows = result.all() if flat else result.unique().all()
        if rows and flat:
            yield _flat_batch(session, rows)
        elif rows:
            yield [row[0] for row in rows]
        if len(rows) < size:
            return
        cursor = _cursor_at(view, "after", tuple(rows[-1])[width:])


def _flat_batch(session: Session, rows: Sequence) -> list[tuple]:
    """event_batches(flat=True): these event rows with their actors and sources."""
    ids = [row.id for row in rows]
    actors: dict[int, list] = {id_: [] for id_ in ids}
    links = session.execute(
        select(EventActor.event_id, Actor.slug, Actor.name, EventActor.role, EventActor.position)
        .join(Actor, Actor.id == EventActor.actor_id)
        .where(EventActor.event_id.in_(ids))
    )
    for link in links:
        actors[link.event_id].append(link)
    sources: dict[int, list] = {id_: [] for id_ in ids}
    cited = session.execute(
        select(Citation.event_id, Source.publisher, Source.title, Source.url)
        .join(Source, Source.id == Citation.source_id)
        .where(Citation.event_id.in_(ids))
        .order_by(Citation.event_id, Citation.position)
    )
    for citation in cited:
        sources[citation.event_id].append(citation)
    return [(row, actors[row.id], sources[row.id]) for row in rows]


def newest_events(session: Session, view: View, limit: int) -> Sequence[Event]:
    """The latest few events of a view, with their types: what its preview card lists."""
    if view.past is not None:
        newest = replace(view, filters=replace(view.filters, order="newest"))
        return view.past.events_by_id([e.id for e in view.past.ordered(newest)[:limit]])
    query = (
        select(Event)
        .where(*conditions(view))
        .order_by(Event.start_at.desc(), Event.id.desc())
        .limit(limit)
        .options(joinedload(Event.type))
    )
    return session.scalars(query).all()


def newest_published(session: Session, view: View, limit: int) -> Sequence[Event]:
    """The events of a view that appeared on the timeline last, latest first (a feed), with
    what an entry shows. Publication order, whatever the view's `order`."""
    query = (
        select(Event)
        .where(*conditions(view))
        .order_by(Event.published_at.desc(), Event.id.desc())
        .limit(limit)
        .options(*_LISTED, selectinload(Event.citations))
    )
    return session.scalars(query).all()


def public_revisions(session: Session, event_ids: Sequence[int]) -> dict[int, list[Revision]]:
    """The public logs (corrections, changes of status) of several events, each oldest first:
    one query for a whole feed, where `editing.corrections` reads one event's."""
    query = (
        select(Revision)
        .where(Revision.entity == "event", Revision.entity_id.in_(event_ids), Revision.public)
        .order_by(Revision.entity_id, Revision.version)
    )
    logs: dict[int, list[Revision]] = {}
    for revision in session.scalars(query) if event_ids else ():
        logs.setdefault(revision.entity_id, []).append(revision)
    return logs


def last_update(session: Session) -> datetime | None:
    """When a published event last changed: what an empty feed says it was updated."""
    return session.scalar(select(func.max(Event.updated_at)).where(Event.published.is_(True)))


def type_totals(session: Session, view: View) -> dict[str, int]:
    """Events of a view by type (their sum is the view's count)."""
    if view.past is not None:
        return view.past.counts(view, "type_slug", None)
    tallied = _tally(session, view, None, ["type_slug"])
    if tallied is None:
        query = select(Event.type_slug, func.count()).where(*conditions(view))
        tallied = remembered(session, query.group_by(Event.type_slug))
    return {slug: count for slug, count in tallied}


# Facets


def _counts_by(
    session: Session, view: View, column: ColumnElement[str], skip: str
) -> dict[str, int]:
    if view.past is not None:
        return view.past.counts(view, column.key, skip)
    tallied = _tally(session, view, skip, [column.key])
    if tallied is None:
        query = select(column, func.count()).where(*conditions(view, skip)).group_by(column)
        tallied = remembered(session, query)
    return {value: count for value, count in tallied}


@dataclass(frozen=True)
class Counts:
    """A view's total, and its type, status and verification facets (each counted without its
    own filter: what each option would give under all the other filters)."""

    total: int
    types: dict[str, int]
    statuses: dict[str, int]
    verifications: dict[str, int]


# The facets counted in one GROUP BY, by the name of their filter (`conditions`' skip).
_FACETS = {"type": Event.type_slug, "status": Event.status, "verification": Event.verification}


def view_counts(session: Session, view: View) -> Counts:
    """One pass over the view's events grouped by type, status and verification gives the
    total and every facet whose own filter is unset; each facet whose filter is set costs one
    more (its counts leave its own filter out)."""
    chosen = {
        "type": view.filters.types,
        "status": view.filters.statuses,
        "verification": view.filters.verifications,
    }
    if view.past is not None:
        grouped: list = []
        total = count_events(session, view)
    else:
        tallied = _tally(session, view, None, [column.key for column in _FACETS.values()])
        if tallied is not None:
            grouped = tallied
        else:
            columns = list(_FACETS.values())
            query = select(*columns, func.count()).where(*conditions(view)).group_by(*columns)
            grouped = remembered(session, query)
        total = sum(row[-1] for row in grouped)
    facets: dict[str, dict[str, int]] = {}
    for position, (name, column) in enumerate(_FACETS.items()):
        if chosen[name] or view.past is not None:
            facets[name] = _counts_by(session, view, column, name)
            continue
        counted: dict[str, int] = {}
        for row in grouped:
            counted[row[position]] = counted.get(row[position], 0) + row[-1]
        facets[name] = counted
    return Counts(total, facets["type"], facets["status"], facets["verification"])


@dataclass(frozen=True)
class ActorCount:
    actor: Actor
    count: int
    others_of_kind: int  # how many more actors of this kind have events here


def _actor_event_counts(session: Session, view: View) -> Select:
    """(actor id, events it would select under the other filters), for every actor with any.
    With members included an actor counts its members' events, each event once."""
    # Under match=all the other chosen actors stay: the choice adds one more to the dyad.
    skip = "actor" if view.filters.match == "any" else None
    rows = tally(session, view, skip, every_actor=True)
    if rows is not None and (skip == "actor" or not view.actors):
        tallied = select(rows.c.actor_id, func.sum(rows.c.events).label("n"))
        tallied = tallied.group_by(rows.c.actor_id)
        if not view.filters.date_from:
            return tallied
        # Ranges under way at `from` began on days event_counts leaves out.
        under_way = _linked_counts(select(Event.id).where(*running(view, skip)), only=False)
        both = union_all(tallied, under_way).subquery()
        return select(both.c.actor_id, func.sum(both.c.n).label("n")).group_by(both.c.actor_id)
    return _linked_counts(select(Event.id).where(*conditions(view, skip)), view.filters.only)


def _linked_counts(selected: Select, only: bool) -> Select:
    """(actor id, how many of the `selected` events it is named by), each event once per
    actor: with members (not `only`), an actor counts its members' events too."""
    if only:
        return (
            select(EventActor.actor_id.label("actor_id"), func.count().label("n"))
            .where(EventActor.event_id.in_(selected))
            .group_by(EventActor.actor_id)
        )
    return (
        select(
            ActorMember.actor_id.label("actor_id"),
            func.count(distinct(EventActor.event_id)).label("n"),
        )
        .join(EventActor, EventActor.actor_id == ActorMember.member_id)
        .where(EventActor.event_id.in_(selected))
        .group_by(ActorMember.actor_id)
    )


def actor_counts(session: Session, view: View) -> list[ActorCount]:
    """The chosen actors and the most active of each kind, with what each would give."""
    if view.past is not None:
        return view.past.actor_counts(view)
    # Ranked without the chosen actors, so that every view with the same other filters asks
    # the same statement: one actor's page after another's is counted once per data version.
    counts = _actor_event_counts(session, view).subquery()
    rank = func.row_number().over(partition_by=Actor.kind, order_by=(counts.c.n.desc(), Actor.name))
    per_kind = func.count().over(partition_by=Actor.kind)
    ranked = (
        select(Actor.id, Actor.kind, counts.c.n, rank, per_kind)
        .join(counts, counts.c.actor_id == Actor.id)
        .where(counts.c.n > 0)
        .order_by(counts.c.n.desc(), Actor.name)
    )
    chosen = {actor.id: actor for actor in view.actors}
    rows = remembered(session, ranked)
    shown = [row for row in rows if row[3] <= ACTORS_PER_KIND or row[0] in chosen]
    per_kind_total = {row[1]: row[4] for row in rows}
    # A chosen actor with no event here is listed too, last, as the one more of its kind.
    counted = {row[0] for row in rows}
    idle = sorted((a for a in view.actors if a.id not in counted), key=lambda a: a.name)
    for actor in idle:
        per_kind_total[actor.kind] = per_kind_total.get(actor.kind, 0) + 1
    ids = [row[0] for row in shown] + [actor.id for actor in idle]
    loaded = session.scalars(
        select(Actor).where(Actor.id.in_(ids)).options(joinedload(Actor.parent))
    ).all()
    by_id = {actor.id: actor for actor in loaded}
    count_of = {row[0]: row[2] for row in shown}
    shown_per_kind: dict[str, int] = {}
    for actor_id in ids:
        kind = by_id[actor_id].kind
        shown_per_kind[kind] = shown_per_kind.get(kind, 0) + 1
    return [
        ActorCount(
            by_id[actor_id],
            count_of.get(actor_id, 0),
            max(0, per_kind_total[by_id[actor_id].kind] - shown_per_kind[by_id[actor_id].kind]),
        )
        for actor_id in ids
    ]


def remembered(session: Session, statement: Select) -> list[tuple]:
    """The rows of a read-only statement, kept per data version (app/caching.py Memo) when the
    request has one: the same counts asked by many pages are counted once per change."""
    memo, version = session.info.get("memo"), session.info.get("data_version")
    if memo is None or version is None:
        return [tuple(row) for row in session.execute(statement)]
    compiled = statement.compile(session.get_bind())
    parameters = tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(compiled.params.items())
    )
    key = (version, str(compiled), parameters)
    return memo.get(key, lambda: [tuple(row) for row in session.execute(statement)])


def _named_like(text: str, prefix: bool = False) -> ColumnElement[bool]:
    """Actors whose name or an alias contains `text` (or, with `prefix`, starts with it),
    ignoring case."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # SQLite's lower() folds ASCII only: also try the text as typed and capitalised.
    variants = {escaped, escaped.lower(), escaped[:1].upper() + escaped[1:]}
    start = "" if prefix else "%"

    def like(column: ColumnElement[str]) -> ColumnElement[bool]:
        return or_(
            *[func.lower(column).like(start + v.lower() + "%", escape="\\") for v in variants],
            *[column.like(start + v + "%", escape="\\") for v in variants],
        )

    by_alias = select(ActorAlias.actor_id).where(like(ActorAlias.name))
    return or_(like(Actor.name), Actor.id.in_(by_alias))


def find_actors(session: Session, view: View, text: str) -> list[ActorCount]:
    """Actors whose name or an alias contains `text` (prefixes first), each with the number of
    events it would give under the other filters: the type-ahead for thousands of actors."""
    text = " ".join(text.split())[:80]
    if not text:
        return []
    starts = _named_like(text, prefix=True)
    candidates = (
        select(Actor.id)
        .where(_named_like(text))
        .order_by(starts.desc(), Actor.name)
        .limit(SUGGESTIONS)
    )
    if view.past is not None:
        then = view.past.actor_event_counts(view)
        found = session.execute(
            select(Actor, starts)
            .where(Actor.id.in_(candidates))
            .options(joinedload(Actor.parent), selectinload(Actor.aliases))
        ).all()
        found.sort(key=lambda row: (not row[1], -then.get(row[0].id, 0), row[0].name))
        return [ActorCount(actor, then.get(actor.id, 0), 0) for actor, _ in found]
    counts = _actor_event_counts(session, view).subquery()
    query = (
        select(Actor, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.actor_id == Actor.id)
        .where(Actor.id.in_(candidates))
        .options(joinedload(Actor.parent), selectinload(Actor.aliases))
        .order_by(starts.desc(), func.coalesce(counts.c.n, 0).desc(), Actor.name)
    )
    return [ActorCount(actor, n, 0) for actor, n in session.execute(query)]


def actor_named(session: Session, text: str) -> Actor | None:
    """The one actor a typed name means: an exact name or alias, ignoring case."""
    typed = " ".join(text.split())
    if not typed:
        return None
    # SQLite's lower() folds ASCII only: non-Latin names also match as typed.

    def same(column: ColumnElement[str]) -> ColumnElement[bool]:
        return or_(func.lower(column) == typed.lower(), column == typed)

    by_alias = select(ActorAlias.actor_id).where(same(ActorAlias.name))
    matches = session.scalars(
        select(Actor).where(or_(same(Actor.name), Actor.id.in_(by_alias))).limit(2)
    ).all()
    return matches[0] if len(matches) == 1 else None


# Actor pages


def find_actor_or_404(session: Session, slug: str) -> Actor:
    """The actor a slug names, current or former (its page redirects those), or a 404."""
    actor = actors_by_slug(session, [slug]).get(slug)
    if actor is None:
        raise HTTPException(status_code=404, detail=f"There is no actor {slug!r}.")
    return actor


def actor_view(session: Session, actor: Actor, zone: ZoneInfo, past: "Past | None" = None) -> View:
    """Every event of an actor and its members, whatever else its page filters (as they stood
    at a moment, with `past`)."""
    dialect = session.get_bind().dialect.name
    filters = EventFilters(actors=(actor.slug,), as_of=past.at if past else None)
    return View(filters, [actor], [], (), zone, dialect, past)


def actor_index(session: Session, view: View, text: str = "") -> list[ActorCount]:
    """Every actor, or those whose name or an alias contains `text`, each with the events it
    gives in the view (its members' included): one grouped query, however many actors."""
    counts = _actor_event_counts(session, view).subquery()
    query = (
        select(Actor, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.actor_id == Actor.id)
        .options(joinedload(Actor.parent))
    )
    text = " ".join(text.split())[:80]
    if text:
        query = query.where(_named_like(text)).options(selectinload(Actor.aliases))
    return [ActorCount(actor, n, 0) for actor, n in session.execute(query)]


# One event


# What an Earlier/Later link shows of an event.
_LINKED = (
    Event.id, Event.slug, Event.title, Event.start_at, Event.start_precision,
    Event.start_approximate,
)  # fmt: skip


def _next_to(side: int) -> Select:
    """The published event just before (side 0) or after (side 1) the one at :at, :id in
    (start_at, id) order, as two exact index seeks: among events at the same instant, then past
    it. Not `(start_at, id) < (…)`: SQLite seeks on start_at alone with that, then walks every
    event at the same instant (a day's midnight holds thousands at 1M events)."""
    published = Event.published.is_(True)
    at, here = bindparam("at", type_=Event.start_at.type), bindparam("id")
    if side == 0:
        same = select(*_LINKED).where(published, Event.start_at == at, Event.id < here)
        same = same.order_by(Event.id.desc())
        past = select(*_LINKED).where(published, Event.start_at < at)
        past = past.order_by(Event.start_at.desc(), Event.id.desc())
    else:
        same = select(*_LINKED).where(published, Event.start_at == at, Event.id > here)
        same = same.order_by(Event.id)
        past = select(*_LINKED).where(published, Event.start_at > at)
        past = past.order_by(Event.start_at, Event.id)
    first, second = same.limit(1).subquery(), past.limit(1).subquery()
    both = union_all(
        select(literal_column(str(side)).label("side"), first),
        select(literal_column(str(side)), second),
    ).limit(1)
    return select(both.subquery())


# Built once: building this statement costs more than running it.
_NEIGHBOURS = union_all(_next_to(0), _next_to(1))


def neighbours(session: Session, event: Event) -> tuple[Event | None, Event | None]:
    """The published events just before and just after this one in timeline order, with what
    a link to them shows (not added to the session): one statement of four index seeks."""
    found: list[Event | None] = [None, None]
    for row in session.execute(_NEIGHBOURS, {"at": event.start_at, "id": event.id}):
        found[row.side] = Event(
            id=row.id, slug=row.slug, title=row.title, start_at=row.start_at,
            start_precision=row.start_precision, start_approximate=row.start_approximate,
        )  # fmt: skip
    return found[0], found[1]


UTC_ZONE = ZoneInfo("UTC")


class EventGone(HTTPException):
    """An event in the trash: its URL answers 410 Gone, saying when it was removed."""

    def __init__(self, event: Event, zone: ZoneInfo) -> None:
        removed = event.deleted_at or event.updated_at
        day = short_date(removed.astimezone(zone).date())
        super().__init__(410, f"This event was removed from the timeline on {day}.")
        self.event_id = event.id


# Built once (building it costs as much as running it). One statement, joined: an event has
# a few actors, sources and relations, and their product costs less than a statement each.
_ONE_EVENT = (
    select(Event)
    .where(Event.id == bindparam("event_id"))
    .options(
        joinedload(Event.type),
        joinedload(Event.actor_links).joinedload(EventActor.actor),
        joinedload(Event.citations).joinedload(Citation.source),
        joinedload(Event.relations_out).joinedload(EventRelation.to_event),
        joinedload(Event.relations_in).joinedload(EventRelation.from_event),
    )
)


def get_event_or_404(
    session: Session, event_id: int, *, drafts: bool = False, zone: ZoneInfo = UTC_ZONE
) -> Event:
    """A published event (or, with `drafts`, for editors, an unpublished one) with its actors,
    sources and related events; a 404, or EventGone (410) for an event in the trash."""
    event = session.scalars(_ONE_EVENT, {"event_id": event_id}).unique().first()
    if event is not None and event.deleted_at is not None:
        raise EventGone(event, zone)
    if event is None or not (event.published or drafts):
        raise HTTPException(status_code=404, detail=f"There is no event {event_id}.")
    return event


# Actors as data


def actor_list(session: Session, view: View, after: str, limit: int) -> list[ActorCount]:
    """Actors in slug order, those after `after`, each with the events it gives in the view
    (its members' included): the actor index, a page at a time."""
    counts = _actor_event_counts(session, view).subquery()
    query = (
        select(Actor, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.actor_id == Actor.id)
        .where(Actor.slug > after)
        .options(joinedload(Actor.parent), selectinload(Actor.aliases))
        .order_by(Actor.slug)
        .limit(limit)
    )
    return [ActorCount(actor, n, 0) for actor, n in session.execute(query)]


@dataclass(frozen=True)
class ActorProfile:
    actor: Actor  # with its parent, members and aliases
    event_count: int  # its events and its members': what ?actor=slug lists
    own_event_count: int  # its own: ?actor=slug&only=1
    types: dict[str, int]  # its events and its members' by type
    first_event: Event | None
    last_event: Event | None
    counterparts: list[ActorCount]


def actor_profile(
    session: Session,
    slug: str,
    zone: ZoneInfo,
    counterparts: int = 10,
    past: "Past | None" = None,
) -> ActorProfile:
    """An actor with its counts, first and last events and counterparts (as they stood at a
    moment, with `past`), or a 404."""
    query = (
        select(Actor)
        .where(Actor.slug == slug)
        .options(joinedload(Actor.parent), selectinload(Actor.members), selectinload(Actor.aliases))
    )
    actor = session.scalars(query).first()
    if actor is None:
        raise HTTPException(status_code=404, detail=f"There is no actor {slug!r}.")
    view = actor_view(session, actor, zone, past)
    own = replace(view, filters=replace(view.filters, only=True))
    if past is not None:
        first_event, last_event = past.first_and_last(view)
        return ActorProfile(
            actor=actor,
            event_count=count_events(session, view),
            own_event_count=count_events(session, own),
            types=type_totals(session, view),
            first_event=first_event,
            last_event=last_event,
            counterparts=past.counterparts(view, counterparts),
        )
    first = select(Event).where(*conditions(view)).limit(1)
    types = type_totals(session, view)
    return ActorProfile(
        actor=actor,
        event_count=sum(types.values()),
        own_event_count=count_events(session, own),
        types=types,
        first_event=session.scalars(first.order_by(Event.start_at, Event.id)).first(),
        last_event=session.scalars(first.order_by(Event.start_at.desc(), Event.id.desc())).first(),
        counterparts=actor_counterparts(session, view, counterparts),
    )


def family(actor_ids: Sequence[int]) -> CompoundSelect:
    """These actors, everything below them and everything above them."""
    below = select(ActorMember.member_id).where(ActorMember.actor_id.in_(actor_ids))
    above = select(ActorMember.actor_id).where(ActorMember.member_id.in_(actor_ids))
    return below.union(above)


def actor_counterparts(session: Session, view: View, limit: int = 10) -> list[ActorCount]:
    """The actors sharing most events with the view's actors, each count being what the dyad
    (?actor=a&actor=b&match=all) lists. The actors' own members and parents are left out:
    they share everything."""
    counts = _actor_event_counts(session, replace(view, filters=replace(view.filters, match="all")))
    counts = counts.subquery()
    query = (
        select(Actor, counts.c.n)
        .join(counts, counts.c.actor_id == Actor.id)
        .where(Actor.id.not_in(family(view.actor_ids)))
        .options(joinedload(Actor.parent))
        .order_by(counts.c.n.desc(), Actor.name)
        .limit(limit)
    )
    return [ActorCount(actor, n, 0) for actor, n in session.execute(query)]


# Live updates (app/live.py)


def matching_ids(session: Session, view: View, ids: Iterable[int]) -> set[int]:
    """Which of these events the view shows now: published, and selected by its filters."""
    ids = list(ids)
    if not ids:
        return set()
    return set(session.scalars(select(Event.id).where(Event.id.in_(ids), *conditions(view))))


def listed_events(session: Session, ids: Sequence[int]) -> Sequence[Event]:
    """These events with what a list's card shows."""
    query = select(Event).where(Event.id.in_(ids)).options(*_LISTED, selectinload(Event.citations))
    return session.scalars(query).unique().all()


# HTTP caching (app/caching.py)


def data_version(engine: Engine) -> tuple[tuple[int | None, ...], datetime | None]:
    """What every public page is made of, in one statement of index look-ups (no scan at any
    size): the newest event, actor, source and revision ids, and the newest time among them.
    Every change made through app/editing.py writes a revision; new rows raise an id. Editing a
    source and deleting an unused actor write no revision: they show at the next change."""
    newest_event = select(func.max(Event.id)).scalar_subquery()
    newest_actor = select(func.max(Actor.id)).scalar_subquery()
    query = select(
        newest_event,
        newest_actor,
        select(func.max(Source.id)).scalar_subquery(),
        select(func.max(Revision.id)).scalar_subquery(),
        select(Event.updated_at).where(Event.id == newest_event).scalar_subquery(),
        select(Actor.updated_at).where(Actor.id == newest_actor).scalar_subquery(),
        select(func.max(Revision.created_at)).scalar_subquery(),
    )
    with engine.connect() as connection:
        row = tuple(connection.execute(query).one())
    times = [time for time in row[4:] if time is not None]
    return row[:4], max(times, default=None)
