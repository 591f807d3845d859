"""The counts behind totals, facets and the overview (models.EventCount by day and
EventMonthCount by month), kept in step with the events: every writer subtracts what the
events it changes counted before and adds what they count after, in the same transaction, so
a count read from them always equals the list it leads to. A facet over a million events then
adds up a few thousand rows instead of reading every event.

Days are local days in the crisis's zone (a `from`/`to` filter's days), worked out by the
database: PostgreSQL's `timezone()`, and on SQLite a function registered on each connection
(app/db.py). The zone is stored with the counts; `ensure` rebuilds them for another one.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    Select,
    case,
    cast,
    delete,
    distinct,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
)

from app.models import ActorMember, CountZone, Event, EventActor, EventCount, EventMonthCount

_KEY = [
    "actor_id", "day", "type_slug", "status", "verification", "start_precision",
    "start_approximate",
]  # fmt: skip
CHUNK = 500  # event ids per statement (SQLite allows 32,766 parameters; this stays far off)
TABLES = (EventCount, EventMonthCount)
Counts = type[EventCount] | type[EventMonthCount]


def sqlite_local_day(start_at: str | None, zone: str) -> str | None:
    """SQLite's brink_local_day(start_at, zone): the day a stored UTC instant falls on."""
    return None if start_at is None else _day_of_minute(start_at[:16], zone)


@lru_cache(maxsize=65_536)
def _day_of_minute(minute: str, zone: str) -> str:
    # Every zone's offset is whole minutes: the minute decides the day. A rebuild asks for
    # millions, mostly a few minutes over and over (each event once per actor).
    moment = datetime.fromisoformat(minute).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def _local_day(connection: Connection, zone: str, table: Counts) -> ColumnElement:
    """The day of an event's start in `zone`, or (event_month_counts) its month's first."""
    if connection.dialect.name == "postgresql":
        local = func.timezone(zone, Event.start_at)
        if table is EventMonthCount:
            local = func.date_trunc("month", local)
        return cast(local, Date)
    day = func.brink_local_day(Event.start_at, zone, type_=Date)
    if table is EventMonthCount:
        return func.date(day, "start of month", type_=Date)
    return day


def zone_of(connection: Connection) -> str | None:
    """The zone the counts are kept in; None when they are not built."""
    return connection.scalar(select(CountZone.zone))


def _contributions(
    connection: Connection, zone: str, table: Counts, *where: ColumnElement[bool], sign: int = 1
) -> list[Select]:
    """What the published events selected by `where` count (times `sign`), as rows of the
    table's key with their events and ranges: one statement for actor 0, one for every actor
    they name or are below. Both walk the events and look their links up, not the other way
    round: a rebuild then reads the events table once, in order."""
    day = _local_day(connection, zone, table).label("day")
    columns = [
        day, Event.type_slug, Event.status, Event.verification, Event.start_precision,
        Event.start_approximate,
    ]  # fmt: skip
    published = Event.published.is_(True)
    every = select(literal(0), *columns, sign * func.count(), sign * func.count(Event.end_at))
    every = every.where(published, *where).group_by(*columns)
    # An event naming Putin and Lavrov counts once for Russia.
    ranged = case((Event.end_at.is_not(None), Event.id))
    named = (
        select(
            ActorMember.actor_id,
            *columns,
            sign * func.count(distinct(Event.id)),
            sign * func.count(distinct(ranged)),
        )
        .select_from(Event)
        .join(EventActor, EventActor.event_id == Event.id)
        .join(ActorMember, ActorMember.member_id == EventActor.actor_id)
        .where(published, *where)
        .group_by(ActorMember.actor_id, *columns)
    )
    return [every, named]


_COLUMNS = [*_KEY, "events", "ranges"]


def _add(connection: Connection, zone: str, *where: ColumnElement[bool], sign: int) -> None:
    """Rows adding what the events selected by `where` count, times `sign`, at both levels."""
    for table in TABLES:
        for rows in _contributions(connection, zone, table, *where, sign=sign):
            connection.execute(insert(table).from_select(_COLUMNS, rows))


def count(connection: Connection, event_ids: Iterable[int], sign: int = 1) -> None:
    """Add (sign 1) or take away (sign -1) what these events count as the database holds them
    now: take away before changing them, add after. Nothing to do before `ensure` built the
    counts."""
    zone = zone_of(connection)
    ids = sorted(set(event_ids))
    if zone is None or not ids:
        return
    for start in range(0, len(ids), CHUNK):
        _add(connection, zone, Event.id.in_(ids[start : start + CHUNK]), sign=sign)


