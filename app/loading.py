"""Loading a crisis from Brink's TOML data file: validated whole, then written in one transaction.

Records are matched by their keys (actor slug, source key, event key), so loading the same file
twice changes nothing, and loading a corrected file updates the events in place, ids kept.
"""

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from app import counting, editing, search
from app.dates import instant
from app.db import analyze, write_session
from app.editing import record_loaded_actor, record_loaded_event, slugify
from app.models import (
    Actor,
    ActorAlias,
    ActorFormerSlug,
    ActorKind,
    Citation,
    Event,
    EventActor,
    EventRelation,
    EventType,
    Precision,
    RelationKind,
    Role,
    Source,
    Status,
    Verification,
)

SAMPLE = Path(__file__).resolve().parent / "sample_data" / "russia-ukraine-2022.toml"
Key = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=120)]
Text = Annotated[str, Field(min_length=1, max_length=300)]


class LoadError(Exception):
    """The file cannot be loaded; each problem reads 'file:line: what is wrong'."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SourceRecord(Record):
    key: Key
    publisher: Text
    title: Annotated[str, Field(min_length=1, max_length=500)]
    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000)] | None = None
    published: date | None = None


class ActorRecord(Record):
    slug: Key
    name: Text
    kind: ActorKind
    aliases: list[Text] = []
    parent: Key | None = None
    description: str = ""
    # Slugs it had before: links made with them redirect, and an actor in the database under
    # one of them is this actor, renamed.
    former_slugs: list[Key] = []


class ActorRef(Record):
    slug: Key
    role: Role


class CitationRecord(Record):
    key: Key
    quote: Annotated[str, Field(max_length=1000)] | None = None


class RelationRecord(Record):
    relation: RelationKind
    event: Key


class EventRecord(Record):
    key: Key
    title: Text
    type: Key
    status: Status = Status.OCCURRED
    verification: Verification = Verification.CONFIRMED
    start: datetime | date
    precision: Precision | None = None
    approximate: bool = False
    end: datetime | date | None = None
    end_precision: Precision | None = None
    end_approximate: bool = False
    place: Text | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    timezone: str | None = None
    importance: Annotated[int, Field(ge=1, le=3)] = 2
    summary: str = ""
    actors: Annotated[list[ActorRef], Field(min_length=1)]
    sources: Annotated[list[CitationRecord], Field(min_length=1)]
    relations: list[RelationRecord] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(f"unknown time zone {value!r}") from error
        return value


class CrisisFile(Record):
    sources: list[SourceRecord] = []
    actors: list[ActorRecord] = []
    events: list[EventRecord] = []


@dataclass
class LoadReport:
    created: dict[str, int] = field(
        default_factory=lambda: {"actors": 0, "sources": 0, "events": 0}
    )
    updated: dict[str, int] = field(
        default_factory=lambda: {"actors": 0, "sources": 0, "events": 0}
    )

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def _table_lines(text: str) -> dict[str, list[int]]:
    """Line numbers of each [[table]] header, so a problem in events[3] can name its line."""
    lines: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*\[\[\s*([A-Za-z_]+)\s*\]\]", line)
        if match:
            lines.setdefault(match.group(1), []).append(number)
    return lines


def read_file(path: Path) -> CrisisFile:
    """Parse and validate a data file, or raise LoadError listing every problem with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError([f"{path}: cannot read: {error}"]) from error
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise LoadError([f"{path}:{line.group(1) if line else 1}: {error}"]) from error
    try:
        crisis = CrisisFile.model_validate(raw)
    except ValidationError as error:
        raise LoadError(_describe(path, text, error.errors())) from error
    problems = _check_references(path, text, crisis)
    if problems:
        raise LoadError(problems)
    return crisis


def _describe(path: Path, text: str, errors: Sequence[Any]) -> list[str]:
    tables = _table_lines(text)
    problems = []
    for error in errors:
        location = error["loc"]
        line = 1
        if len(location) >= 2 and isinstance(location[1], int):
            headers = tables.get(str(location[0]), [])
            line = headers[location[1]] if location[1] < len(headers) else 1
        where = ".".join(str(part) for part in location)
        problems.append(f"{path}:{line}: {where}: {error['msg']}")
    return problems


