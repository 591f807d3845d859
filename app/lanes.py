"""Swimlanes (/?view=lanes): a lane per actor, the view's events as marks at their time.

A lane holds the events of the view that involve its actor — with its members, as the actor filter
counts them (Russia's lane holds Putin's events), or without them under `only`. The lanes are the
chosen actors in the order chosen; with none chosen, the most active actors of the view (as the
actor facet ranks them); on an actor's page, the actor and the actors it dealt with most.

Everything is laid out here, in Python, as numbers the template only writes down: the time axis
(a column per day, week or month in the crisis zone, with long empty stretches folded into a narrow
gap), each event's place (lane, row, x) and, where more events of a lane start in one column than
fit in it (`capacity`: three rows of marks), a single aggregate mark counting them by type that
links to the list of them.

Cost, whatever the size of the crisis: the ranking is the actor facet's, already counted for the
filter panel (on an actor's page, one query for its counterparts); one query for the lanes' events
as bare rows (lane, id, type, status, start, end: never ORM objects), and one
for the titles and precisions of the events drawn one by one — at most `capacity` per cell.
A view `as_of` a moment reads its `Past` instead (app/as_of.py): the lanes show it as it stood.
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import DateTime, String, select, type_coerce
from sqlalchemy.orm import Session

from app import queries
from app.dates import MONTHS, format_span, instant, short_date
from app.filters import EventFilters
from app.models import Actor, ActorMember, Event, EventActor, Precision, Status
from app.present import actor_path, events_label

LANE_LIMIT = 12  # lanes chosen for the reader: the most active actors
ROWS = 3  # marks of a lane on top of each other in one column
PITCH = 16  # px between marks side by side
AUTO_MAX_COLUMNS = 120  # "auto" zoom: the finest whose axis has at most this many columns
AUTO_MAX_DENSITY = ROWS  # … and whose busy cells hold, on average, no more than one column draws
MARK_BUDGET = 600  # events drawn one by one in a view; past it, cells count their events sooner
GAP_MIN = 4  # empty columns in a row folded into one gap
# Geometry, in px (static/brink.css "Swimlanes" sizes the HTML lane labels to match).
COLUMN_WIDTH = {"day": 48, "week": 48, "month": 64}
GAP_WIDTH = 28
MARGIN = 14  # before the first column and after the last: room for a mark at either end
AXIS_HEIGHT = 44
LANE_HEIGHT = 60
ROW_HEIGHT = 16
MARK_RADIUS = 7
AGGREGATE_TYPES = 4  # types an aggregate's edge shows apart; the rest are one "other"
LINKED_TYPES = ("call", "meeting")  # two sides: joined by a line across their lanes
AHEAD = (Status.SCHEDULED, Status.POSTPONED)


@dataclass(frozen=True)
class Detail:
    """What a mark drawn on its own shows of its event."""

    slug: str
    title: str
    start_precision: str
    start_approximate: bool
    end_precision: str | None
    end_approximate: bool


@dataclass
class Column:
    """A day, week or month on the axis, or a gap folding empty ones."""

    start: date
    end: date  # exclusive
    begins: datetime  # UTC
    ends: datetime
    x: float = 0.0
    width: float = 0.0
    gap: bool = False
    label: str = ""  # what the axis writes under it
    period: str = ""  # what it is, in words ("week of 7 Feb 2022")
    group: str = ""  # the month or year it starts, written above when it changes

    def x_at(self, moment: datetime) -> float:
        span = (self.ends - self.begins).total_seconds() or 1.0
        share = (moment - self.begins).total_seconds() / span
        return self.x + self.width * min(1.0, max(0.0, share))

    @property
    def mid(self) -> float:
        return self.x + self.width / 2


@dataclass
class Mark:
    """An event drawn on its own."""

    id: int
    href: str
    title: str
    when: str
    type_slug: str
    type_label: str
    ahead: bool  # scheduled or postponed: hollow
    status: str
    x: float
    y: float
    bar: tuple[float, float] | None = None  # a range: start to end
    period: tuple[float, float] | None = None  # an imprecise date: the period it may be in
    tab_stop: bool = False

    @property
    def label(self) -> str:
        status = "" if self.status == Status.OCCURRED else f", {self.status}"
        return f"{self.when} — {self.title} ({self.type_label}{status})"

    @property
    def svg(self) -> Markup:
        """The mark, written here rather than in the template: a view may draw thousands, and
        Python's f-strings are many times faster than Jinja's per-value escaping."""
        x, y = self.x, self.y
        parts = [
            f'<a class="mark type-{self.type_slug}{" is-ahead" if self.ahead else ""}" '
            f'href="{escape(self.href)}" tabindex="{0 if self.tab_stop else -1}">'
            f"<title>{escape(self.label)}</title>"
        ]
        if self.period:
            a, b = self.period
            parts.append(
                f'<rect class="mark-period" x="{a}" y="{y - 6}" width="{round(b - a, 1)}" '
                f'height="12" rx="3"/>'
            )
        if self.bar:
            a, b = self.bar
            parts.append(
                f'<rect class="mark-bar" x="{a}" y="{y - 3}" width="{round(b - a, 1)}" '
                f'height="6" rx="3"/>'
            )
        parts.append(
            f'<circle class="mark-disc" cx="{x}" cy="{y}" r="{MARK_RADIUS}"/>'
            f'<use class="mark-icon" href="/static/icons.svg#{self.type_slug}" '
            f'x="{round(x - 5, 1)}" y="{y - 5}" width="10" height="10"/></a>'
        )
        return Markup("".join(parts))


@dataclass
class Segment:
    type_slug: str
    y: float
    height: float


@dataclass
class Aggregate:
    """Too many events of a lane in one column: their count, by type, and a link to the list."""

    count: int
    by_type: list[tuple[str, str, int]]  # (slug, name for the count, count), most first
    href: str
    period: str
    x: float
    y: float
    width: float
    height: float
    segments: list[Segment] = field(default_factory=list)
    tab_stop: bool = False

    @property
    def label(self) -> str:
        kinds = ", ".join(f"{n} {label.lower()}" for _, label, n in self.by_type)
        return f"{self.period}: {events_label(self.count)} ({kinds}) — show them in the list"

    @property
    def svg(self) -> Markup:
        """A box with the count, the types stacked along its left edge (see Mark.svg)."""
        x, y = self.x, self.y
        segments = "".join(
            f'<rect class="agg-seg type-{s.type_slug}" x="{x}" y="{s.y}" width="5" '
            f'height="{s.height}"/>'
            for s in self.segments
        )
        return Markup(
            f'<a class="aggregate" href="{escape(self.href)}" '
            f'tabindex="{0 if self.tab_stop else -1}"><title>{escape(self.label)}</title>'
            f'<rect class="agg-box" x="{x}" y="{y}" width="{self.width}" '
            f'height="{self.height}" rx="3"/>{segments}'
            f'<text class="agg-count" x="{round(x + self.width / 2 + 2, 1)}" '
            f'y="{round(y + self.height / 2 + 4, 1)}" text-anchor="middle">{self.count}</text></a>'
        )


@dataclass
class Lane:
    actor: Actor
    index: int
    y: float
    cell_link: Any  # Column → the list of this lane's events in it
    total: int = 0
    by_type: list[tuple[str, str, int]] = field(default_factory=list)
    items: list[Mark | Aggregate] = field(default_factory=list)  # in time order

    @property
    def by_type_label(self) -> str:
        return ", ".join(f"{n:,} {label.lower()}" for _, label, n in self.by_type)

    @property
    def href(self) -> str:
        return actor_path(self.actor.slug)


@dataclass(frozen=True)
class Link:
    """A vertical line joining the sides of a call or meeting across their lanes."""

    points: str  # "x,y x,y …" from the top lane down
    type_slug: str


@dataclass(frozen=True)
class ZoomLink:
    zoom: str
    label: str
    href: str
    current: bool


@dataclass
class Lanes:
    lanes: list[Lane]
    columns: list[Column]
    zoom: str
    auto_zoom: bool
    auto_actors: bool  # the lanes were chosen for the reader, not by the filter
    zooms: list[ZoomLink]
    links: list[Link]
    width: float
    height: float
    latest_x: float | None  # the latest report, when events are scheduled after it
    groups: list[tuple[float, str]]  # (x, month or year label) where one starts
    lane_height: int = LANE_HEIGHT
    axis_height: int = AXIS_HEIGHT

    @property
    def marks(self) -> int:
        return sum(1 for lane in self.lanes for item in lane.items if isinstance(item, Mark))

    @property
    def empty(self) -> bool:
        return not any(lane.total for lane in self.lanes)

    @property
    def description(self) -> str:
        names = ", ".join(lane.actor.name for lane in self.lanes)
        unit = {"day": "days", "week": "weeks", "month": "months"}[self.zoom]
        return f"Swimlanes by {unit}: {names}"


# Which actors get a lane


def lane_actors(
    session: Session, view: queries.View, ranking: Sequence[queries.ActorCount]
) -> tuple[list[Actor], bool]:
    """The actors to draw, and whether they were chosen for the reader. `ranking` is the actor
    facet's (queries.actor_counts, most events first): with no actor chosen, its first ones."""
    filters = view.filters
    if filters.pinned and len(view.actors) == 1:
        # An actor's page: the actor, then those it dealt with most.
        others = (
            view.past.counterparts(view, LANE_LIMIT - 1)
            if view.past is not None
            else queries.actor_counterparts(session, view, LANE_LIMIT - 1)
        )
        return [view.actors[0], *(row.actor for row in others)], True
    if view.actors:
        return list(view.actors), False
    return [row.actor for row in ranking if row.count][:LANE_LIMIT], True


