"""Writing events, actors and sources: one validation, one save, one revision, for every way in.

The edit forms, the write API and `brink import` all go through here. Input arrives as an
`EventInput` / `ActorInput` / `SourceInput` (the shape of a revision's snapshot, so restoring a
version is saving its snapshot again). Anything wrong is an `EditError` naming each bad field; a
save from an older version than the stored one is a `Conflict`; nothing is written in either
case. Every saved change to an event or an actor raises its version and records a `Revision`.
"""

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from app import counting, live, search
from app.dates import format_point, instant
from app.models import (
    Actor,
    ActorAlias,
    ActorFormerSlug,
    ActorKind,
    ActorMember,
    Citation,
    Event,
    EventActor,
    EventRelation,
    EventType,
    Precision,
    RelationKind,
    Revision,
    Role,
    Source,
    Status,
    User,
    Verification,
    utcnow,
)

Text = Annotated[str, Field(min_length=1, max_length=300)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=120)]
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")


def slugify(text: str) -> str:
    """'Biden and Putin speak by phone' → 'biden-and-putin-speak-by-phone'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "event"


class EditError(ValueError):
    """Input that cannot be saved: `errors` maps each field ("title", "actors.1.role") to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass
class Conflict(Exception):
    """The record changed since the editor (or API client) read it: nothing was saved."""

    expected: int  # the version they started from
    current: int  # the version stored now
    changed_by: str | None  # who made the newest revision, if anyone known
    changed_at: datetime | None
    changes: list[dict[str, Any]]  # what differs between their base and the stored version

    def __str__(self) -> str:
        who = self.changed_by or "someone"
        return f"changed by {who} since version {self.expected} (now version {self.current})"


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ActorLink(Input):
    actor: Annotated[int | str, Field(description="The actor's id or slug.")]
    role: Role = Role.PARTICIPANT


class CitationInput(Input):
    source: Annotated[int, Field(description="The source's id.")]
    quote: Annotated[str, Field(max_length=1000)] | None = None


class RelationInput(Input):
    relation: RelationKind
    event: Annotated[int, Field(description="The related event's id; read 'this <relation> it'.")]


class EventInput(Input):
    """An event as editors write it. Times are local: in `timezone` when the place has one,
    otherwise in the crisis's zone; a date without a time is a day."""

    title: Text
    summary: Annotated[str, Field(max_length=20000)] = ""
    type: Slug
    status: Status = Status.OCCURRED
    verification: Verification = Verification.CONFIRMED
    start: Annotated[str, Field(description="YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time.")]
    precision: Precision | None = None
    approximate: bool = False
    end: str | None = None
    end_precision: Precision | None = None
    end_approximate: bool = False
    place: Annotated[str, Field(max_length=200)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    timezone: str | None = None
    importance: Annotated[int, Field(ge=1, le=3)] = 2
    actors: Annotated[list[ActorLink], Field(min_length=1, max_length=50)]
    sources: Annotated[list[CitationInput], Field(max_length=50)] = []
    relations: Annotated[list[RelationInput], Field(max_length=50)] = []

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _LOCAL_TIME.match(value):
            raise ValueError("use YYYY-MM-DD or YYYY-MM-DDTHH:MM")
        try:
            datetime.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a real date") from error
        return value.replace(" ", "T")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("place")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class ActorInput(Input):
    name: Text
    slug: Slug | None = None  # made from the name when not given
    kind: ActorKind
    parent: Annotated[int | str | None, Field(description="The parent's id or slug.")] = None
    aliases: Annotated[list[Text], Field(max_length=50)] = []
    description: Annotated[str, Field(max_length=5000)] = ""


class SourceInput(Input):
    publisher: Text
    title: Annotated[str, Field(min_length=1, max_length=500)]
    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000)] | None = None
    published: date | None = None

    @field_validator("url", mode="before")
    @classmethod
    def _blank_url(cls, value: Any) -> Any:
        return value or None


InputT = TypeVar("InputT", bound="Input")