def _check_references(path: Path, text: str, crisis: CrisisFile) -> list[str]:
    """Keys unique, and every slug or key a record names defined in the file."""
    tables = _table_lines(text)
    problems: list[str] = []

    def report(table: str, index: int, message: str) -> None:
        headers = tables.get(table, [])
        line = headers[index] if index < len(headers) else 1
        problems.append(f"{path}:{line}: {table}[{index}]: {message}")

    seen_actors: set[str] = set()
    for index, actor in enumerate(crisis.actors):
        if actor.slug in seen_actors:
            report("actors", index, f"actor {actor.slug!r} is defined twice")
        if actor.parent and actor.parent not in seen_actors:
            report("actors", index, f"parent {actor.parent!r} must be defined above its members")
        seen_actors.add(actor.slug)
    seen_former: set[str] = set()
    for index, actor in enumerate(crisis.actors):
        for former in actor.former_slugs:
            if former in seen_actors:
                report("actors", index, f"former slug {former!r} is an actor's current slug")
            elif former in seen_former:
                report("actors", index, f"former slug {former!r} is given twice")
            seen_former.add(former)
    source_keys = [source.key for source in crisis.sources]
    for index, key in enumerate(source_keys):
        if key in source_keys[:index]:
            report("sources", index, f"source {key!r} is defined twice")
    event_keys = [event.key for event in crisis.events]
    for index, event in enumerate(crisis.events):
        if event.key in event_keys[:index]:
            report("events", index, f"event {event.key!r} is defined twice")
        for ref in event.actors:
            if ref.slug not in seen_actors:
                report("events", index, f"unknown actor {ref.slug!r}")
        if len({ref.slug for ref in event.actors}) < len(event.actors):
            report("events", index, "an actor is listed twice")
        for citation in event.sources:
            if citation.key not in source_keys:
                report("events", index, f"unknown source {citation.key!r}")
        for relation in event.relations:
            if relation.event not in event_keys:
                report("events", index, f"unknown related event {relation.event!r}")
            elif relation.event == event.key:
                report("events", index, "an event cannot relate to itself")
        if (event.lat is None) != (event.lon is None):
            report("events", index, "give both lat and lon, or neither")
        if event.end_precision and event.end is None:
            report("events", index, "end_precision given without an end")
        if event.end is not None and _day(event.end) < _day(event.start):
            report("events", index, "the end comes before the start")
    return problems


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def load_file(engine: Engine, path: Path, zone: ZoneInfo) -> LoadReport:
    """Validate the whole file, then write it in one transaction: all of it or nothing."""
    crisis = read_file(path)
    report = LoadReport()
    with write_session(engine) as session:
        known_types = set(session.scalars(select(EventType.slug)))
        unknown = [
            f"{path}: events[{index}]: unknown type {event.type!r}"
            for index, event in enumerate(crisis.events)
            if event.type not in known_types
        ]
        unknown += _former_slugs_in_use(session, path, crisis.actors)
        if unknown:
            raise LoadError(unknown)
        actors = _load_actors(session, crisis.actors, report)
        session.flush()
        editing.refresh_actor_members(session.connection())
        sources = _load_sources(session, crisis.sources, report)
        events = _load_events(session, crisis.events, actors, sources, zone, report)
        # Search documents hold actor names and source titles too, so refresh every event the
        # file touches, and every event of its actors.
        involved = select(EventActor.event_id).where(
            EventActor.actor_id.in_([actor.id for actor in actors.values()])
        )
        search.reindex(session.connection(), {*events, *session.scalars(involved)})
    analyze(engine)
    return report


