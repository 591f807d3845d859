"""The overview strip above a timeline: the view's events over time, at a glance.

Events per day (per week or month when the span is long) stacked by type; events scheduled ahead
drawn hollow; ranges (a ten-day drill) as bars in a band under the bars. Honest about precision:
an event known only to the week, month or year is no spike on one day: it is a dashed bar over
its whole period in the band (counted there), and one known only to a month or year outside the
span of the rest is counted as "earlier" or "later" beside the chart. Every event of the view is
counted exactly once: the bins, the dashed periods, earlier and later add up to the heading's
total.

Everything is worked out here, the SVG geometry included, so the template only draws. Built from
`queries.conditions(view)`, so the strip shows exactly the filtered events, in at most four
grouped statements whatever the number of events (a view `as_of` a moment reads `view.past`).
"""

import calendar
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, Subquery, case, func, literal, select
from sqlalchemy.orm import Session

from app.dates import MONTHS, instant, short_date
from app.filters import EventFilters
from app.models import Event, EventType, Precision, Status
from app.queries import (
    WALK_FROM,
    View,
    conditions,
    count_events,
    overlapping,
    remembered,
    running,
    tally,
    unindexed,
)

DAY_BINS_UP_TO = 92  # days: a crisis zone of up to three months is shown day by day
WEEK_BINS_UP_TO = 731  # days: up to two years week by week (from Monday), months beyond
AHEAD = (Status.SCHEDULED.value, Status.POSTPONED.value)
# The precisions that place an event inside one bin of each unit.
FINE = {
    "day": (Precision.MINUTE, Precision.HOUR, Precision.DAY),
    "week": (Precision.MINUTE, Precision.HOUR, Precision.DAY, Precision.WEEK),
    "month": (Precision.MINUTE, Precision.HOUR, Precision.DAY, Precision.WEEK, Precision.MONTH),
}
# The span drawn is that of the events dated to the week or better: a background "2014" or "late
# December" would squeeze a crisis of days into a sliver; outside it, they are counted beside.
DATED = (Precision.MINUTE, Precision.HOUR, Precision.DAY, Precision.WEEK)
MAX_ROWS = 6  # rows of bars in the band
MAX_RANGES = 60  # ranges considered for drawing: the most important first
# SVG geometry, in viewBox units: the width stretches to the page; heights are CSS pixels.
WIDTH = 1000.0
HISTOGRAM = 88.0
ROW = 9.0
BAR = 6.0
BAND_GAP = 6.0
FAR_PAST = datetime(1, 1, 2, tzinfo=UTC)


class _Rounded:
    """Coordinates to two decimals: finer than any screen, and a lighter page."""

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height"):
            value = getattr(self, name, None)
            if value is not None:
                object.__setattr__(self, name, round(value, 2))


@dataclass(frozen=True)
class Segment(_Rounded):
    """One type's share of a bin or of a dashed period, filled or (scheduled ahead) hollow."""

    type_slug: str
    count: int
    ahead: bool
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Bin(_Rounded):
    start: date
    end: date  # inclusive
    label: str  # "Sat 12 Feb 2022", "Week of 7 Feb 2022", "February 2022"
    href: str
    total: int
    by_type: str  # "3 calls, 2 statements"
    description: str  # the label, the count and the types: the link's accessible name
    x: float
    width: float
    segments: list[Segment]


@dataclass(frozen=True)
class Bar(_Rounded):
    """A bar in the band under the bins: a range (solid, a link to its event) or a period that
    events are known only to (dashed, a link to the period's view, with its counts)."""

    kind: str  # "range" or "period"
    href: str
    description: str
    x: float
    y: float
    width: float
    type_slug: str = ""  # a range's type
    ahead: bool = False
    total: int = 0  # a period's events
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    """A line of the table that is the chart's text alternative."""

    start: date
    label: str
    href: str
    total: int
    by_type: str
    note: str = ""


@dataclass(frozen=True)
class Outside:
    """Events known only to a year before or after the span the chart draws."""

    label: str  # "2 earlier events (2014)"
    href: str
    description: str
    count: int
    by_type: str
    types: str  # "call:2 statement:1": what data-types says to tests and scripts


@dataclass(frozen=True)
class Tick:
    """A gridline at the start of a month (or a year), maybe labelled under the chart."""

    x: float  # viewBox units
    percent: float  # of the width, for the label
    label: str
    anchor: str = "start"  # the last day's label ends at the right edge


@dataclass(frozen=True)
class LegendItem:
    slug: str
    label: str