def parse(model: type[InputT], data: Any) -> InputT:
    """Validate raw input (a form's fields, a JSON body) or raise EditError by field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise EditError(field_errors(error)) from error


def field_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "input"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "missing" or (
            problem["type"] == "string_too_short" and problem.get("ctx", {}).get("min_length") == 1
        ):
            message = "This is required."
        elif problem["type"] == "too_short":
            message = "Add at least one."
        elif problem["type"] == "extra_forbidden":
            message = "Unknown field."
        errors.setdefault(field, message)
    return errors


# Reading a record back as input: the snapshot a revision keeps


def event_input(event: Event, crisis_zone: ZoneInfo) -> EventInput:
    clock_zone = ZoneInfo(event.timezone) if event.timezone else crisis_zone

    def local(at: datetime, precision: str) -> str:
        if precision in (Precision.MINUTE, Precision.HOUR):
            return at.astimezone(clock_zone).strftime("%Y-%m-%dT%H:%M")
        return at.astimezone(crisis_zone).date().isoformat()

    return EventInput(
        title=event.title,
        summary=event.summary,
        type=event.type_slug,
        status=Status(event.status),
        verification=Verification(event.verification),
        start=local(event.start_at, event.start_precision),
        precision=Precision(event.start_precision),
        approximate=event.start_approximate,
        end=local(event.end_at, event.end_precision or event.start_precision)
        if event.end_at
        else None,
        end_precision=Precision(event.end_precision) if event.end_precision else None,
        end_approximate=event.end_approximate,
        place=event.place_name,
        lat=event.place_lat,
        lon=event.place_lon,
        timezone=event.timezone,
        importance=event.importance,
        actors=[ActorLink(actor=link.actor_id, role=Role(link.role)) for link in event.actor_links],
        sources=[CitationInput(source=c.source_id, quote=c.quote) for c in event.citations],
        relations=[
            RelationInput(relation=RelationKind(r.relation), event=r.to_event_id)
            for r in sorted(event.relations_out, key=lambda r: (r.to_event_id, r.relation))
        ],
    )


def actor_input(actor: Actor) -> ActorInput:
    return ActorInput(
        name=actor.name,
        slug=actor.slug,
        kind=ActorKind(actor.kind),
        parent=actor.parent_id,
        aliases=actor.alias_names,
        description=actor.description,
    )


def source_input(source: Source) -> SourceInput:
    return SourceInput(
        publisher=source.publisher,
        title=source.title,
        url=source.url,
        published=source.published_on,
    )


# Loading for writing


def load_event(session: Session, event_id: int) -> Event | None:
    """An event with everything its snapshot needs, locked for the rest of the transaction."""
    query = (
        select(Event)
        .where(Event.id == event_id)
        .options(
            selectinload(Event.actor_links),
            selectinload(Event.citations),
            selectinload(Event.relations_out),
        )
        .with_for_update(of=Event)
    )
    return session.scalars(query).first()


def load_actor(session: Session, actor_id: int) -> Actor | None:
    query = (
        select(Actor)
        .where(Actor.id == actor_id)
        .options(selectinload(Actor.aliases))
        .with_for_update(of=Actor)
    )
    return session.scalars(query).first()


def find_actor(session: Session, ref: int | str) -> Actor | None:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return session.get(Actor, int(ref))
    return session.scalars(select(Actor).where(Actor.slug == ref)).first()


# Events


def event_columns(data: EventInput, crisis_zone: ZoneInfo) -> dict[str, Any]:
    """An event's column values for `data`: a time is read in the place's zone (or the
    crisis's), a bare date is a day of the crisis's calendar."""
    clock_zone = ZoneInfo(data.timezone) if data.timezone else crisis_zone

    def point(text: str, precision: Precision | None) -> tuple[datetime, str]:
        value = datetime.fromisoformat(text)
        if "T" in text:
            return instant(value, clock_zone), str(precision or Precision.MINUTE)
        return instant(value.date(), crisis_zone), str(precision or Precision.DAY)

    start_at, start_precision = point(data.start, data.precision)
    end_at, end_precision = None, None
    if data.end:
        end_at, end_precision = point(data.end, data.end_precision or data.precision)
    return {
        "slug": slugify(data.title),
        "title": data.title,
        "summary": data.summary.strip(),
        "type_slug": data.type,
        "status": data.status.value,
        "verification": data.verification.value,
        "start_at": start_at,
        "start_precision": start_precision,
        "start_approximate": data.approximate,
        "end_at": end_at,
        "end_precision": end_precision,
        "end_approximate": data.end_approximate if data.end else False,
        "place_name": data.place,
        "place_lat": data.lat,
        "place_lon": data.lon,
        "timezone": data.timezone,
        "importance": data.importance,
    }


def _resolve_event(
    session: Session, data: EventInput, crisis_zone: ZoneInfo, event_id: int | None
) -> dict[str, Any]:
    """Check `data` against the database; the column values and links to write, or EditError."""
    errors: dict[str, str] = {}
    if session.get(EventType, data.type) is None:
        errors["type"] = f"Unknown event type {data.type!r}."
    actors: list[tuple[Actor, str]] = []
    seen: set[int] = set()
    for index, link in enumerate(data.actors):
        actor = find_actor(session, link.actor)
        if actor is None:
            errors[f"actors.{index}.actor"] = f"There is no actor {link.actor!r}."
        elif actor.id in seen:
            errors[f"actors.{index}.actor"] = f"{actor.name} is listed twice."
        else:
            seen.add(actor.id)
            actors.append((actor, link.role.value))
    sources: list[tuple[Source, str | None]] = []
    for index, citation in enumerate(data.sources):
        source = session.get(Source, citation.source)
        if source is None:
            errors[f"sources.{index}.source"] = f"There is no source {citation.source}."
        elif any(s.id == source.id for s, _ in sources):
            errors[f"sources.{index}.source"] = "This source is cited twice."
        else:
            sources.append((source, citation.quote or None))
    relations: set[tuple[int, str]] = set()
    for index, relation in enumerate(data.relations):
        other = session.get(Event, relation.event)
        # A trashed event may still be related to: readers see only published neighbours, and
        # the link comes back with it when it is restored.
        if other is None:
            errors[f"relations.{index}.event"] = f"There is no event {relation.event}."
        elif relation.event == event_id:
            errors[f"relations.{index}.event"] = "An event cannot relate to itself."
        else:
            relations.add((relation.event, relation.relation.value))
    columns = event_columns(data, crisis_zone)
    errors.update(event_problems(data, columns))
    if errors:
        raise EditError(errors)
    return {
        "columns": columns,
        "actors": actors,
        "sources": sources,
        "relations": relations,
    }


def event_problems(data: EventInput, columns: dict[str, Any]) -> dict[str, str]:
    """What is wrong with an event's own values, whatever the database holds (the import checks
    many events' links at once, then each one's values here)."""
    errors: dict[str, str] = {}
    if (data.lat is None) != (data.lon is None):
        errors["lon" if data.lon is None else "lat"] = (
            "Give both latitude and longitude, or neither."
        )
    if data.end_precision and not data.end:
        errors["end_precision"] = "There is no end date to give a precision to."
    if columns["start_precision"] in (Precision.MINUTE, Precision.HOUR) and "T" not in data.start:
        errors["precision"] = f"A {columns['start_precision']} precision needs a time of day."
    if columns["end_at"] is not None and columns["end_at"] < columns["start_at"]:
        errors["end"] = "The end comes before the start."
    return errors


def _write_event(event: Event, resolved: dict[str, Any]) -> None:
    for name, value in resolved["columns"].items():
        if getattr(event, name) != value:
            setattr(event, name, value)
    by_actor = {link.actor_id: link for link in event.actor_links}
    links = []
    for position, (actor, role) in enumerate(resolved["actors"]):
        link = by_actor.get(actor.id) or EventActor(actor=actor)
        link.role, link.position = role, position
        links.append(link)
    event.actor_links = links
    by_source = {citation.source_id: citation for citation in event.citations}
    citations = []
    for position, (source, quote) in enumerate(resolved["sources"]):
        citation = by_source.get(source.id) or Citation(source=source)
        citation.quote, citation.position = quote, position
        citations.append(citation)
    event.citations = citations
    wanted: set[tuple[int, str]] = resolved["relations"]
    kept = [r for r in event.relations_out if (r.to_event_id, r.relation) in wanted]
    have = {(r.to_event_id, r.relation) for r in kept}
    event.relations_out = kept + [
        EventRelation(to_event_id=to_id, relation=relation)
        for to_id, relation in sorted(wanted - have)
    ]


@contextmanager
def _recounted(session: Session, event: Event) -> Iterator[None]:
    """Around a change to an event: take away what it counted (app/counting.py) as stored,
    and add what it counts once the change is flushed (new links get their ids then too)."""
    counting.count(session.connection(), [event.id], -1)
    yield
    session.flush()
    counting.count(session.connection(), [event.id])


def create_event(
    session: Session,
    data: EventInput,
    crisis_zone: ZoneInfo,
    user_id: int | None,
    *,
    publish: bool,
    note: str = "",
    action: str = "create",
    id: int | None = None,
) -> Event:
    """A new event, published now or kept as a draft, with its first revision. `id` is for
    imports that keep a file's ids (on PostgreSQL the caller then moves the id sequence on)."""
    resolved = _resolve_event(session, data, crisis_zone, None)
    now = utcnow()
    event = Event(id=id, published=publish, published_at=now if publish else None, version=1)
    event.actor_links, event.citations, event.relations_out = [], [], []
    _write_event(event, resolved)
    session.add(event)
    session.flush()
    counting.count(session.connection(), [event.id])
    _record_event(session, event, None, crisis_zone, user_id, action, note, public=False)
    search.reindex(session.connection(), {event.id})
    return event


