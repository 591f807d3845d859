"""An actor's relations: whom it dealt with in a view, how often, by type and over time.

A counterpart is an actor sharing events with the page's actor, counted as the dyad view its row
links to counts them (the page's filters plus `actor=<counterpart>`: the counterpart's members
included). Left out: the view's own actors with their members and parents (Russia, on Putin's
page, shares every one of his events), and a parent that repeats one of its members exactly
(Belarus, when all its shared events are Lukashenko's): its row would add nothing.

Two statements whatever the size of the data: the counts per counterpart and type, then the
counts per counterpart, type and day for the rows shown. Days are days in the crisis zone:
PostgreSQL converts in SQL; SQLite has no time zones, so it groups by UTC quarter hour (every
zone's offset is a whole number of quarter hours) and Python turns each quarter into its local
day. As it stood at a moment (`as_of`), the events of the past (app/as_of.py) are counted in
Python, as every other count of such a view is.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, String, cast, distinct, func, select
from sqlalchemy.orm import Session, aliased

from app import queries
from app.dates import MONTHS, format_point, instant, short_date
from app.models import Actor, ActorMember, Event, EventActor, EventType, Precision
from app.queries import View

SHOWN = 12  # rows with their type bars and strips; the rest are listed by name
DAY_PRECISIONS = (Precision.MINUTE, Precision.HOUR, Precision.DAY)

# The strip: one column per day on an axis shared by every row, a dot per type that day.
STRIP_WIDTH = 300
STRIP_PAD = 6
DOT_RADIUS = 3.5
DOT_STEP = 8  # between the dots of one day, stacked by type
BAR_WIDTH = 100
BAR_HEIGHT = 10


@dataclass(frozen=True)
class Segment:
    """One type's share of a row's bar."""

    type_slug: str
    text: str  # "3 calls"
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Dot:
    type_slug: str
    cy: float


@dataclass(frozen=True)
class Day:
    """A column of a strip: what the two actors did together that day."""

    day: date
    label: str  # "12 Feb 2022", or "late December 2021" when known only roughly
    rough: bool  # a week, month or year: drawn hollow
    text: str  # "12 Feb 2022: 1 call, 2 statements"
    href: str  # the dyad view of that day
    x: float
    dots: list[Dot]


@dataclass(frozen=True)
class Row:
    slug: str
    name: str
    hint: str  # the counterpart's parent: "United States"
    href: str  # the dyad view
    count: int
    segments: list[Segment]
    days: list[Day]
    summary: str  # the strip in words: its accessible name

    @property
    def breakdown(self) -> str:
        return ", ".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class More:
    name: str
    hint: str
    href: str
    count: int


@dataclass(frozen=True)
class LegendItem:
    slug: str
    label: str


@dataclass(frozen=True)
class Tick:
    """A gridline across every strip, labelled in the header when there is room."""

    x: float
    label: str


@dataclass(frozen=True)
class Relations:
    rows: list[Row]
    more: list[More]
    legend: list[LegendItem]
    rough: bool  # some dot is hollow: the legend says what that means
    first: date | None
    last: date | None
    strip_height: float
    ticks: list[Tick]

    @property
    def span(self) -> str:
        if self.first is None or self.last is None:
            return ""
        if self.first == self.last:
            return short_date(self.first)
        return f"{short_date(self.first)} – {short_date(self.last)}"

    @property
    def start_label(self) -> str:
        return short_date(self.first) if self.first else ""

    @property
    def end_label(self) -> str:
        return short_date(self.last) if self.last and self.last != self.first else ""

    @property
    def strip_width(self) -> int:
        return STRIP_WIDTH

    @property
    def bar_width(self) -> int:
        return BAR_WIDTH

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT


@dataclass(frozen=True)
class _Actor:
    id: int
    slug: str
    name: str
    parent_id: int | None
    parent_name: str


# (day, precision if known only roughly, approximate): a column of a strip
DayKey = tuple[date, str | None, bool]


def relations(session: Session, view: View) -> Relations:
    """The counterparts of the view's actors, the most shared first, with what a page draws."""
    if view.past is not None:
        actors, totals, days_of = _past_counts(session, view)
    else:
        actors, totals = _counts(session, view)
        days_of = None
    ranked = _ranked(actors, totals)
    shown = ranked[:SHOWN]
    if days_of is None:
        days_of = _days(session, view, [actor.id for actor in shown])
    return _present(view, shown, ranked[SHOWN:], totals, days_of)