@dataclass(frozen=True)
class Overview:
    unit: str  # "day", "week" or "month"
    start: date
    end: date
    caption: str  # "Events per day, 15 Dec 2021 – 15 Feb 2022"
    start_label: str
    end_label: str
    peak: int  # the highest bin
    total: int  # every event counted: the heading's count
    bins: list[Bin]
    bars: list[Bar]
    ticks: list[Tick]
    height: float  # of the SVG, in CSS pixels
    histogram_height: float
    rows: list[Row]
    ranges: list[Bar]  # the ranges drawn, for the text alternative
    not_drawn: str  # "4 ranges and 1 period of 3 events did not fit under the chart…"
    not_drawn_types: str  # the events of the periods left out: "call:2 drill:1"
    earlier: Outside | None
    later: Outside | None
    legend: list[LegendItem]
    has_ahead: bool
    has_ranges: bool
    has_periods: bool
    whole_href: str | None  # with dates chosen: the way back to the whole crisis
    focus_index: int  # the bin that takes the chart's one tab stop


# What the database gives, grouped (or, `as_of`, what the past gives)


@dataclass(frozen=True)
class _Vague:
    """Events known only to a period coarser than a bin, grouped by that period."""

    type_slug: str
    ahead: bool
    precision: str
    approximate: bool
    start_at: datetime
    count: int


@dataclass(frozen=True)
class _Range:
    id: int
    slug: str
    title: str
    type_slug: str
    ahead: bool
    start_at: datetime
    end_at: datetime
    importance: int


@dataclass
class _Facts:
    binned: Counter[tuple[int, str, bool]]  # (bin, type, ahead) → events
    range_count: int  # ranges among the binned events
    vague: list[_Vague]
    ranges: list[_Range]  # the most important few


def overview(session: Session, view: View) -> Overview | None:
    """The strip of a view, or None when it has no event."""
    filters = view.filters
    # Added up from the kept counts (app/counting.py) when the view allows.
    days = tally(session, view, None, months=False)
    span = None
    if not (filters.date_from and filters.date_to):
        span = _span(session, view) if days is None else _tallied_span(session, view, days)
        if span is None:
            return None
    first = filters.date_from or span[0]  # type: ignore[index]
    last = filters.date_to or span[1]  # type: ignore[index]
    if last < first:
        last = first
    unit = _unit(first, last)
    starts = _bin_starts(first, last, unit)
    if view.past is not None:
        facts = _past_facts(session, view, unit, starts)
    elif days is not None:
        facts = _tallied_facts(session, view, unit, starts)
    else:
        facts = _facts(session, view, unit, starts)
    total = sum(facts.binned.values()) + sum(v.count for v in facts.vague)
    if total == 0:
        return None
    return _draw(view, unit, first, last, starts, facts, total)


def _span(session: Session, view: View) -> tuple[date, date] | None:
    """The first and last days to draw (`_extent`'s, in the crisis's zone)."""
    extent = _extent(session, view)
    if extent is None:
        return None
    return _local_day(extent[0], view.zone), _local_day(extent[1], view.zone)


def _tallied_span(session: Session, view: View, days: Subquery) -> tuple[date, date] | None:
    """`_span` from the kept counts by day: their first and last days (each an index walk
    that stops at the first row), and the last end of a range ending after them."""
    precisions = [p.value for p in DATED]

    def edge(dated: bool, last: bool) -> ScalarSelect:
        query = select(days.c.day).group_by(days.c.day).having(func.sum(days.c.events) > 0)
        if dated:
            query = query.where(days.c.start_precision.in_(precisions))
        return query.order_by(days.c.day.desc() if last else days.c.day).limit(1).scalar_subquery()

    low, high, any_low, any_high = remembered(
        session, select(edge(True, False), edge(True, True), edge(False, False), edge(False, True))
    )[0]
    only_dated = low is not None  # else no event is dated to the week or better: all count
    if not only_dated:
        low, high = any_low, any_high
    since = view.filters.date_from
    if high is None and since is None:
        return None
    # Only a range ending after the last day an event starts on can end later: their ids from
    # ix_events_end_start (few, at the end of a large view), each tested.
    after = instant(high + timedelta(days=1) if high is not None else since, view.zone)
    later = select(Event.id).where(Event.end_at >= after)
    big = count_events(session, view) > WALK_FROM
    ends = select(func.max(Event.end_at)).where(*conditions(view, walk=big), Event.id.in_(later))
    if only_dated:
        ends = ends.where(Event.start_precision.in_(precisions))
    end = _utc(remembered(session, ends)[0][0])
    days = [day for day in (high, end and _local_day(end, view.zone)) if day is not None]
    if not days:
        return None
    # Ranges under way at `from` start before it: `from` is the first day.
    return since or low, max(days)