def _closure(actor_ids: Sequence[int], only: bool) -> Any:
    """(lane actor, member) for these actors: each with itself and, unless `only`, every actor
    below it."""
    members = select(ActorMember.actor_id.label("lane"), ActorMember.member_id.label("member"))
    members = members.where(ActorMember.actor_id.in_(actor_ids))
    if only:
        members = members.where(ActorMember.member_id == ActorMember.actor_id)
    return members.subquery("lane_members")


# The events in the lanes


def lane_rows(session: Session, view: queries.View, actors: Sequence[Actor]) -> list[Any]:
    """Every (lane, event) of the view as a bare tuple: (lane index, id, type, status, start,
    end), the times as `Times` reads them."""
    if not actors:
        return []
    index = {actor.id: i for i, actor in enumerate(actors)}
    if view.past is not None:
        rows = []
        matching = view.past.matching(view)
        for actor in actors:
            wanted = {actor.id} if view.filters.only else view.past.members([actor.id])
            rows += [
                (index[actor.id], e.id, e.type_slug, e.status, e.start_at, e.end_at)
                for e in matching
                if not wanted.isdisjoint(e.actor_ids)
            ]
        return rows
    closure = _closure(list(index), view.filters.only)
    times = Times(view)
    query = (
        select(
            closure.c.lane,
            Event.id,
            Event.type_slug,
            Event.status,
            times.column(Event.start_at),
            times.column(Event.end_at),
        )
        .distinct()
        .join(EventActor, EventActor.actor_id == closure.c.member)
        .join(Event, Event.id == EventActor.event_id)
        .where(*queries.conditions(view))
    )
    # Core, not the ORM: thousands of bare tuples, no entities to build.
    return [(index[lane], *rest) for lane, *rest in session.connection().execute(query)]