def _shared() -> Any:
    """(counterpart, event) for every event and every actor it involves, directly or through a
    member: the join the dyad views' `_involving` makes, the other way round."""
    return select(
        ActorMember.actor_id.label("ancestor"), ActorMember.member_id.label("member")
    ).subquery("rel_closure")


def _counts(session: Session, view: View) -> tuple[dict[int, _Actor], dict[int, Counter[str]]]:
    """Shared events per counterpart and type: one statement."""
    closure = _shared()
    parent = aliased(Actor)
    counted = func.count(distinct(Event.id))
    query = (
        select(Actor.id, Actor.slug, Actor.name, Actor.parent_id, parent.name, Event.type_slug)
        .add_columns(counted)
        .select_from(Event)
        .join(EventActor, EventActor.event_id == Event.id)
        .join(closure, closure.c.member == EventActor.actor_id)
        .join(Actor, Actor.id == closure.c.ancestor)
        .outerjoin(parent, parent.id == Actor.parent_id)
        .where(*queries.conditions(view), Actor.id.not_in(queries.family(view.actor_ids)))
        .group_by(Actor.id, Actor.slug, Actor.name, Actor.parent_id, parent.name, Event.type_slug)
    )
    actors: dict[int, _Actor] = {}
    totals: dict[int, Counter[str]] = {}
    for actor_id, slug, name, parent_id, parent_name, type_slug, n in session.execute(query):
        actors[actor_id] = _Actor(actor_id, slug, name, parent_id, parent_name or "")
        totals.setdefault(actor_id, Counter())[type_slug] = n
    return actors, totals