def _extent(session: Session, view: View) -> tuple[datetime, datetime] | None:
    """The span to draw: from the first to the last moment of the view's events dated to the
    week or better (of all its events, if none is)."""
    if view.past is not None:
        events = view.past.matching(view)
        if not events:
            return None
        precisions = _past_precisions(session, view)
        dated = [e for e in events if precisions.get(e.id, ("day",))[0] in DATED]
        dated = dated or events
        return min(e.start_at for e in dated), max(e.end_at or e.start_at for e in dated)
    dated = Event.start_precision.in_([p.value for p in DATED])
    moment = func.coalesce(Event.end_at, Event.start_at)
    query = select(
        func.min(case((dated, Event.start_at))),
        func.max(case((dated, moment))),
        func.min(Event.start_at),
        func.max(moment),
    ).where(*conditions(view))
    row = remembered(session, query)[0]
    low, high, any_low, any_high = (_utc(value) for value in row)
    if any_low is None or any_high is None:
        return None
    if low is None or high is None:
        return any_low, any_high
    return low, high


def _utc(value: Any) -> Any:
    """Aggregates bypass the column type on SQLite: a naive text or datetime there is UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _unit(first: date, last: date) -> str:
    days = (last - first).days + 1
    return "day" if days <= DAY_BINS_UP_TO else "week" if days <= WEEK_BINS_UP_TO else "month"


def _bin_starts(first: date, last: date, unit: str) -> list[date]:
    """The first day of each bin (the first bin starts at `first`, clipped), and the day after
    the last: bins are whole weeks from Monday or whole months, cut to the span at its ends."""
    starts = [first]
    day = first
    while True:
        if unit == "day":
            day = day + timedelta(days=1)
        elif unit == "week":
            day = day + timedelta(days=7 - day.weekday())
        else:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day > last:
            break
        starts.append(day)
    return [*starts, last + timedelta(days=1)]


def _facts(session: Session, view: View, unit: str, starts: list[date]) -> _Facts:
    where = conditions(view)
    fine = [p.value for p in FINE[unit]]
    ahead = case((Event.status.in_(AHEAD), 1), else_=0)
    # The bin of each event's start, worked out in SQL by a binary search over the bins' first
    # instants (local midnights, as UTC instants: exact across daylight saving time and in any
    # zone), as nested CASEs: a few comparisons an event, and one row per bin, type and
    # status comes back, however many events. Events before the first bin (a range under way
    # when the chosen span starts) count in the first bin.
    boundaries = [instant(day, view.zone) for day in starts[1:-1]]
    binned = (
        select(
            _bin_of(Event.start_at, boundaries, 0).label("bin"),
            Event.type_slug.label("type_slug"),
            ahead.label("ahead"),
            Event.end_at.label("end_at"),
        )
        .where(*where, Event.start_precision.in_(fine))
        .subquery()
    )
    rows = remembered(
        session,
        select(
            binned.c.bin,
            binned.c.type_slug,
            binned.c.ahead,
            func.count(),
            func.count(binned.c.end_at),
        ).group_by(binned.c.bin, binned.c.type_slug, binned.c.ahead),
    )
    counts: Counter[tuple[int, str, bool]] = Counter()
    range_count = 0
    for bin_index, type_slug, is_ahead, count, ranges in rows:
        counts[(int(bin_index), type_slug, bool(is_ahead))] += count
        range_count += ranges
    # Events known only to a coarser period share their stored instant (its start): grouped.
    vague_rows = remembered(
        session,
        select(
            Event.type_slug, ahead, Event.start_precision, Event.start_approximate,
            Event.start_at, func.count(),
        )
        .where(*where, Event.start_precision.not_in(fine))
        .group_by(
            Event.type_slug, ahead, Event.start_precision, Event.start_approximate,
            Event.start_at,
        ),
    )  # fmt: skip
    vague = [
        _Vague(t, bool(a), p, bool(approx), _utc(start_at), n)
        for t, a, p, approx, start_at, n in vague_rows
    ]
    return _Facts(counts, range_count, vague, _top_ranges(session, view, unit))


def _top_ranges(session: Session, view: View, unit: str, walk: bool = False) -> list[_Range]:
    """The ranges to draw: asked even when there are none (a fixed number of statements a
    page). Those of a window of days are found among the ranges overlapping it (from
    ix_events_end_start: a few thousand at most); those of a large view (`walk`) by testing
    each range of ix_events_ranges in order of importance; else by sorting the view's."""
    filters = view.filters
    window = bool(filters.date_from and filters.date_to)
    where = [
        *conditions(view, walk=walk or window),
        Event.start_precision.in_([p.value for p in FINE[unit]]),
        Event.end_at.is_not(None),
    ]
    importance = (
        Event.importance if walk and not window else unindexed(Event.importance, view.dialect)
    )
    if window:
        since = instant(filters.date_from, view.zone)  # type: ignore[arg-type]
        until = instant(filters.date_to + timedelta(days=1), view.zone)  # type: ignore[operator]
        where.append(overlapping(view, since, until))
    ahead = case((Event.status.in_(AHEAD), 1), else_=0)
    query = (
        select(
            Event.id, Event.slug, Event.title, Event.type_slug, ahead, Event.start_at,
            Event.end_at, Event.importance,
        )
        .where(*where)
        # The most important first and, among as important, the latest.
        .order_by(importance.desc(), Event.start_at.desc(), Event.id.desc())
        .limit(MAX_RANGES)
    )  # fmt: skip
    return [_Range(*row[:4], bool(row[4]), *row[5:]) for row in remembered(session, query)]