class Times:
    """Times as the lanes' query reads them: on SQLite the stored UTC text itself, which sorts
    as the instants do (parsing 20,000 of them would cost more than the rest of the layout); on
    PostgreSQL, and from a `Past`, datetimes. Only the events drawn one by one are parsed."""

    FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite storage format

    def __init__(self, view: queries.View) -> None:
        self.text = view.dialect == "sqlite" and view.past is None

    def column(self, column: Any) -> Any:
        return type_coerce(column, String if self.text else DateTime(timezone=True))

    def key(self, moment: datetime) -> Any:
        return moment.astimezone(UTC).strftime(self.FORMAT) if self.text else moment

    def instant(self, value: Any) -> datetime:
        if self.text:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC)


def details(session: Session, view: queries.View, ids: Sequence[int]) -> dict[int, Detail]:
    if not ids:
        return {}
    if view.past is not None:
        return {e.id: _detail(e) for e in view.past.events_by_id(list(ids))}
    query = select(
        Event.id,
        Event.slug,
        Event.title,
        Event.start_precision,
        Event.start_approximate,
        Event.end_precision,
        Event.end_approximate,
    ).where(Event.id.in_(list(ids)))
    return {event_id: Detail(*rest) for event_id, *rest in session.execute(query)}


def _detail(event: Event) -> Detail:
    return Detail(
        event.slug,
        event.title,
        event.start_precision,
        event.start_approximate,
        event.end_precision,
        event.end_approximate,
    )