def update_event(
    session: Session,
    event: Event,
    data: EventInput,
    crisis_zone: ZoneInfo,
    user_id: int | None,
    *,
    expected_version: int | None,
    note: str = "",
    correction: bool = False,
    action: str = "edit",
) -> bool:
    """Save `data` over `event` (from load_event); False when nothing differed.

    `expected_version` is the version the editor started from: a newer stored version is a
    Conflict. A correction, and any change of status, goes into the public corrections log.
    """
    check_version(session, "event", event.id, event.version, expected_version)
    before = event_input(event, crisis_zone)
    resolved = _resolve_event(session, data, crisis_zone, event.id)
    with _recounted(session, event):
        _write_event(event, resolved)
    if event_input(event, crisis_zone) == before:
        return False  # the same values (actors named by slug instead of id, say): no revision
    event.version += 1
    session.flush()
    status_changed = before.status != data.status
    public = event.published_at is not None and (correction or status_changed)
    _record_event(session, event, before, crisis_zone, user_id, action, note, public=public)
    search.reindex(session.connection(), {event.id})
    return True


def publish_event(
    session: Session, event: Event, crisis_zone: ZoneInfo, user_id: int | None, note: str = ""
) -> None:
    """Put a draft before readers, stamping the publication time (a republished event keeps its
    first one)."""
    if event.published or event.deleted_at is not None:
        return
    with _recounted(session, event):
        event.published = True
        event.published_at = event.published_at or utcnow()
    event.version += 1
    _record_event(session, event, None, crisis_zone, user_id, "publish", note, public=False)