def _tallied_facts(session: Session, view: View, unit: str, starts: list[date]) -> _Facts:
    """`_facts` from the kept counts: a day's bin is that of its midnight (by month, months);
    ranges under way at `from` began before the first bin and count in it."""
    fine = [p.value for p in FINE[unit]]
    binned: Counter[tuple[int, str, bool]] = Counter()
    vague: Counter[tuple] = Counter()
    range_count = 0
    # Each day's bin by the same tree of CASEs as `_facts`, over days: one row per bin, type
    # and status come back.
    rows = tally(session, view, None, months=unit == "month")
    assert rows is not None
    ahead = case((rows.c.status.in_(AHEAD), 1), else_=0)
    columns = [_bin_of(rows.c.day, starts[1:-1], 0), rows.c.type_slug, ahead]
    query = select(*columns, func.sum(rows.c.events), func.sum(rows.c.ranges))
    query = query.where(rows.c.start_precision.in_(fine)).group_by(*columns)
    for index, type_slug, is_ahead, n, ranges in remembered(session, query):
        binned[(int(index), type_slug, bool(is_ahead))] += n
        range_count += ranges
    # Events known to a coarser period: by the day their period starts (a month's first, or
    # a year's, unless bins are days and weeks are coarser).
    rows = tally(session, view, None, months=unit != "day")
    assert rows is not None
    ahead = case((rows.c.status.in_(AHEAD), 1), else_=0)
    columns = [
        rows.c.day, rows.c.type_slug, ahead, rows.c.start_precision, rows.c.start_approximate,
    ]  # fmt: skip
    query = select(*columns, func.sum(rows.c.events)).where(rows.c.start_precision.not_in(fine))
    for day, type_slug, is_ahead, precision, approximate, n in remembered(
        session, query.group_by(*columns)
    ):
        start_at = instant(day, view.zone)
        vague[(type_slug, bool(is_ahead), precision, bool(approximate), start_at)] += n
    if view.filters.date_from:  # ranges under way at `from`: all in the first bin
        columns = [
            Event.type_slug, Event.status, Event.start_precision, Event.start_approximate,
            Event.start_at,
        ]  # fmt: skip
        query = select(*columns, func.count()).where(*running(view, None)).group_by(*columns)
        for type_slug, status, precision, approximate, start_at, n in remembered(session, query):
            if precision in fine:
                binned[(0, type_slug, status in AHEAD)] += n
                range_count += n
            else:
                key = (type_slug, status in AHEAD, precision, bool(approximate), _utc(start_at))
                vague[key] += n
    walk = count_events(session, view) > WALK_FROM
    return _Facts(
        Counter({key: n for key, n in binned.items() if n}),
        range_count,
        [_Vague(*key, n) for key, n in vague.items() if n],
        _top_ranges(session, view, unit, walk=walk),
    )


def _bin_of(column: Any, boundaries: Sequence[Any], offset: int) -> ColumnElement[int]:
    """The index of the bin holding `column`: a balanced tree of CASEs over the boundaries
    (instants for a start, days for a day)."""
    if not boundaries:
        return literal(offset)
    middle = len(boundaries) // 2
    return case(
        (
            column < literal(boundaries[middle], column.type),
            _bin_of(column, boundaries[:middle], offset),
        ),
        else_=_bin_of(column, boundaries[middle + 1 :], offset + middle + 1),
    )