# The time axis


def capacity(column: "Column") -> int:
    """How many marks of one lane a column draws before it counts them instead."""
    return 0 if column.gap else ROWS * max(1, int(column.width // PITCH))


def _column_start(day: date, zoom: str) -> date:
    if zoom == "week":
        return day - timedelta(days=day.weekday())
    if zoom == "month":
        return day.replace(day=1)
    return day


def _next(day: date, zoom: str) -> date:
    if zoom == "week":
        return day + timedelta(days=7)
    if zoom == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def _columns(first: date, last: date, zoom: str, zone: ZoneInfo) -> list[Column]:
    columns = []
    day = _column_start(first, zoom)
    while day <= last:
        following = _next(day, zoom)
        columns.append(Column(day, following, instant(day, zone), instant(following, zone)))
        day = following
    return columns


def _period_name(column: Column, zoom: str) -> str:
    if zoom == "day":
        return short_date(column.start)
    if zoom == "week":
        return f"week of {short_date(column.start)}"
    return f"{MONTHS[column.start.month - 1]} {column.start.year}"


def _fits(cells: dict[tuple[int, int], list[Any]], columns: list[Column]) -> dict[int, int]:
    """How many events each column draws one by one before counting them: as many as fit
    (`capacity`) while the view stays within MARK_BUDGET; past it, fewer, down to one — so that
    a crowded view is still read at a glance (and written quickly)."""
    sizes = [(c, len(cell)) for (_, c), cell in cells.items()]
    room = {c: capacity(column) for c, column in enumerate(columns)}
    for limit in (None, ROWS, 2, 1):
        fits = {c: n if limit is None else min(n, limit) for c, n in room.items()}
        if sum(n for c, n in sizes if n <= fits[c]) <= MARK_BUDGET:
            break
    return fits


def _choose_zoom(
    first: date,
    last: date,
    occupied: set[date],
    start_days: list[int],
    lanes: int,
    filters: EventFilters,
) -> str:
    """The zoom in the URL, or the finest that keeps the axis short and its cells readable."""
    if filters.zoom:
        return filters.zoom
    start_dates = {first + timedelta(days=d) for d in set(start_days)}
    for zoom in ("day", "week"):
        starts = {_column_start(day, zoom) for day in occupied}
        count = len(_fold(_columns_dates(first, last, zoom), starts))
        busy = len({_column_start(day, zoom) for day in start_dates}) or 1
        density = len(start_days) / busy / lanes  # events of a lane in one of its busy columns
        if count <= AUTO_MAX_COLUMNS and density <= AUTO_MAX_DENSITY:
            return zoom
    return "month"


def _columns_dates(first: date, last: date, zoom: str) -> list[date]:
    days, day = [], _column_start(first, zoom)
    while day <= last:
        days.append(day)
        day = _next(day, zoom)
    return days


def _fold(starts: list[date], occupied: set[date]) -> list[tuple[int, int]]:
    """Runs of columns to draw: (first, last) index; a run of GAP_MIN or more empty columns is
    one gap (first < last, or a single column marked empty)."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(starts):
        if starts[i] in occupied:
            runs.append((i, i))
            i += 1
            continue
        j = i
        while j + 1 < len(starts) and starts[j + 1] not in occupied:
            j += 1
        if j - i + 1 >= GAP_MIN:
            runs.append((i, j))
        else:
            runs += [(k, k) for k in range(i, j + 1)]
        i = j + 1
    return runs


def _axis(first: date, last: date, occupied: set[date], zoom: str, zone: ZoneInfo) -> list[Column]:
    columns = _columns(first, last, zoom, zone)
    starts = [column.start for column in columns]
    drawn: list[Column] = []
    x = float(MARGIN)
    for a, b in _fold(starts, occupied):
        if a == b:
            column = columns[a]
            column.width = COLUMN_WIDTH[zoom]
            column.period = _period_name(column, zoom)
            column.label = (
                str(column.start.day)
                if zoom == "day"
                else f"{column.start.day} {MONTHS[column.start.month - 1][:3]}"
                if zoom == "week"
                else MONTHS[column.start.month - 1][:3]
            )
            column.group = (
                f"{MONTHS[column.start.month - 1][:3]} {column.start.year}"
                if zoom == "day"
                else str(column.start.year)
            )
        else:
            column = Column(
                columns[a].start, columns[b].end, columns[a].begins, columns[b].ends, gap=True
            )
            column.width = GAP_WIDTH
            column.label = "…"
            end = column.end - timedelta(days=1)
            column.period = f"nothing from {short_date(column.start)} to {short_date(end)}"
        column.x = x
        x += column.width
        drawn.append(column)
    return drawn


# Layout


def _period_end(start: datetime, precision: str, approximate: bool, zone: ZoneInfo) -> datetime:
    """The end of the period an imprecise date stands for (dates.py: a period's start, or for an
    approximate month its early/mid/late third)."""
    local = start.astimezone(zone).date()
    if precision == Precision.WEEK:
        return instant(local + timedelta(days=7), zone)
    if precision == Precision.MONTH:
        if approximate:
            third = min((local.day - 1) // 10, 2)
            begin = local.replace(day=third * 10 + 1)
            end = begin + timedelta(days=10) if third < 2 else _next(local.replace(day=1), "month")
            return instant(end, zone)
        return instant(_next(local.replace(day=1), "month"), zone)
    if precision == Precision.YEAR:
        return instant(date(local.year + 1, 1, 1), zone)
    return instant(local + timedelta(days=1), zone)


def _period_start(start: datetime, precision: str, approximate: bool, zone: ZoneInfo) -> datetime:
    if precision == Precision.MONTH and approximate:
        local = start.astimezone(zone).date()
        third = min((local.day - 1) // 10, 2)
        return instant(local.replace(day=third * 10 + 1), zone)
    return start


def build(session: Session, view: queries.View, ranking: Sequence[queries.ActorCount]) -> Lanes:
    """The lanes of a view, laid out; `ranking`: the actor facet's (see lane_actors)."""
    filters, zone = view.filters, view.zone
    actors, auto_actors = lane_actors(session, view, ranking)
    rows = lane_rows(session, view, actors)
    times = Times(view)
    names = {t.slug: (t.label, t.plural) for t in view.all_types}
    order = {t.slug: i for i, t in enumerate(view.all_types)}

    def ranked(counts: Counter[str]) -> list[tuple[str, str, int]]:
        return [
            (slug, names.get(slug, (slug, slug))[n != 1], n)
            for slug, n in sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], 99)))
        ]

    # The span: the dates asked for, or the events' first start to last start (or end).
    ends = [row[5] for row in rows if row[5] is not None]
    if rows:
        first = filters.date_from or _local_day(times, min(row[4] for row in rows), zone)
        last = filters.date_to or _local_day(times, max([*(row[4] for row in rows), *ends]), zone)
    else:
        first = last = filters.date_from or filters.date_to or date.today()
    last = max(first, last)
    day_count = (last - first).days + 1
    day_keys = [times.key(instant(first + timedelta(days=i), zone)) for i in range(day_count)]

    def day_of(key: Any) -> int:
        return min(max(bisect_right(day_keys, key) - 1, 0), day_count - 1)

    start_days = [day_of(row[4]) for row in rows]
    occupied = {first + timedelta(days=d) for d in {*start_days, *map(day_of, ends)}}
    zoom = _choose_zoom(first, last, occupied, start_days, max(1, len(actors)), filters)
    columns = _axis(first, last, {_column_start(day, zoom) for day in occupied}, zoom, zone)
    day_column, c = [], 0
    for d in range(day_count):
        while first + timedelta(days=d) >= columns[c].end:
            c += 1
        day_column.append(c)
    bounds = [column.begins for column in columns]

    def x_of(moment: datetime) -> float:
        column = columns[max(0, bisect_right(bounds, moment) - 1)]
        return round(column.x_at(moment), 1)

    # Events into cells: lane × the column of their start.
    cells: dict[tuple[int, int], list[Any]] = {}
    for row, day in zip(rows, start_days, strict=True):
        cells.setdefault((row[0], day_column[day]), []).append(row)
    fits = _fits(cells, columns)
    singles = [row[1] for (_, c), cell in cells.items() if len(cell) <= fits[c] for row in cell]
    detail = details(session, view, sorted(set(singles)))

    lanes = [
        Lane(actor, i, AXIS_HEIGHT + i * LANE_HEIGHT, cell_links(filters, actor.slug))
        for i, actor in enumerate(actors)
    ]
    totals: list[Counter[str]] = [Counter() for _ in actors]
    for (lane_index, slug), n in Counter((row[0], row[2]) for row in rows).items():
        totals[lane_index][slug] = n
    for lane, counts in zip(lanes, totals, strict=True):
        lane.total = sum(counts.values())
        lane.by_type = ranked(counts)

    positions: dict[int, list[tuple[float, float]]] = {}  # call or meeting → (x, y) per lane
    linked_types: dict[int, str] = {}
    for (lane_index, column_index), cell in sorted(cells.items(), key=lambda kv: kv[0][1]):
        lane, column = lanes[lane_index], columns[column_index]
        if len(cell) > fits[column_index]:
            by_type = ranked(Counter(row[2] for row in cell))
            lane.items.append(_aggregate(lane, column, len(cell), by_type))
            continue
        top = lane.y + (LANE_HEIGHT - ROWS * ROW_HEIGHT) / 2
        # Up to three at their time, one under the other; more, in a grid in time order
        # (top to bottom, then left to right), their exact times in their titles.
        grid = len(cell) > ROWS
        across = -(-len(cell) // ROWS)
        left = column.x + (column.width - across * PITCH) / 2 + PITCH / 2
        for number, row in enumerate(sorted(cell, key=lambda r: (r[4], r[1]))):
            y = top + ROW_HEIGHT * (number % ROWS) + ROW_HEIGHT / 2
            at = round(left + PITCH * (number // ROWS), 1) if grid else None
            mark = _mark(row, detail[row[1]], y, times, zone, x_of, names, at)
            lane.items.append(mark)
            if row[2] in LINKED_TYPES:
                positions.setdefault(row[1], []).append((mark.x, y))
                linked_types[row[1]] = row[2]

    for lane in lanes:
        lane.items.sort(key=lambda item: item.x)
        if lane.items:
            lane.items[0].tab_stop = True

    links = [
        Link(
            " ".join(f"{x},{y}" for x, y in sorted(at, key=lambda p: p[1])), linked_types[event_id]
        )
        for event_id, at in positions.items()
        if len(at) > 1
    ]
    latest = max((row[4] for row in rows if row[3] == Status.OCCURRED), default=None)
    ahead = latest is not None and any(row[3] in AHEAD and row[4] > latest for row in rows)
    groups: list[tuple[float, str]] = []
    for column in columns:
        if not column.gap and (not groups or groups[-1][1] != column.group):
            groups.append((column.x, column.group))
    return Lanes(
        lanes=lanes,
        columns=columns,
        zoom=zoom,
        auto_zoom=filters.zoom is None,
        auto_actors=auto_actors,
        zooms=[
            ZoomLink(z, z.capitalize(), filters.link(zoom=z), z == filters.zoom)
            for z in ("day", "week", "month")
        ],
        links=links,
        width=columns[-1].x + columns[-1].width + MARGIN,
        height=AXIS_HEIGHT + LANE_HEIGHT * len(lanes),
        latest_x=x_of(times.instant(latest)) if ahead else None,
        groups=groups,
    )


def _local_day(times: Times, value: Any, zone: ZoneInfo) -> date:
    return times.instant(value).astimezone(zone).date()


def _mark(
    row: Any,
    info: Detail,
    y: float,
    times: Times,
    zone: ZoneInfo,
    x_of: Any,
    names: dict[str, tuple[str, str]],
    at: float | None = None,
) -> Mark:
    """An event drawn on its own: `row` is (lane, id, type, status, start, end)."""
    _, event_id, type_slug, status, start_at, end_at = row
    start_at = times.instant(start_at)
    end_at = times.instant(end_at) if end_at is not None else None
    precise = info.start_precision in (Precision.MINUTE, Precision.HOUR)
    period = None
    if precise:
        x = x_of(start_at)
    elif info.start_precision == Precision.DAY and not info.start_approximate:
        day_end = _period_end(start_at, Precision.DAY, False, zone)
        x = round((x_of(start_at) + x_of(day_end)) / 2, 1)
    else:
        # Known only to the week, month or year (or roughly to the day): the period, faint, and
        # the mark at its start — never a day it pretends to.
        begin = _period_start(start_at, info.start_precision, info.start_approximate, zone)
        end = _period_end(start_at, info.start_precision, info.start_approximate, zone)
        period = (x_of(begin), x_of(end))
        x = x_of(start_at)
    if at is not None:
        x = at
    bar = None
    if end_at is not None:
        # A range ends at the end of its last minute, day or period.
        end_precision = info.end_precision or info.start_precision
        end = end_at
        if end_precision not in (Precision.MINUTE, Precision.HOUR):
            end = _period_end(end, end_precision, info.end_approximate, zone)
        bar = (x_of(start_at), max(x, x_of(end)))
    when = format_span(
        start_at,
        info.start_precision,
        info.start_approximate,
        end_at,
        info.end_precision,
        info.end_approximate,
        zone,
    )
    return Mark(
        id=event_id,
        href=f"/events/{event_id}/{info.slug}",
        title=info.title,
        when=when,
        type_slug=type_slug,
        type_label=names.get(type_slug, (type_slug, type_slug))[0],
        ahead=status in AHEAD,
        status=status,
        x=x,
        y=y,
        bar=bar,
        period=period,
    )


def _aggregate(
    lane: Lane,
    column: Column,
    count: int,
    by_type: list[tuple[str, str, int]],
) -> Aggregate:
    pad = 3.0
    top = lane.y + 5
    height = LANE_HEIGHT - 10
    segments, y = [], top
    # Stacked along the left edge, the most frequent on top; past the first few, one "other"
    # segment (the title names every type).
    shown = by_type[:AGGREGATE_TYPES] if len(by_type) <= AGGREGATE_TYPES + 1 else by_type[:3]
    parts = [(slug, n) for slug, _, n in shown]
    if len(shown) < len(by_type):
        parts.append(("other", sum(n for _, _, n in by_type[len(shown) :])))
    for slug, n in parts:
        share = height * n / count
        segments.append(Segment(slug, round(y, 1), round(share, 1)))
        y += share
    return Aggregate(
        count=count,
        by_type=by_type,
        href=lane.cell_link(column),
        period=column.period[:1].upper() + column.period[1:],
        x=column.x + pad,
        y=top,
        width=column.width - 2 * pad,
        height=height,
        segments=segments,
    )


_FROM, _TO = date(1, 1, 1), date(1, 1, 2)  # placeholders in a lane's cell link


def cell_links(filters: EventFilters, slug: str) -> Any:
    """The list of a lane's events in one column, as a function of the column: the same view,
    narrowed to the lane's actor and the column's dates (with match=all — a dyad, an actor's
    page — the actor is one more). The URL is made once per lane: making it is not free."""
    if filters.match == "all" or filters.pinned:
        actors = filters.actors if slug in filters.actors else (*filters.actors, slug)
    else:
        actors = (slug,)
    pattern = filters.link(view="list", zoom=None, actors=actors, date_from=_FROM, date_to=_TO)

    def link(column: Column) -> str:
        end = column.end - timedelta(days=1)
        date_from = max(column.start, filters.date_from) if filters.date_from else column.start
        date_to = min(end, filters.date_to) if filters.date_to else end
        return pattern.replace(f"from={_FROM}", f"from={date_from}", 1).replace(
            f"to={_TO}", f"to={date_to}", 1
        )

    return link