def unpublish_event(
    session: Session, event: Event, crisis_zone: ZoneInfo, user_id: int | None, note: str = ""
) -> None:
    """Take a published event back to the drafts."""
    if not event.published:
        return
    with _recounted(session, event):
        event.published = False
    event.version += 1
    _record_event(session, event, None, crisis_zone, user_id, "unpublish", note, public=False)


def delete_event(
    session: Session, event: Event, crisis_zone: ZoneInfo, user_id: int | None, note: str = ""
) -> None:
    """Move an event to the trash: hidden from readers, its URL answering 410."""
    if event.deleted_at is not None:
        return
    was_published = event.published
    with _recounted(session, event):
        event.deleted_at = utcnow()
        event.published = False
    event.version += 1
    # The revision keeps whether it was published, for restore_event.
    _record_event(
        session, event, None, crisis_zone, user_id, "delete", note, public=False,
        published=was_published,
    )  # fmt: skip


def restore_event(
    session: Session, event: Event, crisis_zone: ZoneInfo, user_id: int | None, note: str = ""
) -> None:
    """Take an event out of the trash, as published (or draft) as it was before."""
    if event.deleted_at is None:
        return
    deleted = session.scalars(
        select(Revision)
        .where(Revision.entity == "event", Revision.entity_id == event.id)
        .where(Revision.action == "delete")
        .order_by(Revision.version.desc())
        .limit(1)
    ).first()
    with _recounted(session, event):
        event.deleted_at = None
        event.published = bool(deleted and deleted.snapshot.get("_published"))
    event.version += 1
    _record_event(session, event, None, crisis_zone, user_id, "undelete", note, public=False)