def _bucket(view: View) -> Any:
    """The start of an event, grouped finely enough to tell its day in the crisis zone."""
    if view.dialect == "postgresql":
        return cast(func.timezone(view.zone.key, Event.start_at), Date)
    quarter = cast(cast(func.strftime("%M", Event.start_at), Integer) // 15 * 15, String)
    return func.strftime("%Y-%m-%d %H:", Event.start_at) + quarter


def _local_day(value: Any, view: View) -> date:
    if isinstance(value, datetime):  # a driver that answers the PostgreSQL cast with a datetime
        return value.date()
    if isinstance(value, date):
        return value
    hour, minute = str(value).rsplit(":", 1)
    moment = datetime.strptime(f"{hour}:{int(minute):02d}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return moment.astimezone(view.zone).date()


def _days(
    session: Session, view: View, actor_ids: list[int]
) -> dict[int, dict[DayKey, Counter[str]]]:
    """Shared events per counterpart, day and type, for the rows shown: one statement."""
    days_of: dict[int, dict[DayKey, Counter[str]]] = {actor_id: {} for actor_id in actor_ids}
    # Asked even with no row: a page costs the same statements whatever its data.
    closure = _shared()
    bucket = _bucket(view).label("bucket")
    columns = (closure.c.ancestor, Event.type_slug, Event.start_precision, Event.start_approximate)
    query = (
        select(*columns, bucket, func.count(distinct(Event.id)))
        .select_from(Event)
        .join(EventActor, EventActor.event_id == Event.id)
        .join(closure, closure.c.member == EventActor.actor_id)
        .where(*queries.conditions(view), closure.c.ancestor.in_(actor_ids))
        .group_by(*columns, bucket)
    )
    for actor_id, type_slug, precision, approximate, value, n in session.execute(query):
        key = _day_key(_local_day(value, view), precision, approximate)
        days_of[actor_id].setdefault(key, Counter())[type_slug] += n
    return days_of


def _by_day(item: tuple[DayKey, Any]) -> tuple[date, str, bool]:
    day, precision, approximate = item[0]
    return (day, precision or "", approximate)


def _day_key(day: date, precision: str, approximate: bool) -> DayKey:
    if precision in DAY_PRECISIONS:
        return (day, None, False)
    return (day, str(precision), bool(approximate))


def _past_counts(
    session: Session, view: View
) -> tuple[dict[int, _Actor], dict[int, Counter[str]], dict[int, dict[DayKey, Counter[str]]]]:
    """The same counts over the events as they stood at `as_of`, worked out in Python."""
    past = view.past
    assert past is not None
    family = past.members(view.actor_ids)
    for actor_id in view.actor_ids:
        family |= past.ancestors(actor_id)
    events = past.matching(view)
    # The few events dated only to a week, month or year, as they are now (then: below).
    rough = dict(
        (event_id, (precision, approximate))
        for event_id, precision, approximate in session.execute(
            select(Event.id, Event.start_precision, Event.start_approximate).where(
                Event.start_precision.not_in(DAY_PRECISIONS)
            )
        )
    )
    totals: dict[int, Counter[str]] = {}
    days_of: dict[int, dict[DayKey, Counter[str]]] = {}
    for then in events:
        if then.revised is not None:
            columns = then.revised.columns
            precision = columns.get("start_precision", Precision.DAY)
            approximate = columns.get("start_approximate", False)
        else:
            precision, approximate = rough.get(then.id, (Precision.DAY, False))
        key = _day_key(then.start_at.astimezone(view.zone).date(), precision, approximate)
        involved: set[int] = set()
        for actor_id in then.actor_ids:
            involved |= past.ancestors(actor_id)
        for actor_id in involved - family:
            totals.setdefault(actor_id, Counter())[then.type_slug] += 1
            days_of.setdefault(actor_id, {}).setdefault(key, Counter())[then.type_slug] += 1
    actors = {}
    for actor_id in totals:
        row = past.actors[actor_id]
        parent = past.actors.get(row.parent_id) if row.parent_id is not None else None
        actors[actor_id] = _Actor(
            row.id, row.slug, row.name, row.parent_id, parent.name if parent else ""
        )
    return actors, totals, days_of


def _ranked(actors: dict[int, _Actor], totals: dict[int, Counter[str]]) -> list[_Actor]:
    """The counterparts, most shared first, without parents that repeat one of their members."""
    count = {actor_id: sum(types.values()) for actor_id, types in totals.items()}
    repeated: set[int] = set()
    for actor in actors.values():
        seen = {actor.id}
        parent_id = actor.parent_id
        # Every ancestor of a counterpart shares its events: it is a counterpart too, or one of
        # the view's own family, above which there is no counterpart.
        while parent_id in actors and parent_id not in seen:
            if count[parent_id] == count[actor.id]:
                repeated.add(parent_id)
            seen.add(parent_id)
            parent_id = actors[parent_id].parent_id
    kept = [actor for actor in actors.values() if actor.id not in repeated]
    return sorted(kept, key=lambda actor: (-count[actor.id], actor.name, actor.id))


def _plural(count: int, event_type: EventType) -> str:
    return f"{count} {event_type.label.lower() if count == 1 else event_type.plural.lower()}"


def _breakdown(types: Counter[str], order: list[EventType]) -> list[tuple[EventType, int]]:
    return [(t, types[t.slug]) for t in order if types.get(t.slug)]


def _present(
    view: View,
    shown: list[_Actor],
    rest: list[_Actor],
    totals: dict[int, Counter[str]],
    days_of: dict[int, dict[DayKey, Counter[str]]],
) -> Relations:
    filters = view.filters
    order = list(view.all_types)
    every_day = [key[0] for actor in shown for key in days_of.get(actor.id, {})]
    bounds = [d for d in (filters.date_from, filters.date_to) if d is not None]
    first = min(every_day + bounds) if every_day else None
    last = max(every_day + bounds) if every_day else None
    top = max((sum(totals[actor.id].values()) for actor in shown), default=0)
    span = (last - first).days if first and last else 0
    unit = "day" if span <= DAY_SPAN else "week" if span <= WEEK_SPAN else "month"

    def x_of(day: date) -> float:
        assert first is not None and last is not None
        span = (last - first).days
        share = (day - first).days / span if span else 0.5
        return round(STRIP_PAD + share * (STRIP_WIDTH - 2 * STRIP_PAD), 1)

    def dyad(actor: _Actor, **changes: Any) -> str:
        return filters.link(actors=(*filters.actors, actor.slug), **changes)

    rows: list[Row] = []
    stack = 1
    used: set[str] = set()
    rough = False
    for actor in shown:
        types = totals[actor.id]
        count = sum(types.values())
        segments, x = [], 0.0
        for event_type, n in _breakdown(types, order):
            width = BAR_WIDTH * n / top
            segments.append(
                Segment(event_type.slug, _plural(n, event_type), n, round(x, 2), round(width, 2))
            )
            x += width
            used.add(event_type.slug)
        days = []
        columns = sorted(_binned(days_of.get(actor.id, {}), unit).items(), key=_by_day)
        for (day, precision, approximate), day_types in columns:
            if precision is not None:
                label = format_point(instant(day, view.zone), precision, approximate, view.zone)
            else:
                label = _period_label(day, unit)
            parts = _breakdown(day_types, order)
            dots = [
                Dot(t.slug, round(STRIP_PAD + DOT_RADIUS + i * DOT_STEP, 1))
                for i, (t, _) in enumerate(parts[:MAX_DOTS])
            ]
            stack = max(stack, len(dots))
            rough = rough or precision is not None
            text = f"{label}: " + ", ".join(_plural(n, t) for t, n in parts)
            date_from, date_to = _period(day, unit, filters.date_from, filters.date_to)
            href = dyad(actor, date_from=date_from, date_to=date_to)
            days.append(Day(day, label, precision is not None, text, href, x_of(day), dots))
        rows.append(
            Row(
                slug=actor.slug,
                name=actor.name,
                hint=actor.parent_name,
                href=dyad(actor),
                count=count,
                segments=segments,
                days=days,
                summary=_summary(days),
            )
        )
    more = [
        More(actor.name, actor.parent_name, dyad(actor), sum(totals[actor.id].values()))
        for actor in rest
    ]
    legend = [LegendItem(t.slug, t.label) for t in order if t.slug in used]
    height = 2 * STRIP_PAD + 2 * DOT_RADIUS + (stack - 1) * DOT_STEP
    ticks = _ticks(first, last, x_of) if first and last else []
    return Relations(rows, more, legend, rough, first, last, height, ticks)


TICK_ROOM = 48  # pixels between labelled ticks
# A strip has a column per day over a short span; over a longer one, per week or month, so that
# its columns stay a few pixels apart (and its links few enough to tab through).
DAY_SPAN = 62  # about 5 px a day on a 300 px strip
WEEK_SPAN = 280  # 40 weeks; longer, months
MAX_DOTS = 4  # per column, the most frequent types; the column's label names every type


def _binned(days: dict[DayKey, Counter[str]], unit: str) -> dict[DayKey, Counter[str]]:
    """The strip's columns: days, or the weeks (from Monday) or months holding them."""
    if unit == "day":
        return days
    columns: dict[DayKey, Counter[str]] = {}
    # A date known only to the week sits in its week's (or month's) column like any other; one
    # known only to the month, in its month's column; coarser ones keep a hollow column.
    fits = (Precision.WEEK,) if unit == "week" else (Precision.WEEK, Precision.MONTH)
    for (day, precision, approximate), types in days.items():
        start = day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)
        if precision is None or precision in fits:
            key: DayKey = (start, None, False)
        else:
            key = (day, precision, approximate)
        columns.setdefault(key, Counter()).update(types)
    return columns


def _period_label(day: date, unit: str) -> str:
    if unit == "day":
        return short_date(day)
    if unit == "week":
        return f"week of {short_date(day)}"
    return f"{MONTHS[day.month - 1]} {day.year}"


def _period(
    day: date, unit: str, date_from: date | None, date_to: date | None
) -> tuple[date, date]:
    """A column's dates for its link: the day, week or month, inside the view's own dates."""
    if unit == "day":
        end = day
    elif unit == "week":
        end = day + timedelta(days=6)
    else:
        end = date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)
    return max(day, date_from or day), min(end, date_to or end)