def _past_precisions(session: Session, view: View) -> dict[int, tuple]:
    """(start precision, approximate, title, importance, slug) of the events of a
    view `as_of` a moment, as they stood: the past holds no precision, so read it (once a view)."""
    past = view.past
    assert past is not None
    found = getattr(past, "_overview_precisions", None)
    if found is None:
        names = ("start_precision", "start_approximate", "title", "importance", "slug")
        query = select(Event.id, *[getattr(Event, name) for name in names])
        rows = session.execute(query.where(Event.published_at <= past.at))
        found = {row[0]: tuple(row[1:]) for row in rows}
        for then in past.events.values():
            if then.revised is not None:
                found[then.id] = tuple(then.revised.columns[name] for name in names)
        past._overview_precisions = found  # type: ignore[attr-defined]
    return found


def _past_facts(session: Session, view: View, unit: str, starts: list[date]) -> _Facts:
    """As `_facts`, from the timeline as it stood (app/as_of.py): in Python, like every other
    count of such a view."""
    assert view.past is not None
    known = _past_precisions(session, view)
    boundaries = [instant(day, view.zone) for day in starts[1:-1]]
    fine = {p.value for p in FINE[unit]}
    counts: Counter[tuple[int, str, bool]] = Counter()
    vague: Counter[tuple] = Counter()
    ranges: list[_Range] = []
    range_count = 0
    for then in view.past.matching(view):
        precision, approximate, title, importance, slug = known.get(
            then.id, ("day", False, "", 2, "")
        )
        ahead = then.status in AHEAD
        if precision in fine:
            counts[(bisect_right(boundaries, then.start_at), then.type_slug, ahead)] += 1
            if then.end_at is not None:
                range_count += 1
                ranges.append(
                    _Range(then.id, slug, title, then.type_slug, ahead, then.start_at,
                           then.end_at, importance)
                )  # fmt: skip
        else:
            key = (then.type_slug, ahead, precision, bool(approximate), then.start_at)
            vague[key] += 1
    ranges.sort(key=lambda r: (-r.importance, -r.start_at.timestamp(), -r.id))  # as in SQL
    return _Facts(
        counts,
        range_count,
        [_Vague(*key, count) for key, count in vague.items()],
        ranges[:MAX_RANGES],
    )


# Drawing