def _set(row: Any, **values: Any) -> bool:
    """Assign only what differs, so an unchanged record stays untouched (and keeps updated_at)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _former_slugs_in_use(session: Session, path: Path, records: Sequence[ActorRecord]) -> list[str]:
    """A former slug may not be the current slug of another actor in the database: its links
    would lead there. (It may be this actor's own, when the file renames it.)"""
    formers = [slug for record in records for slug in record.former_slugs]
    if not formers:
        return []
    slugs = [record.slug for record in records]
    in_use = set(session.scalars(select(Actor.slug).where(Actor.slug.in_(formers + slugs))))
    problems = []
    for index, record in enumerate(records):
        clashes = [slug for slug in record.former_slugs if slug in in_use]
        if record.slug not in in_use:
            clashes = clashes[1:]  # the first is this actor, renamed (as _load_actors does)
        problems += [
            f"{path}: actors[{index}]: former slug {slug!r} is the slug of another actor"
            for slug in clashes
        ]
    return problems


def _load_actors(
    session: Session, records: Sequence[ActorRecord], report: LoadReport
) -> dict[str, Actor]:
    slugs = [record.slug for record in records]
    formers = [slug for record in records for slug in record.former_slugs]
    query = select(Actor).where(Actor.slug.in_(slugs + formers))
    existing = {a.slug: a for a in session.scalars(query.options(selectinload(Actor.former_slugs)))}
    touched: list[tuple[Actor, bool]] = []
    # A former slug the database gives to another actor moves to the one the file gives it to.
    held = select(ActorFormerSlug).where(ActorFormerSlug.slug.in_(formers))
    former_rows = {row.slug: row for row in session.scalars(held)}
    # Not flushed halfway: a former slug moving to another actor is never an orphan.
    with session.no_autoflush:
        for record in records:
            actor = existing.get(record.slug)
            if actor is None:
                # Renamed: in the database under a slug the file now lists as a former one.
                renamed_from = next((s for s in record.former_slugs if s in existing), None)
                if renamed_from is not None:
                    actor = existing[record.slug] = existing.pop(renamed_from)
            is_new = actor is None
            if actor is None:
                actor = existing[record.slug] = Actor(slug=record.slug)
                session.add(actor)
            changed = _set(
                actor,
                slug=record.slug,
                name=record.name,
                kind=record.kind.value,
                description=record.description,
                parent=existing[record.parent] if record.parent else None,
            )
            if actor.alias_names != record.aliases:
                actor.aliases = [
                    ActorAlias(name=name, position=i) for i, name in enumerate(record.aliases)
                ]
                changed = True
            if sorted(former.slug for former in actor.former_slugs) != sorted(record.former_slugs):
                actor.former_slugs = [
                    former_rows.get(slug) or ActorFormerSlug(slug=slug)
                    for slug in sorted(record.former_slugs)
                ]
                changed = True
            if is_new:
                report.created["actors"] += 1
            elif changed:
                report.updated["actors"] += 1
            if is_new or changed:
                touched.append((actor, is_new))
    session.flush()
    for actor, is_new in touched:
        record_loaded_actor(session, actor, created=is_new)
    return existing


def _load_sources(
    session: Session, records: Sequence[SourceRecord], report: LoadReport
) -> dict[str, Source]:
    keys = [record.key for record in records]
    existing = {s.key: s for s in session.scalars(select(Source).where(Source.key.in_(keys)))}
    for record in records:
        source = existing.get(record.key)
        is_new = source is None
        if source is None:
            source = existing[record.key] = Source(key=record.key)
            session.add(source)
        changed = _set(
            source,
            publisher=record.publisher,
            title=record.title,
            url=record.url,
            published_on=record.published,
        )
        if is_new:
            report.created["sources"] += 1
        elif changed:
            report.updated["sources"] += 1
    session.flush()
    return existing


def _load_events(
    session: Session,
    records: Sequence[EventRecord],
    actors: dict[str, Actor],
    sources: dict[str, Source],
    crisis_zone: ZoneInfo,
    report: LoadReport,
) -> list[int]:
    keys = [record.key for record in records]
    existing = {e.key: e for e in session.scalars(select(Event).where(Event.key.in_(keys)))}
    # What the file's events counted as stored, taken away; added back below as written.
    counting.count(session.connection(), [event.id for event in existing.values()], -1)
    created: set[str] = set()
    updated: set[str] = set()
    now = datetime.now(UTC)
    for record in records:
        event = existing.get(record.key)
        if event is None:
            event = existing[record.key] = Event(key=record.key, published=True, published_at=now)
            session.add(event)
            created.add(record.key)
        changed = _set(event, **_event_fields(record, crisis_zone))
        changed |= _sync_actor_links(event, record, actors)
        changed |= _sync_citations(event, record, sources)
        if changed:
            updated.add(record.key)
    session.flush()  # new events get their ids, which relations point at
    for record in records:
        if _sync_relations(existing[record.key], record, existing):
            updated.add(record.key)
    session.flush()
    counting.count(session.connection(), [event.id for event in existing.values()])
    for key in sorted(created | updated, key=keys.index):
        record_loaded_event(session, existing[key], crisis_zone, created=key in created)
    report.created["events"] += len(created)
    report.updated["events"] += len(updated - created)
    return [event.id for event in existing.values()]


def _event_fields(record: EventRecord, crisis_zone: ZoneInfo) -> dict[str, Any]:
    """Column values for a record. Clock times are read in the place's zone, when it has one;
    bare dates are days of the crisis calendar."""
    clock_zone = ZoneInfo(record.timezone) if record.timezone else crisis_zone

    def point(value: datetime | date, precision: Precision | None) -> tuple[datetime, str]:
        if isinstance(value, datetime):
            return instant(value, clock_zone), precision or Precision.MINUTE
        return instant(value, crisis_zone), precision or Precision.DAY

    start_at, start_precision = point(record.start, record.precision)
    end_at, end_precision = None, None
    if record.end is not None:
        end_at, end_precision = point(record.end, record.end_precision or record.precision)
    return {
        "slug": slugify(record.title),
        "title": record.title,
        "summary": record.summary.strip(),
        "type_slug": record.type,
        "status": record.status.value,
        "verification": record.verification.value,
        "start_at": start_at,
        "start_precision": str(start_precision),
        "start_approximate": record.approximate,
        "end_at": end_at,
        "end_precision": str(end_precision) if end_precision else None,
        "end_approximate": record.end_approximate,
        "place_name": record.place,
        "place_lat": record.lat,
        "place_lon": record.lon,
        "timezone": record.timezone,
        "importance": record.importance,
    }


def _sync_actor_links(event: Event, record: EventRecord, actors: dict[str, Actor]) -> bool:
    wanted = [(actors[ref.slug], ref.role.value) for ref in record.actors]
    current = [(link.actor, link.role) for link in event.actor_links]
    if [(a.id, r) for a, r in current] == [(a.id, r) for a, r in wanted]:
        return False
    by_actor = {link.actor_id: link for link in event.actor_links}
    links = []
    for position, (actor, role) in enumerate(wanted):
        link = by_actor.get(actor.id) or EventActor(actor=actor)
        link.role, link.position = role, position
        links.append(link)
    event.actor_links = links
    return True


def _sync_citations(event: Event, record: EventRecord, sources: dict[str, Source]) -> bool:
    wanted = [(sources[c.key], c.quote) for c in record.sources]
    current = [(c.source, c.quote) for c in event.citations]
    if [(s.id, q) for s, q in current] == [(s.id, q) for s, q in wanted]:
        return False
    by_source = {citation.source_id: citation for citation in event.citations}
    citations = []
    for position, (source, quote) in enumerate(wanted):
        citation = by_source.get(source.id) or Citation(source=source)
        citation.quote, citation.position = quote, position
        citations.append(citation)
    event.citations = citations
    return True


def _sync_relations(event: Event, record: EventRecord, events: dict[str, Event]) -> bool:
    wanted = {(events[r.event].id, r.relation.value) for r in record.relations}
    current = {(r.to_event_id, r.relation) for r in event.relations_out}
    if wanted == current:
        return False
    event.relations_out = [r for r in event.relations_out if (r.to_event_id, r.relation) in wanted]
    for to_id, relation in sorted(wanted - current):
        event.relations_out.append(EventRelation(to_event_id=to_id, relation=relation))
    return True