def count_range(connection: Connection, first_id: int, last_id: int) -> None:
    """Add what the events with ids first_id…last_id count: a bulk write's new events."""
    zone = zone_of(connection)
    if zone is not None:
        _add(connection, zone, Event.id.between(first_id, last_id), sign=1)


def recount_actors(connection: Connection, actor_ids: Iterable[int]) -> None:
    """Count these actors' events again: after their members changed (editing.refresh_actor_
    members). The rows of every event (actor 0) do not depend on actors."""
    zone = zone_of(connection)
    ids = sorted(set(actor_ids) - {0})
    if zone is None or not ids:
        return
    mine = select(ActorMember.member_id).where(ActorMember.actor_id.in_(ids))
    linked = select(EventActor.event_id).where(EventActor.actor_id.in_(mine))
    for table in TABLES:
        named = _contributions(connection, zone, table, Event.id.in_(linked))[1]
        chosen = named.where(ActorMember.actor_id.in_(ids))
        _replace(connection, table, table.actor_id.in_(ids), chosen)


def newest_rows(connection: Connection) -> dict[str, int]:
    """Each table's newest row id: what `compact` can be told to leave alone."""
    return {t.__tablename__: connection.scalar(select(func.max(t.id))) or 0 for t in TABLES}


def compact(connection: Connection, after: dict[str, int] | None = None) -> None:
    """Merge the rows of each combination into one (dropping those adding up to nothing); only
    the rows newer than `after` (newest_rows before a bulk write, whose chunks each added
    their own), or every row."""
    postgresql = connection.dialect.name == "postgresql"
    for table in TABLES:
        oldest = (after or {}).get(table.__tablename__, 0)
        newest = connection.scalar(select(func.max(table.id)))
        if newest is None or newest <= oldest:
            continue
        chosen = table.id.between(oldest + 1, newest)
        # On PostgreSQL one statement, so one snapshot: rows other writers commit meanwhile
        # are neither merged nor deleted. SQLite has one writer at a time.
        source: Any = (
            delete(table).where(chosen).returning(*table.__table__.columns).cte()
            if postgresql
            else select(table).where(chosen).subquery()
        )
        key = [source.c[name] for name in _KEY]
        events, ranges = func.sum(source.c.events), func.sum(source.c.ranges)
        merged = select(*key, events, ranges).group_by(*key).having(or_(events != 0, ranges != 0))
        statement = insert(table).from_select(_COLUMNS, merged)
        if postgresql:
            connection.execute(statement.add_cte(source))
        else:
            connection.execute(statement)
            connection.execute(delete(table).where(chosen))


def _replace(
    connection: Connection, table: Counts, where: ColumnElement[bool], rows: Select
) -> None:
    """Delete the table's rows selected by `where` and insert `rows` instead."""
    if connection.dialect.name == "postgresql":
        # One statement, so one snapshot: a writer committing in between would be counted twice.
        gone = delete(table).where(where).returning(table.id).cte("gone")
        connection.execute(insert(table).from_select(_COLUMNS, rows).add_cte(gone))
        return
    connection.execute(delete(table).where(where))
    connection.execute(insert(table).from_select(_COLUMNS, rows))


def rebuild(connection: Connection, zone: str) -> None:
    """Count every event again, in days of `zone`."""
    for table in TABLES:
        connection.execute(delete(table))
    connection.execute(delete(CountZone))
    connection.execute(insert(CountZone).values(zone=zone))
    for rows in _contributions(connection, zone, EventCount):
        connection.execute(insert(EventCount).from_select(_COLUMNS, rows))
    # Months from the days: a few million rows, not the events again.
    if connection.dialect.name == "postgresql":
        month = cast(func.date_trunc("month", EventCount.day), Date)
    else:
        month = func.date(EventCount.day, "start of month", type_=Date)
    key = [month, *[getattr(EventCount, name) for name in _KEY if name not in ("actor_id", "day")]]
    months = select(
        EventCount.actor_id, *key, func.sum(EventCount.events), func.sum(EventCount.ranges)
    ).group_by(EventCount.actor_id, *key)
    connection.execute(insert(EventMonthCount).from_select(_COLUMNS, months))


def ensure(engine: Engine, zone: ZoneInfo) -> str | None:
    """Build the counts unless they are kept in `zone` already; the zone they are in, or None
    for a database without the tables (not migrated yet)."""
    if not inspect(engine).has_table(CountZone.__tablename__):
        return None
    with engine.connect() as connection:
        if zone_of(connection) == zone.key:
            return zone.key
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting at once: the second waits, then finds them built.
            connection.exec_driver_sql("LOCK TABLE event_count_zone IN EXCLUSIVE MODE")
        if zone_of(connection) != zone.key:
            rebuild(connection, zone.key)
    return zone.key