def revert_event(
    session: Session,
    event: Event,
    version: int,
    crisis_zone: ZoneInfo,
    user_id: int | None,
    *,
    expected_version: int | None,
    note: str = "",
) -> bool:
    """Restore an earlier version's fields; the restore is itself a new revision."""
    old = get_revision(session, "event", event.id, version)
    if old is None:
        raise EditError({"version": f"There is no version {version} of this event."})
    data = parse(EventInput, _fields(old.snapshot))
    note = note or f"Restored version {version}."
    return update_event(
        session,
        event,
        data,
        crisis_zone,
        user_id,
        expected_version=expected_version,
        note=note,
        action="restore",
    )


# Actors


def _resolve_actor(session: Session, data: ActorInput, actor_id: int | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    slug = data.slug or slugify(data.name)
    clash = session.scalars(select(Actor.id).where(Actor.slug == slug)).first()
    if clash is not None and clash != actor_id:
        errors["slug"] = f"The slug {slug!r} belongs to another actor."
    parent = None
    if data.parent is not None and data.parent != "":
        parent = find_actor(session, data.parent)
        if parent is None:
            errors["parent"] = f"There is no actor {data.parent!r}."
        elif actor_id is not None and _is_within(session, parent, actor_id):
            errors["parent"] = "An actor cannot belong to itself or to one of its members."
    aliases = list(dict.fromkeys(a for a in data.aliases if a))
    if errors:
        raise EditError(errors)
    return {"slug": slug, "parent": parent, "aliases": aliases}


def _is_within(session: Session, actor: Actor, actor_id: int) -> bool:
    seen: set[int] = set()
    current: Actor | None = actor
    while current is not None and current.id not in seen:
        if current.id == actor_id:
            return True
        seen.add(current.id)
        current = current.parent
    return False


def _write_actor(actor: Actor, data: ActorInput, resolved: dict[str, Any]) -> None:
    actor.name = data.name
    actor.slug = resolved["slug"]
    actor.kind = data.kind.value
    actor.description = data.description.strip()
    actor.parent = resolved["parent"]
    if actor.alias_names != resolved["aliases"]:
        # Keep the rows of aliases that stay: a new row with the same name would be inserted
        # before the old one is deleted, against the unique (actor, name).
        by_name = {alias.name: alias for alias in actor.aliases}
        aliases = []
        for position, name in enumerate(resolved["aliases"]):
            alias = by_name.get(name) or ActorAlias(name=name)
            alias.position = position
            aliases.append(alias)
        actor.aliases = aliases


def create_actor(
    session: Session,
    data: ActorInput,
    user_id: int | None,
    note: str = "",
    action: str = "create",
    id: int | None = None,
) -> Actor:
    resolved = _resolve_actor(session, data, None)
    actor = Actor(id=id, version=1)
    actor.aliases = []
    _write_actor(actor, data, resolved)
    session.add(actor)
    session.flush()
    refresh_actor_members(session.connection())
    _record_actor(session, actor, None, user_id, action, note)
    return actor


def update_actor(
    session: Session,
    actor: Actor,
    data: ActorInput,
    user_id: int | None,
    *,
    expected_version: int | None,
    note: str = "",
    action: str = "edit",
) -> bool:
    check_version(session, "actor", actor.id, actor.version, expected_version)
    before = actor_input(actor)
    resolved = _resolve_actor(session, data, actor.id)
    parent = resolved["parent"]
    after = data.model_copy(
        update={"slug": resolved["slug"], "parent": parent.id if parent else None}
    )
    if after.model_dump() == before.model_dump():
        return False
    old_slug = actor.slug
    _write_actor(actor, data, resolved)
    if old_slug != actor.slug:
        _keep_former_slug(session, actor, old_slug)
    actor.version += 1
    session.flush()
    refresh_actor_members(session.connection())  # the parent may have changed
    _record_actor(session, actor, before, user_id, action, note)
    # Search documents hold actor names and aliases.
    ids = select(EventActor.event_id).where(EventActor.actor_id == actor.id)
    search.reindex(session.connection(), set(session.scalars(ids)))
    return True


def refresh_actor_members(connection: Connection) -> None:
    """Rebuild actor_members (every actor with everything below it) from the actors' parents:
    after any change to actors, in the transaction that makes it. A few thousand actors take
    milliseconds, and a rebuild cannot drift the way patches to a tree could."""
    if connection.dialect.name == "postgresql":
        # Two rebuilds at once would each insert the whole tree: the second waits and then
        # sees the first's rows. Readers are not blocked.
        connection.exec_driver_sql("LOCK TABLE actor_members IN SHARE ROW EXCLUSIVE MODE")
    pairs = select(ActorMember.actor_id, ActorMember.member_id)
    before = set(map(tuple, connection.execute(pairs)))
    connection.execute(delete(ActorMember))
    # UNION, not UNION ALL: a cycle of parents (refused by the desk) would end, not loop.
    tree = select(Actor.id.label("actor_id"), Actor.id.label("member_id")).cte(
        "tree", recursive=True
    )
    tree = tree.union(select(tree.c.actor_id, Actor.id).where(Actor.parent_id == tree.c.member_id))
    rows = select(tree.c.actor_id, tree.c.member_id)
    connection.execute(insert(ActorMember).from_select(["actor_id", "member_id"], rows))
    # The counts of every actor whose members changed (a move under another parent).
    after = set(map(tuple, connection.execute(pairs)))
    counting.recount_actors(connection, {actor_id for actor_id, _ in before ^ after})


def _keep_former_slug(session: Session, actor: Actor, old_slug: str) -> None:
    """Links made with the old slug keep working (they redirect)."""
    held = session.get(ActorFormerSlug, old_slug)
    if held is None:
        actor.former_slugs.append(ActorFormerSlug(slug=old_slug))
    else:
        held.actor = actor
    for former in list(actor.former_slugs):
        if former.slug == actor.slug:
            actor.former_slugs.remove(former)


def revert_actor(
    session: Session,
    actor: Actor,
    version: int,
    user_id: int | None,
    *,
    expected_version: int | None,
    note: str = "",
) -> bool:
    old = get_revision(session, "actor", actor.id, version)
    if old is None:
        raise EditError({"version": f"There is no version {version} of this actor."})
    data = parse(ActorInput, _fields(old.snapshot))
    note = note or f"Restored version {version}."
    return update_actor(
        session,
        actor,
        data,
        user_id,
        expected_version=expected_version,
        note=note,
        action="restore",
    )


def delete_actor(session: Session, actor: Actor) -> None:
    """Remove an actor no event names and no actor belongs to; otherwise EditError."""
    uses = session.scalar(select(func.count()).where(EventActor.actor_id == actor.id)) or 0
    members = session.scalar(select(func.count()).where(Actor.parent_id == actor.id)) or 0
    if uses or members:
        raise EditError(
            {"actor": f"{actor.name} is named by {uses} event(s) and has {members} member(s)."}
        )
    session.delete(actor)
    session.flush()
    refresh_actor_members(session.connection())


# Sources (no revisions: a source is a reference, and its events' revisions name it by id)


def create_source(session: Session, data: SourceInput, id: int | None = None) -> Source:
    source = Source(id=id, version=1)
    _write_source(source, data)
    session.add(source)
    session.flush()
    return source


def update_source(
    session: Session, source: Source, data: SourceInput, *, expected_version: int | None
) -> bool:
    check_version(session, "source", source.id, source.version, expected_version)
    if source_input(source) == data:
        return False
    _write_source(source, data)
    source.version += 1
    session.flush()
    ids = select(Citation.event_id).where(Citation.source_id == source.id)
    search.reindex(session.connection(), set(session.scalars(ids)))
    return True


def _write_source(source: Source, data: SourceInput) -> None:
    source.publisher = data.publisher
    source.title = data.title
    source.url = data.url
    source.published_on = data.published


def delete_source(session: Session, source: Source) -> None:
    uses = session.scalar(select(func.count()).where(Citation.source_id == source.id)) or 0
    if uses:
        raise EditError({"source": f"{uses} event(s) cite this source."})
    session.delete(source)


# Versions and revisions


def check_version(
    session: Session, entity: str, entity_id: int, current: int, expected: int | None
) -> None:
    """Refuse a save based on an older version than the stored one, naming who changed it."""
    if expected is None or expected == current:
        return
    latest = None
    changes: list[dict[str, Any]] = []
    if entity in ("event", "actor"):
        latest = get_revision(session, entity, entity_id, current)
        base = get_revision(session, entity, entity_id, expected)
        if latest is not None and base is not None:
            changes = diff(_fields(base.snapshot), _fields(latest.snapshot))
    raise Conflict(
        expected=expected,
        current=current,
        changed_by=latest.user.email if latest and latest.user else None,
        changed_at=latest.created_at if latest else None,
        changes=changes,
    )


def get_revision(session: Session, entity: str, entity_id: int, version: int) -> Revision | None:
    """The revision that made `version`, or the newest one before it (publishing and deleting
    raise the version too)."""
    query = (
        select(Revision)
        .where(
            Revision.entity == entity, Revision.entity_id == entity_id, Revision.version <= version
        )
        .options(selectinload(Revision.user))
        .order_by(Revision.version.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def revisions(session: Session, entity: str, entity_id: int) -> list[Revision]:
    """Every revision of a record, newest first, with who made it."""
    query = (
        select(Revision)
        .where(Revision.entity == entity, Revision.entity_id == entity_id)
        .options(selectinload(Revision.user))
        .order_by(Revision.version.desc())
    )
    return list(session.scalars(query))


def corrections(session: Session, event_id: int) -> list[Revision]:
    """The public log of an event: corrections and changes of status, oldest first."""
    query = (
        select(Revision)
        .where(Revision.entity == "event", Revision.entity_id == event_id, Revision.public)
        .order_by(Revision.version)
    )
    return list(session.scalars(query))


def _snapshot(data: Input) -> dict[str, Any]:
    return data.model_dump(mode="json")


def _fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without its bookkeeping keys (those starting with '_')."""
    return {key: value for key, value in snapshot.items() if not key.startswith("_")}


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields that differ, in the order of `after`, with their values before and after."""
    if before is None:
        return []
    return [
        {"field": key, "before": before.get(key), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    ]


def _record_event(
    session: Session,
    event: Event,
    before: EventInput | None,
    crisis_zone: ZoneInfo,
    user_id: int | None,
    action: str,
    note: str,
    *,
    public: bool,
    published: bool | None = None,
) -> Revision:
    after = _snapshot(event_input(event, crisis_zone))
    previous = _fields(_snapshot(before)) if before is not None else None
    snapshot = {**after, "_published": event.published if published is None else published}
    revision = Revision(
        entity="event",
        entity_id=event.id,
        version=event.version,
        user_id=user_id,
        created_at=utcnow(),
        action=action,
        note=note.strip(),
        public=public,
        snapshot=snapshot,
        changes=diff(previous, after),
    )
    live.announce(session)  # open timelines hear of it at commit (PostgreSQL; SQLite polls)
    session.add(revision)
    session.flush()
    return revision


def _record_actor(
    session: Session,
    actor: Actor,
    before: ActorInput | None,
    user_id: int | None,
    action: str,
    note: str,
) -> Revision:
    after = _snapshot(actor_input(actor))
    revision = Revision(
        entity="actor",
        entity_id=actor.id,
        version=actor.version,
        user_id=user_id,
        created_at=utcnow(),
        action=action,
        note=note.strip(),
        public=False,
        snapshot=after,
        changes=diff(_snapshot(before) if before is not None else None, after),
    )
    session.add(revision)
    session.flush()
    return revision


def record_loaded_event(
    session: Session, event: Event, crisis_zone: ZoneInfo, *, created: bool, note: str = ""
) -> None:
    """A revision for an event a data file or an import created or changed (no user)."""
    previous = None
    if created:
        event.version = 1
    else:
        event.version = (event.version or 1) + 1
        last = get_revision(session, "event", event.id, event.version)
        previous = parse(EventInput, _fields(last.snapshot)) if last else None
    session.flush()
    action = "import" if created else "reimport"
    _record_event(session, event, previous, crisis_zone, None, action, note, public=False)


def record_loaded_actor(session: Session, actor: Actor, *, created: bool, note: str = "") -> None:
    previous = None
    if created:
        actor.version = 1
    else:
        actor.version = (actor.version or 1) + 1
        last = get_revision(session, "actor", actor.id, actor.version)
        previous = parse(ActorInput, _fields(last.snapshot)) if last else None
    session.flush()
    action = "import" if created else "reimport"
    _record_actor(session, actor, previous, None, action, note)


# Saying what changed, for people

FIELD_LABELS = {
    "title": "title",
    "summary": "summary",
    "type": "type",
    "status": "status",
    "verification": "verification",
    "start": "date",
    "precision": "date precision",
    "approximate": "approximate date",
    "end": "end date",
    "end_precision": "end precision",
    "end_approximate": "approximate end",
    "place": "place",
    "lat": "latitude",
    "lon": "longitude",
    "timezone": "time zone",
    "importance": "importance",
    "actors": "actors",
    "sources": "sources",
    "relations": "related events",
    "name": "name",
    "slug": "slug",
    "kind": "kind",
    "parent": "parent",
    "aliases": "aliases",
    "description": "description",
}


# A date is three fields (the day or time, its precision, whether approximate) and reads as one.
DATE_PARTS = {
    "start": "start",
    "precision": "start",
    "approximate": "start",
    "end": "end",
    "end_precision": "end",
    "end_approximate": "end",
}
_WHOLE_TEXT = ("summary", "actors", "sources", "relations", "aliases", "description")


def describe_change(
    change: dict[str, Any],
    snapshot: dict[str, Any],
    zone: ZoneInfo,
    verb: str = "changed",
    before: dict[str, Any] | None = None,
) -> str:
    """One change in words: 'date corrected from late January 2022 to 11 Feb 2022'.

    `snapshot` is the record after the change and `before` the record before it (by default,
    `snapshot` with this change undone): each side of a date reads at its own precision, so a
    change of precision alone is a change of date.
    """
    field = str(change["field"])
    label = FIELD_LABELS.get(field, field)
    old, new = change["before"], change["after"]
    part = DATE_PARTS.get(field)
    if part is not None:
        before = before if before is not None else {**snapshot, field: old}
        label = FIELD_LABELS[part]
        old, new = snapshot_point(before, part, zone), snapshot_point(snapshot, part, zone)
    elif field in _WHOLE_TEXT:
        return f"{label} {verb}"
    else:
        old, new = _plain(old), _plain(new)
    if old in (None, ""):
        return f"{label} set to {new}"
    if new in (None, ""):
        return f"{label} removed (was {old})"
    if old == new:
        return f"{label} {verb}"
    return f"{label} {verb} from {old} to {new}"


def _plain(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return None if value is None else str(value)


def snapshot_point(snapshot: dict[str, Any], part: str, zone: ZoneInfo) -> str | None:
    """The start or end of an event snapshot as readers see dates: 'late January 2022'.

    Times are written in the place's zone (or the crisis's) and shown in the crisis's."""
    prefix = "" if part == "start" else "end_"
    value = snapshot.get(part)
    if not value:
        return None
    text = str(value)
    precision = snapshot.get(f"{prefix}precision") or snapshot.get("precision")
    approximate = bool(snapshot.get(f"{prefix}approximate"))
    try:
        moment = datetime.fromisoformat(text)
        clock_zone = ZoneInfo(snapshot["timezone"]) if snapshot.get("timezone") else zone
    except (ValueError, ZoneInfoNotFoundError):
        return text
    if "T" in text:
        return format_point(instant(moment, clock_zone), precision or "minute", approximate, zone)
    if precision in (None, "minute", "hour"):
        precision = "day"
    return format_point(instant(moment.date(), zone), precision, approximate, zone)


def user_email(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.email if user else None