def _ticks(first: date, last: date, x_of: Callable[[date], float]) -> list[Tick]:
    """Gridlines at each day, each Monday or each month's first day, by the span; labels where
    they do not crowd each other or the ends."""
    span = (last - first).days
    days = (first + timedelta(days=n) for n in range(span + 1))
    if span <= 14:
        marked = list(days)
    elif span <= 120:
        marked = [day for day in days if day.weekday() == 0]
    else:
        marked = [day for day in days if day.day == 1]
    ticks, labelled = [], x_of(first)
    for day in marked:
        x = x_of(day)
        room = x - labelled >= TICK_ROOM and x_of(last) - x >= TICK_ROOM
        label = f"{MONTHS[day.month - 1][:3]} {day.year}" if span > 120 else short_date(day)[:-5]
        ticks.append(Tick(x, label if room else ""))
        if room:
            labelled = x
    return ticks


SUMMARY_DAYS = 8  # a strip's accessible name lists this many days, then sums up the rest


def _summary(days: Iterable[Day]) -> str:
    days = list(days)
    listed = "; ".join(day.text for day in days[:SUMMARY_DAYS])
    if len(days) > SUMMARY_DAYS:
        listed += f"; and {len(days) - SUMMARY_DAYS} more days, the last {days[-1].label}"
    return listed