def _draw(
    view: View,
    unit: str,
    first: date,
    last: date,
    starts: list[date],
    facts: _Facts,
    total: int,
) -> Overview:
    filters = view.filters
    zone = view.zone
    types = list(view.all_types)
    order = {t.slug: i for i, t in enumerate(types)}
    by_slug = {t.slug: t for t in types}
    span_days = (last - first).days + 1

    def x_of(day: date) -> float:
        return (day - first).days / span_days * WIDTH

    def x_at(moment: datetime) -> float:
        local = moment.astimezone(zone).replace(tzinfo=None)
        days = (local - datetime.combine(first, time())).total_seconds() / 86400
        return min(max(days / span_days * WIDTH, 0.0), WIDTH)

    per_bin: dict[int, list[tuple[str, bool, int]]] = {}
    for (index, type_slug, ahead), count in facts.binned.items():
        per_bin.setdefault(index, []).append((type_slug, ahead, count))
    totals = [sum(c for _, _, c in per_bin.get(i, [])) for i in range(len(starts) - 1)]
    peak = max(totals, default=0) or 1

    bins: list[Bin] = []
    rows: list[Row] = []
    for index, (start, after) in enumerate(zip(starts, starts[1:], strict=False)):
        end = after - timedelta(days=1)
        x0, x1 = x_of(start), x_of(after)
        gap = min((x1 - x0) * 0.12, 2.0)
        parts = sorted(per_bin.get(index, []), key=lambda p: (p[1], order.get(p[0], 99)))
        segments, y = [], HISTOGRAM
        for type_slug, ahead, count in parts:
            height = count / peak * (HISTOGRAM - 4)
            y -= height
            segments.append(
                Segment(type_slug, count, ahead, x0 + gap, y, x1 - x0 - 2 * gap, height)
            )
        label = _bin_label(start, end, unit)
        counts = _by_type(parts)
        total_here = totals[index]
        text = _types_text(counts, by_slug, order)
        ahead_count = sum(c for _, a, c in parts if a)
        description = f"{label}: {_events(total_here)}"
        if total_here:
            description += f" — {text}"
        if ahead_count:
            description += f" ({ahead_count:,} scheduled)"
        href = filters.link(date_from=start, date_to=end)
        bins.append(
            Bin(start, end, label, href, total_here, text, description, x0, x1 - x0, segments)
        )
        if total_here:
            note = f"{ahead_count:,} scheduled" if ahead_count else ""
            rows.append(Row(start, label, href, total_here, text, note))

    # The band: periods that events are known only to (with their counts), then ranges.
    periods: dict[tuple[date, date], list[_Vague]] = {}
    for vague in facts.vague:
        periods.setdefault(_period(vague, zone), []).append(vague)
    earlier: list[_Vague] = []
    later: list[_Vague] = []
    candidates: list[tuple[float, float, Bar]] = []
    for (p_start, p_end), members in sorted(periods.items()):
        if p_end < first:
            earlier += members
            continue
        if p_start > last:
            later += members
            continue
        parts = [(v.type_slug, v.ahead, v.count) for v in members]
        counts = _by_type(parts)
        count = sum(counts.values())
        label = _period_label(members[0], p_start, p_end, zone)
        text = _types_text(counts, by_slug, order)
        href = filters.link(date_from=max(p_start, first), date_to=min(p_end, last))
        description = f"{label} (no more precise date): {_events(count)} — {text}"
        x0, x1 = x_of(max(p_start, first)), x_of(min(p_end, last) + timedelta(days=1))
        bar = Bar("period", href, description, x0, 0.0, max(x1 - x0, 3.0), total=count)
        segments, x = [], bar.x
        ordered = sorted(parts, key=lambda p: (p[1], order.get(p[0], 99)))
        for type_slug, ahead, n in ordered:
            width = n / count * bar.width
            segments.append(Segment(type_slug, n, ahead, x, 0.0, width, BAR))
            x += width
        bar = replace(bar, segments=segments)
        candidates.append((bar.x, bar.x + bar.width, bar))
        note = "date known only to this period"
        rows.append(Row(p_start, label[:1].upper() + label[1:], href, count, text, note))
    range_bars: list[Bar] = []
    for item in facts.ranges:
        x0, x1 = x_at(item.start_at), x_at(item.end_at)
        when = _range_text(item, zone)
        type_label = by_slug[item.type_slug].label if item.type_slug in by_slug else ""
        status = ", scheduled" if item.ahead else ""
        description = f"{item.title} ({type_label.lower()}{status}), {when}"
        href = f"/events/{item.id}/{item.slug}" if item.slug else f"/events/{item.id}"
        bar = Bar("range", href, description, x0, 0.0, max(x1 - x0, 3.0), item.type_slug,
                  item.ahead)  # fmt: skip
        range_bars.append(bar)
        candidates.append((bar.x, bar.x + bar.width, bar))

    placed, left_out = _pack(candidates)
    periods_left = sum(1 for bar in left_out if bar.kind == "period")
    events_left = sum(bar.total for bar in left_out)
    left_parts = [(seg.type_slug, seg.ahead, seg.count) for bar in left_out for seg in bar.segments]
    ranges_left = facts.range_count - sum(1 for bar in placed if bar.kind == "range")
    band_rows = max((int((bar.y - HISTOGRAM - BAND_GAP) // ROW) + 1 for bar in placed), default=0)
    height = HISTOGRAM + (BAND_GAP + band_rows * ROW if band_rows else 0) + 2

    rows.sort(key=lambda row: row.start)
    outside = {
        "earlier": _outside(earlier, "earlier", filters, first, by_slug, order, zone),
        "later": _outside(later, "later", filters, last, by_slug, order, zone),
    }
    present_types = {s for (_, s, _) in facts.binned} | {v.type_slug for v in facts.vague}
    legend = [LegendItem(t.slug, t.label) for t in types if t.slug in present_types]
    noun = {"day": "day", "week": "week", "month": "month"}[unit]
    caption = f"Events per {noun}, {short_date(first)} – {short_date(last)}"
    not_drawn = _not_drawn(ranges_left, periods_left, events_left)
    non_empty = [i for i, b in enumerate(bins) if b.total]
    return Overview(
        unit=unit,
        start=first,
        end=last,
        caption=caption,
        start_label=short_date(first),
        end_label=short_date(last),
        peak=max(totals, default=0),
        total=total,
        bins=bins,
        bars=placed,
        ticks=_ticks(first, last, x_of),
        height=height,
        histogram_height=HISTOGRAM,
        rows=rows,
        ranges=[bar for bar in placed if bar.kind == "range"],
        not_drawn=not_drawn,
        not_drawn_types=" ".join(f"{slug}:{n}" for slug, n in sorted(_by_type(left_parts).items())),
        earlier=outside["earlier"],
        later=outside["later"],
        legend=legend,
        has_ahead=any(a for (_, _, a) in facts.binned) or any(v.ahead for v in facts.vague),
        has_ranges=any(bar.kind == "range" for bar in placed),
        has_periods=any(bar.kind == "period" for bar in placed),
        whole_href=filters.link(date_from=None, date_to=None)
        if filters.date_from or filters.date_to
        else None,
        focus_index=non_empty[-1] if non_empty else 0,
    )


def _ticks(first: date, last: date, x_of: Any) -> list[Tick]:
    """Gridlines at month starts (year starts over long spans), labelled where labels fit:
    the first day, then months (every third, or Januaries, when there are many)."""
    months = (last.year - first.year) * 12 + last.month - first.month
    if (last - first).days < 45:  # a few weeks: Mondays, and the last day
        return _day_ticks(first, last, x_of)
    step = 1 if months <= 30 else 12
    labelled = 1 if months <= 8 else 3 if months <= 30 else 12
    marks: list[tuple[float, str]] = []
    day = date(first.year, first.month, 1)
    while True:
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day > last:
            break
        if (day.month - 1) % step == 0:
            name = MONTHS[day.month - 1][:3]
            text = str(day.year) if step == 12 else f"{name} {day.year}" if day.month == 1 else name
            marks.append((x_of(day), text if (day.month - 1) % labelled == 0 else ""))
    name = MONTHS[first.month - 1][:3]
    first_label = name if first.day == 1 else f"{first.day} {name}"
    if marks and marks[0][0] < 80:
        first_label = ""  # the first month's name is near: it says enough
    ticks = [Tick(0.0, 0.0, first_label)]
    shown = 0.0 if first_label else -1000.0
    for x, text in marks:
        fits = bool(text) and x - shown >= 80 and x <= 920
        ticks.append(Tick(x, round(x / WIDTH * 100, 2), text if fits else ""))
        shown = x if fits else shown
    return ticks


def _day_ticks(first: date, last: date, x_of: Any) -> list[Tick]:
    def name(day: date) -> str:
        return f"{day.day} {MONTHS[day.month - 1][:3]}"

    ticks = [Tick(0.0, 0.0, name(first))]
    day = first + timedelta(days=7 - first.weekday())
    while day <= last:
        x = x_of(day)
        fits = x - ticks[0].x >= 80 and x <= 880 and all(x - t.x >= 80 for t in ticks if t.label)
        ticks.append(Tick(x, round(x / WIDTH * 100, 2), name(day) if fits else ""))
        day += timedelta(days=7)
    if last > first and all(WIDTH - t.x >= 120 for t in ticks if t.label):
        ticks.append(Tick(WIDTH, 100.0, name(last), "end"))
    return ticks


def _pack(candidates: list[tuple[float, float, Bar]]) -> tuple[list[Bar], list[Bar]]:
    """Bars into at most MAX_ROWS rows, each in the first row where it overlaps nothing, in the
    order given (periods, which carry counts, before ranges; ranges by importance)."""
    ends: list[list[tuple[float, float]]] = [[] for _ in range(MAX_ROWS)]
    placed, left_out = [], []
    for x0, x1, bar in candidates:
        for number, row in enumerate(ends):
            if all(x1 + 2 <= a or x0 >= b + 2 for a, b in row):
                row.append((x0, x1))
                y = HISTOGRAM + BAND_GAP + number * ROW
                segments = [replace(s, y=y) for s in bar.segments]
                placed.append(replace(bar, y=y, segments=segments))
                break
        else:
            left_out.append(bar)
    return placed, left_out


def _not_drawn(ranges: int, periods: int, events: int) -> str:
    parts = []
    if ranges:
        parts.append(f"{ranges:,} {'range' if ranges == 1 else 'ranges'}")
    if periods:
        noun = "period" if periods == 1 else "periods"
        parts.append(f"{periods:,} {noun} of {_events(events)} known only roughly")
    if not parts:
        return ""
    return " and ".join(parts) + " did not fit under the chart; the list shows them all."


def _outside(
    members: list[_Vague],
    side: str,
    filters: EventFilters,
    edge: date,
    by_slug: dict[str, EventType],
    order: dict[str, int],
    zone: ZoneInfo,
) -> Outside | None:
    if not members:
        return None
    counts = _by_type([(v.type_slug, v.ahead, v.count) for v in members])
    count = sum(counts.values())
    years = sorted({v.start_at.astimezone(zone).year for v in members})
    when = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    if side == "earlier":
        href = filters.link(date_from=None, date_to=edge - timedelta(days=1))
    else:
        href = filters.link(date_from=edge + timedelta(days=1), date_to=None)
    noun = "event" if count == 1 else "events"
    description = (
        f"{count:,} {side} {noun}, known only to the month or year ({when}): "
        f"{_types_text(counts, by_slug, order)}"
    )
    text = _types_text(counts, by_slug, order)
    types = " ".join(f"{slug}:{n}" for slug, n in sorted(counts.items()))
    return Outside(f"{count:,} {side} {noun} ({when})", href, description, count, text, types)


def _by_type(parts: list[tuple[str, bool, int]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for type_slug, _, count in parts:
        counts[type_slug] = counts.get(type_slug, 0) + count
    return counts


def _types_text(counts: dict[str, int], by_slug: dict[str, EventType], order: dict[str, int]):
    """'3 calls, 2 statements, 1 drill', in the vocabulary's order."""
    words = []
    for slug in sorted(counts, key=lambda s: order.get(s, 99)):
        count = counts[slug]
        kind = by_slug.get(slug)
        name = (kind.label if count == 1 else kind.plural) if kind else slug
        words.append(f"{count:,} {name.lower()}")
    return ", ".join(words)


def _events(count: int) -> str:
    return f"{count:,} {'event' if count == 1 else 'events'}" if count else "no events"


def _bin_label(start: date, end: date, unit: str) -> str:
    if unit == "day":
        return f"{start:%a} {short_date(start)}"
    whole_week = unit == "week" and start.weekday() == 0 and (end - start).days == 6
    last_day = calendar.monthrange(start.year, start.month)[1]
    whole_month = unit == "month" and start.day == 1 and end.day == last_day
    if whole_week:
        return f"Week of {short_date(start)}"
    if whole_month:
        return f"{MONTHS[start.month - 1]} {start.year}"
    return _days_text(start, end)


def _days_text(start: date, end: date) -> str:
    if start == end:
        return short_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{short_date(end)}"
    if start.year == end.year:
        return f"{start.day} {MONTHS[start.month - 1][:3]} – {short_date(end)}"
    return f"{short_date(start)} – {short_date(end)}"


def _period_end(day: date, precision: str, approximate: bool) -> date:
    """The last day of the period an instant stored at `day` stands for."""
    match precision:
        case Precision.WEEK:
            return day + timedelta(days=6)
        case Precision.MONTH:
            last = calendar.monthrange(day.year, day.month)[1]
            if approximate:  # early 1–10, mid 11–20, late 21–end (app/dates.py)
                return day.replace(day=10 if day.day <= 10 else 20 if day.day <= 20 else last)
            return day.replace(day=last)
        case Precision.YEAR:
            return date(day.year, 12, 31)
    return day


def _period(vague: _Vague, zone: ZoneInfo) -> tuple[date, date]:
    """The days an event known only roughly may have started on (a range started then too: it
    is counted where it started, as a range known to the day is)."""
    day = _local_day(vague.start_at, zone)
    start = day
    if vague.precision == Precision.MONTH and vague.approximate:
        start = day.replace(day=1 if day.day <= 10 else 11 if day.day <= 20 else 21)
    return start, _period_end(day, vague.precision, vague.approximate)


def _period_label(vague: _Vague, start: date, end: date, zone: ZoneInfo) -> str:
    day = _local_day(vague.start_at, zone)
    around = "around " if vague.approximate and vague.precision != Precision.MONTH else ""
    match vague.precision:
        case Precision.WEEK:
            return f"{around}week of {short_date(day)}"
        case Precision.MONTH:
            month = f"{MONTHS[day.month - 1]} {day.year}"
            if not vague.approximate:
                return month
            return f"{'early' if day.day <= 10 else 'mid' if day.day <= 20 else 'late'} {month}"
        case Precision.YEAR:
            return f"{around}{day.year}"
    return _days_text(start, end)


def _range_text(item: _Range, zone: ZoneInfo) -> str:
    return _days_text(_local_day(item.start_at, zone), _local_day(item.end_at, zone))
