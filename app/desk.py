"""The editors' desk for events: what the desk lists, and the event form as typed ↔ as input.

A form keeps every value as the editor typed it (strings, rows of actors, sources and related
events), so a page with errors can show it all again. `to_input` turns it into an `EventInput`
for app.editing, naming each problem by the form field it belongs to; `save_new` and
`save_edit` write it, with any new actors and sources, in the caller's transaction.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app import editing, queries
from app.dates import format_point, instant, short_date
from app.editing import EditError, EventInput
from app.filters import EventFilters
from app.models import (
    Actor,
    ActorAlias,
    ActorKind,
    Event,
    Precision,
    RelationKind,
    Revision,
    Role,
    Source,
    Status,
    Verification,
)
from app.present import event_path

MAX_ROWS = 50
ROLES = [role.value for role in Role]
ACTOR_KINDS = [kind.value for kind in ActorKind]
STATUSES = [status.value for status in Status]
VERIFICATIONS = [verification.value for verification in Verification]
PRECISIONS = [precision.value for precision in Precision]
RELATIONS = {
    RelationKind.FOLLOWS.value: "Follows",
    RelationKind.RESPONDS_TO.value: "Responds to",
    RelationKind.DENIES.value: "Denies",
    RelationKind.PART_OF.value: "Is part of",
}
IMPORTANCE = {"1": "Minor", "2": "Normal", "3": "Major"}
COMMON_ZONES = [
    "Europe/Kyiv", "Europe/Moscow", "Europe/Minsk", "Europe/Warsaw", "Europe/Berlin",
    "Europe/Paris", "Europe/Brussels", "Europe/London", "Europe/Istanbul", "America/New_York",
    "America/Chicago", "America/Los_Angeles", "Asia/Shanghai", "Asia/Tokyo", "UTC",
]  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(:\d{2})?$")
# An event's number, or a link to it: 12, #12, /events/12/slug, https://site/events/12.json
_EVENT_REF = re.compile(r"^#?(\d+)$|^(?:https?://[^/\s]+)?/events/(\d+)(?:[/.?#]\S*)?$")


# The form as typed


@dataclass
class ActorRow:
    actor: str = ""  # a name, alias or slug, as typed
    role: str = Role.PARTICIPANT.value
    new_name: str = ""  # or a new actor, made with the event
    new_kind: str = ""

    @property
    def blank(self) -> bool:
        return not (self.actor or self.new_name)


@dataclass
class SourceRow:
    source: str = ""  # an existing source's id
    quote: str = ""
    new_publisher: str = ""  # or a new source, made with the event
    new_title: str = ""
    new_url: str = ""

    @property
    def is_new(self) -> bool:
        return bool(self.new_publisher or self.new_title or self.new_url)

    @property
    def blank(self) -> bool:
        return not (self.source or self.quote or self.is_new)


@dataclass
class RelationRow:
    relation: str = RelationKind.FOLLOWS.value
    event: str = ""  # an event's number or link

    @property
    def blank(self) -> bool:
        return not self.event


@dataclass
class EventForm:
    title: str = ""
    type: str = ""
    status: str = Status.OCCURRED.value
    verification: str = Verification.CONFIRMED.value
    importance: str = "2"
    start_date: str = ""
    start_time: str = ""
    precision: str = ""  # blank: to the minute with a time, the day without
    approximate: bool = False
    end_date: str = ""
    end_time: str = ""
    end_precision: str = ""
    end_approximate: bool = False
    place: str = ""
    lat: str = ""
    lon: str = ""
    timezone: str = ""  # blank: the crisis zone
    summary: str = ""
    actors: list[ActorRow] = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)
    relations: list[RelationRow] = field(default_factory=list)
    # Editing only
    version: str = ""
    note: str = ""
    correction: bool = False

    def padded(self, actors: int = 1, sources: int = 1, relations: int = 1) -> "EventForm":
        """With blank rows to type into (at least `actors` blank actor rows, and so on)."""
        return replace(
            self,
            actors=self.actors + [ActorRow() for _ in range(actors)],
            sources=self.sources + [SourceRow() for _ in range(sources)],
            relations=self.relations + [RelationRow() for _ in range(relations)],
        )


ROW_TYPES: dict[str, type] = {"actors": ActorRow, "sources": SourceRow, "relations": RelationRow}


def _rows(fields: dict[str, str], prefix: str, row_type: type) -> list[Any]:
    """Rows named `<prefix>-<n>-<field>`, in the order of n (gaps closed)."""
    found: dict[int, dict[str, str]] = {}
    names = set(row_type.__dataclass_fields__)
    for key, value in fields.items():
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit() and parts[2] in names:
            index = int(parts[1])
            if index < MAX_ROWS * 2:
                found.setdefault(index, {})[parts[2]] = value.strip()
    return [row_type(**found[index]) for index in sorted(found)][:MAX_ROWS]


def form_from_fields(fields: dict[str, str]) -> EventForm:
    """The form as submitted (unknown fields ignored, text stripped, rows in order)."""

    def text(name: str, default: str = "") -> str:
        return fields.get(name, default).strip()

    return EventForm(
        title=text("title"),
        type=text("type"),
        status=text("status", Status.OCCURRED.value),
        verification=text("verification", Verification.CONFIRMED.value),
        importance=text("importance", "2"),
        start_date=text("start_date"),
        start_time=text("start_time"),
        precision=text("precision"),
        approximate=bool(fields.get("approximate")),
        end_date=text("end_date"),
        end_time=text("end_time"),
        end_precision=text("end_precision"),
        end_approximate=bool(fields.get("end_approximate")),
        place=text("place"),
        lat=text("lat"),
        lon=text("lon"),
        timezone=text("timezone"),
        summary=fields.get("summary", "").strip(),
        actors=_rows(fields, "actors", ActorRow),
        sources=_rows(fields, "sources", SourceRow),
        relations=_rows(fields, "relations", RelationRow),
        version=text("version"),
        note=text("note"),
        correction=fields.get("correction") == "correction",
    )


def _split(local: str | None) -> tuple[str, str]:
    if not local:
        return "", ""
    day, _, clock = local.partition("T")
    return day, clock[:5]


def _shown_precision(precision: str | None, clock: str) -> str:
    """Blank when it is what a blank would give anyway (minute with a time, day without)."""
    if precision is None or precision == (Precision.MINUTE if clock else Precision.DAY):
        return ""
    return str(precision)


def form_from_input(session: Session, data: EventInput) -> EventForm:
    """An input (a stored event, a revision) as the form shows it: actors by name, where the
    name says which actor unambiguously, otherwise by slug."""
    actor_ids = [link.actor for link in data.actors]
    actors = {a.id: a for a in session.scalars(select(Actor).where(Actor.id.in_(actor_ids)))}
    actor_rows = []
    for link in data.actors:
        actor = actors.get(link.actor) if isinstance(link.actor, int) else None
        shown = str(link.actor)
        if actor is not None:
            found, _ = resolve_actor(session, actor.name)
            shown = actor.name if found is not None and found.id == actor.id else actor.slug
        actor_rows.append(ActorRow(actor=shown, role=link.role.value))
    start_date, start_time = _split(data.start)
    end_date, end_time = _split(data.end)
    return EventForm(
        title=data.title,
        type=data.type,
        status=data.status.value,
        verification=data.verification.value,
        importance=str(data.importance),
        start_date=start_date,
        start_time=start_time,
        precision=_shown_precision(data.precision, start_time),
        approximate=data.approximate,
        end_date=end_date,
        end_time=end_time,
        end_precision=_shown_precision(data.end_precision, end_time) if data.end else "",
        end_approximate=data.end_approximate,
        place=data.place or "",
        lat="" if data.lat is None else _number(data.lat),
        lon="" if data.lon is None else _number(data.lon),
        timezone=data.timezone or "",
        summary=data.summary,
        actors=actor_rows,
        sources=[SourceRow(source=str(c.source), quote=c.quote or "") for c in data.sources],
        relations=[
            RelationRow(relation=r.relation.value, event=str(r.event)) for r in data.relations
        ],
    )


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1e-4 or value == 0 else repr(value)


def follow_up_form(session: Session, event: Event, zone: ZoneInfo) -> EventForm:
    """A new event after `event`: its actors, type and place, linked as following it."""
    data = editing.event_input(event, zone)
    whole = form_from_input(session, data)
    return EventForm(
        type=whole.type,
        place=whole.place,
        lat=whole.lat,
        lon=whole.lon,
        timezone=whole.timezone,
        actors=whole.actors,
        relations=[RelationRow(relation=RelationKind.FOLLOWS.value, event=str(event.id))],
    )


def duplicate_form(session: Session, event: Event, zone: ZoneInfo) -> EventForm:
    """A new event with every field of `event`, its date and time included."""
    return form_from_input(session, editing.event_input(event, zone))


# The form as input


@dataclass
class Prepared:
    """A form turned into input: placeholders (negative ids) for the actors and sources to be
    made with the event, and which form row each input row came from."""

    data: EventInput
    new_actors: dict[int, editing.ActorInput]  # placeholder id → actor to create
    new_sources: dict[int, editing.SourceInput]
    actor_rows: list[int]  # input index → form row
    source_rows: list[int]
    relation_rows: list[int]
    new_actor_rows: dict[int, int]  # placeholder id → form row
    new_source_rows: dict[int, int]

    def field_name(self, path: str) -> str:
        """The form field an EditError path of EventInput belongs to."""
        parts = path.split(".")
        simple = {"start": "start_date", "end": "end_date"}
        if len(parts) == 1:
            return simple.get(path, path)
        rows = {"actors": self.actor_rows, "sources": self.source_rows}
        rows["relations"] = self.relation_rows
        if parts[0] in rows and parts[1].isdigit() and int(parts[1]) < len(rows[parts[0]]):
            index = int(parts[1])
            row = rows[parts[0]][index]
            inner = parts[2] if len(parts) > 2 else ""
            if parts[0] == "actors":
                link = self.data.actors[index]
                is_new = isinstance(link.actor, int) and link.actor < 0
                inner = "new_name" if is_new and inner in ("", "actor") else inner or "actor"
            elif parts[0] == "sources":
                citation = self.data.sources[index]
                inner = "new_title" if citation.source < 0 and inner in ("", "source") else inner
                inner = inner or "source"
            else:
                inner = inner or "event"
            return f"{parts[0]}-{row}-{inner}"
        return parts[0]

    def form_errors(self, errors: dict[str, str]) -> dict[str, str]:
        named: dict[str, str] = {}
        for path, message in errors.items():
            named.setdefault(self.field_name(path), message)
        return named


def _date_error(text: str) -> str | None:
    if not _DATE.match(text):
        return "Give a date as YYYY-MM-DD, like 2022-02-12."
    try:
        date.fromisoformat(text)
    except ValueError:
        return f"There is no such day as {text}."
    return None


def _clock(text: str) -> tuple[str | None, str | None]:
    match = _TIME.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None, "Give a time as HH:MM (24-hour), like 14:05."
    return f"{int(match[1]):02d}:{match[2]}", None


def _local_time(form_date: str, form_time: str, name: str, errors: dict[str, str]) -> str | None:
    """A date input and an optional time input as one 'YYYY-MM-DD[THH:MM]' value."""
    if not form_date:
        if form_time:
            errors[f"{name}_date"] = "Give the date too."
        return None
    problem = _date_error(form_date)
    if problem:
        errors[f"{name}_date"] = problem
        return None
    if not form_time:
        return form_date
    clock, problem = _clock(form_time)
    if problem:
        errors[f"{name}_time"] = problem
        return None
    return f"{form_date}T{clock}"


def _coordinate(text: str, name: str, errors: dict[str, str]) -> float | None:
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        errors[name] = "Give a number in decimal degrees, like 50.45."
        return None


def event_ref(text: str) -> int | None:
    """The event number in '12', '#12' or a link to the event; None if it is neither."""
    match = _EVENT_REF.match(text.strip())
    if not match:
        return None
    return int(match[1] or match[2])


def _instant(local: str, form: EventForm, crisis_zone: ZoneInfo) -> datetime:
    """When a form's 'YYYY-MM-DD[THH:MM]' is, read as app.editing reads it: a time in the
    place's zone (or the crisis's), a bare date as a day in the crisis's zone."""
    if "T" not in local:
        return instant(date.fromisoformat(local), crisis_zone)
    try:
        clock_zone = ZoneInfo(form.timezone) if form.timezone else crisis_zone
    except (ZoneInfoNotFoundError, ValueError):
        clock_zone = crisis_zone  # the zone's own error is shown
    return instant(datetime.fromisoformat(local), clock_zone)


def to_input(session: Session, form: EventForm, zone: ZoneInfo) -> Prepared:
    """The form as an EventInput, or EditError naming the form fields that are wrong."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "summary": form.summary,
        "status": form.status,
        "verification": form.verification,
        "approximate": form.approximate,
        "end_approximate": form.end_approximate,
        "place": form.place or None,
        "timezone": form.timezone or None,
        "importance": form.importance or "2",
        "precision": form.precision or None,
        "end_precision": form.end_precision or None,
    }
    if form.title:
        data["title"] = form.title
    if form.type:
        data["type"] = form.type
    start = _local_time(form.start_date, form.start_time, "start", errors)
    if start:
        data["start"] = start
    elif not form.start_date and "start_time" not in errors:
        errors["start_date"] = "This is required."
    data["end"] = _local_time(form.end_date, form.end_time, "end", errors)
    if start and data["end"] and _instant(data["end"], form, zone) < _instant(start, form, zone):
        # Said now, beside any other mistake; the core checks it again when the rest is right.
        errors["end_date"] = "The end comes before the start."
    data["lat"] = _coordinate(form.lat, "lat", errors)
    data["lon"] = _coordinate(form.lon, "lon", errors)

    prepared = Prepared(
        data=EventInput.model_construct(),
        new_actors={}, new_sources={},
        actor_rows=[], source_rows=[], relation_rows=[],
        new_actor_rows={}, new_source_rows={},
    )  # fmt: skip
    actors = []
    for row_index, row in enumerate(form.actors):
        if row.blank:
            continue
        name = f"actors-{row_index}"
        if row.actor and row.new_name:
            errors[f"{name}-actor"] = "Choose an existing actor or add a new one, not both."
            continue
        if row.new_name:
            placeholder = -1 - row_index
            try:
                new = editing.parse(
                    editing.ActorInput, {"name": row.new_name, "kind": row.new_kind or None}
                )
            except EditError as error:
                for key, message in error.errors.items():
                    where = "new_kind" if key == "kind" else "new_name"
                    errors.setdefault(f"{name}-{where}", _kind_message(key, message))
                continue
            prepared.new_actors[placeholder] = new
            prepared.new_actor_rows[placeholder] = row_index
            ref: int | str = placeholder
        else:
            actor, problem = resolve_actor(session, row.actor)
            if actor is None:
                errors[f"{name}-actor"] = problem or "Unknown actor."
                continue
            ref = actor.id
        actors.append({"actor": ref, "role": row.role})
        prepared.actor_rows.append(row_index)
    data["actors"] = actors

    sources = []
    for row_index, row in enumerate(form.sources):
        if row.blank:
            continue
        name = f"sources-{row_index}"
        if row.is_new and row.source:
            errors[f"{name}-source"] = "Choose an existing source or add a new one, not both."
            continue
        if row.is_new:
            placeholder = -1 - row_index
            fields = {"publisher": row.new_publisher, "title": row.new_title, "url": row.new_url}
            try:
                prepared.new_sources[placeholder] = editing.parse(editing.SourceInput, fields)
            except EditError as error:
                for key, message in error.errors.items():
                    if key == "url" and "pattern" in message:
                        message = "Give a web address starting with http:// or https://."
                    errors.setdefault(f"{name}-new_{key}", message)
                continue
            prepared.new_source_rows[placeholder] = row_index
            source_id = placeholder
        elif row.source.isdigit():
            source_id = int(row.source)
        else:
            errors[f"{name}-source"] = "Choose a source for this quote, or add a new one."
            continue
        sources.append({"source": source_id, "quote": row.quote or None})
        prepared.source_rows.append(row_index)
    data["sources"] = sources

    relations = []
    for row_index, row in enumerate(form.relations):
        if row.blank:
            continue
        other = event_ref(row.event)
        if other is None:
            errors[f"relations-{row_index}-event"] = (
                "Give the event's number, or paste its link (like /events/12/…)."
            )
            continue
        relations.append({"relation": row.relation, "event": other})
        prepared.relation_rows.append(row_index)
    data["relations"] = relations

    try:
        prepared.data = editing.parse(EventInput, data)
    except EditError as error:
        for key, message in prepared.form_errors(error.errors).items():
            errors.setdefault(key, _friendly(key, message))
        if "actors" in errors and any(not row.blank for row in form.actors):
            del errors["actors"]  # the rows say what is wrong with them
    if errors:
        raise EditError(errors)
    return prepared


def _kind_message(key: str, message: str) -> str:
    if key == "kind":
        return "Choose what kind of actor this is."
    return message


def _friendly(key: str, message: str) -> str:
    if key == "actors" and message == "Add at least one.":
        return "Add at least one actor."
    if key == "type" and "pattern" in message:
        return "Choose a type."
    return message


def resolve_actor(session: Session, text: str) -> tuple[Actor | None, str | None]:
    """The actor a typed slug, name or alias means (ignoring case), or why there is none."""
    typed = " ".join(text.split())
    by_slug = queries.actors_by_slug(session, [typed.lower()]).get(typed.lower())
    if by_slug is not None:
        return by_slug, None

    def same(column: Any) -> Any:
        return or_(func.lower(column) == typed.lower(), column == typed)

    by_alias = select(ActorAlias.actor_id).where(same(ActorAlias.name))
    query = select(Actor).where(or_(same(Actor.name), Actor.id.in_(by_alias))).order_by(Actor.slug)
    matches = session.scalars(query.limit(6)).all()
    if len(matches) == 1:
        return matches[0], None
    if matches:
        slugs = ", ".join(actor.slug for actor in matches)
        return None, f"Several actors are called “{typed}”; type one by slug: {slugs}."
    return None, (
        f"There is no actor “{typed}”. Choose one from the suggestions, type an exact name, "
        "alias or slug, or add a new actor below."
    )


# Saving


def _create_linked(session: Session, prepared: Prepared, user_id: int | None) -> EventInput:
    """Make the new actors and sources the form names; the input with their real ids."""
    errors: dict[str, str] = {}
    made_actors: dict[int, int] = {}
    for placeholder, actor_data in prepared.new_actors.items():
        row = prepared.new_actor_rows[placeholder]
        slug = editing.slugify(actor_data.name)
        existing = queries.actors_by_slug(session, [slug]).get(slug)
        if existing is not None:
            errors[f"actors-{row}-new_name"] = (
                f"There already is an actor “{existing.name}” ({existing.slug}). "
                "Choose the existing actor instead, or give the new one a different name."
            )
            continue
        try:
            made_actors[placeholder] = editing.create_actor(session, actor_data, user_id).id
        except EditError as error:
            errors[f"actors-{row}-new_name"] = next(iter(error.errors.values()))
    made_sources = {
        placeholder: editing.create_source(session, source_data).id
        for placeholder, source_data in prepared.new_sources.items()
    }
    if errors:
        raise EditError(errors)
    data = prepared.data
    actors = [
        link.model_copy(update={"actor": made_actors.get(link.actor, link.actor)})
        if isinstance(link.actor, int)
        else link
        for link in data.actors
    ]
    sources = [
        citation.model_copy(update={"source": made_sources.get(citation.source, citation.source)})
        for citation in data.sources
    ]
    return data.model_copy(update={"actors": actors, "sources": sources})


def save_new(
    session: Session, form: EventForm, zone: ZoneInfo, user_id: int, *, publish: bool
) -> Event:
    """A new event from the form, with any new actors and sources; EditError by form field."""
    prepared = to_input(session, form, zone)
    data = _create_linked(session, prepared, user_id)
    try:
        return editing.create_event(session, data, zone, user_id, publish=publish)
    except EditError as error:
        raise EditError(prepared.form_errors(error.errors)) from error


def save_edit(
    session: Session,
    event: Event,
    form: EventForm,
    zone: ZoneInfo,
    user_id: int,
    *,
    publish: bool,
) -> bool:
    """Save the form over `event` (loaded for writing); False if nothing changed. Raises
    EditError by form field, or editing.Conflict if the event changed since `form.version`."""
    prepared = to_input(session, form, zone)
    expected = int(form.version) if form.version.isdigit() else None
    editing.check_version(session, "event", event.id, event.version, expected)
    data = _create_linked(session, prepared, user_id)
    try:
        changed = editing.update_event(
            session, event, data, zone, user_id,
            expected_version=expected, note=form.note, correction=form.correction,
        )  # fmt: skip
    except EditError as error:
        raise EditError(prepared.form_errors(error.errors)) from error
    if publish and not event.published and event.deleted_at is None:
        editing.publish_event(session, event, zone, user_id)
        changed = True
    return changed


# Conflicts: the editor's version beside the stored one


@dataclass(frozen=True)
class Difference:
    label: str
    yours: str
    current: str


@dataclass(frozen=True)
class ConflictView:
    message: str
    differences: list[Difference]
    their_changes: list[str]
    current_version: int


def _when_changed(at: datetime | None, zone: ZoneInfo) -> str:
    if at is None:
        return ""
    local = at.astimezone(zone)
    today = datetime.now(zone).date()
    day = "" if local.date() == today else f" on {short_date(local.date())}"
    return f" at {local:%H:%M} {local.tzname()}{day}"


def conflict_view(
    session: Session,
    event: Event,
    form: EventForm,
    conflict: editing.Conflict,
    zone: ZoneInfo,
) -> ConflictView:
    """What to show an editor whose save was refused: who changed the event and when, the fields
    where their version and the stored one differ, and what the other editor changed."""
    who = conflict.changed_by or "a data import"
    message = f"Changed by {who}{_when_changed(conflict.changed_at, zone)} since you opened it"
    current = editing.event_input(event, zone)
    try:
        yours = to_input(session, form, zone).data.model_dump(mode="json")
    except EditError:
        yours = {}  # not expected: a form is checked before its version
    names = _Names(session, form)
    differences = []
    current_dump = current.model_dump(mode="json")
    for key, value in current_dump.items():
        if not yours or yours.get(key) == value:
            continue
        differences.append(
            Difference(
                label=editing.FIELD_LABELS.get(key, key).capitalize(),
                yours=names.shown(key, yours.get(key), zone, yours),
                current=names.shown(key, value, zone, current_dump),
            )
        )
    their_changes = [
        editing.describe_change(change, current_dump, zone) for change in conflict.changes
    ]
    return ConflictView(message, differences, their_changes, conflict.current)


class _Names:
    """Readable values for the conflict table: actors, sources and events by name."""

    def __init__(self, session: Session, form: EventForm) -> None:
        self.session = session
        self.new_actors = {-1 - i: row.new_name for i, row in enumerate(form.actors)}
        self.new_sources = {-1 - i: row.new_title for i, row in enumerate(form.sources)}

    def shown(self, key: str, value: Any, zone: ZoneInfo, whole: dict[str, Any]) -> str:
        if value in (None, "", []):
            return "—"
        if key == "actors":
            return "; ".join(f"{self._actor(link['actor'])} ({link['role']})" for link in value)
        if key == "sources":
            return "; ".join(self._source(citation["source"]) for citation in value)
        if key == "relations":
            return "; ".join(
                f"{RELATIONS.get(r['relation'], r['relation'])} {self._event(r['event'])}"
                for r in value
            )
        if key in ("start", "end"):
            return editing.snapshot_point(whole, key, zone) or "—"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    def _actor(self, ref: Any) -> str:
        if isinstance(ref, int) and ref < 0:
            return f"{self.new_actors.get(ref, '?')} (new)"
        actor = editing.find_actor(self.session, ref)
        return actor.name if actor else str(ref)

    def _source(self, ref: int) -> str:
        if ref < 0:
            return f"{self.new_sources.get(ref, '?')} (new)"
        source = self.session.get(Source, ref)
        return f"{source.publisher}: {source.title}" if source else str(ref)

    def _event(self, ref: int) -> str:
        other = self.session.get(Event, ref)
        return f"“{other.title}” (#{ref})" if other else f"#{ref}"


# What the desk lists


@dataclass(frozen=True)
class DraftRow:
    id: int
    title: str
    when: str
    type_label: str
    changed: str
    edit_href: str
    view_href: str


@dataclass(frozen=True)
class ChangeRow:
    event_id: int
    title: str
    href: str
    who: str | None  # None: a data file loaded without an editor
    when: str
    datetime_attr: str
    action: str
    details: list[str]
    state: str  # "", "draft" or "in the trash"

    @property
    def summary(self) -> str:
        """'editor@example.org edited', or 'Imported from a data file'."""
        if self.who:
            return f"{self.who} {self.action}"
        return f"{self.action.capitalize()} from a data file"


@dataclass(frozen=True)
class TrashRow:
    id: int
    title: str
    who: str
    when: str
    datetime_attr: str


ACTIONS = {
    "create": "created",
    "edit": "edited",
    "publish": "published",
    "unpublish": "unpublished",
    "delete": "moved to the trash",
    "undelete": "restored from the trash",
    "restore": "restored an earlier version",
    "import": "imported",
    "reimport": "re-imported",
}


def stamp(at: datetime, zone: ZoneInfo) -> str:
    """'12 Feb 2022, 14:03 EET' in the crisis zone."""
    local = at.astimezone(zone)
    return f"{short_date(local.date())}, {local:%H:%M} {local.tzname()}"


def _when(event: Event, zone: ZoneInfo) -> str:
    return format_point(event.start_at, event.start_precision, event.start_approximate, zone)


def drafts(session: Session, zone: ZoneInfo, limit: int = 100) -> list[DraftRow]:
    """Unpublished events not in the trash, the most recently changed first."""
    query = (
        select(Event)
        .where(Event.published.is_(False), Event.deleted_at.is_(None))
        .options(joinedload(Event.type))
        .order_by(Event.updated_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return [
        DraftRow(
            id=event.id,
            title=event.title,
            when=_when(event, zone),
            type_label=event.type.label,
            changed=stamp(event.updated_at, zone),
            edit_href=f"/desk/events/{event.id}/edit",
            view_href=event_path(event),
        )
        for event in session.scalars(query)
    ]


def recent_changes(session: Session, zone: ZoneInfo, limit: int = 25) -> list[ChangeRow]:
    """The newest revisions of events: who did what to which event, when."""
    query = (
        select(Revision, Event)
        .join(Event, Event.id == Revision.entity_id)
        .where(Revision.entity == "event")
        .options(selectinload(Revision.user))
        .order_by(Revision.created_at.desc(), Revision.id.desc())
        .limit(limit)
    )
    rows = []
    for revision, event in session.execute(query):
        details = [
            editing.describe_change(change, revision.snapshot, zone)
            for change in revision.changes[:4]
        ]
        if len(revision.changes) > 4:
            details.append(f"and {len(revision.changes) - 4} more")
        state = "in the trash" if event.deleted_at else "" if event.published else "draft"
        rows.append(
            ChangeRow(
                event_id=event.id,
                title=event.title,
                href=f"/desk/events/{event.id}/edit",
                who=revision.user.email if revision.user else None,
                when=stamp(revision.created_at, zone),
                datetime_attr=revision.created_at.isoformat(),
                action=ACTIONS.get(revision.action, revision.action),
                details=details,
                state=state,
            )
        )
    return rows


def trash(session: Session, zone: ZoneInfo, limit: int = 100) -> list[TrashRow]:
    """Deleted events, the most recently deleted first, with who deleted them."""
    last_delete = (
        select(Revision.entity_id, func.max(Revision.version).label("version"))
        .where(Revision.entity == "event", Revision.action == "delete")
        .group_by(Revision.entity_id)
        .subquery()
    )
    query = (
        select(Event, Revision)
        .outerjoin(last_delete, last_delete.c.entity_id == Event.id)
        .outerjoin(
            Revision,
            (Revision.entity == "event")
            & (Revision.entity_id == Event.id)
            & (Revision.version == last_delete.c.version),
        )
        .where(Event.deleted_at.is_not(None))
        .options(selectinload(Revision.user))
        .order_by(Event.deleted_at.desc(), Event.id.desc())
        .limit(limit)
    )
    rows = []
    for event, revision in session.execute(query):
        deleted_at = event.deleted_at or event.updated_at
        rows.append(
            TrashRow(
                id=event.id,
                title=event.title,
                who=revision.user.email if revision and revision.user else "someone",
                when=stamp(deleted_at, zone),
                datetime_attr=deleted_at.isoformat(),
            )
        )
    return rows


def source_options(session: Session) -> list[tuple[str, str]]:
    """Every source as (id, 'Publisher — Title, date') for the form's source choice."""
    rows = session.scalars(select(Source).order_by(Source.publisher, Source.title, Source.id))
    options = []
    for source in rows:
        title = source.title if len(source.title) <= 90 else source.title[:88] + "…"
        published = f", {short_date(source.published_on)}" if source.published_on else ""
        options.append((str(source.id), f"{source.publisher} — {title}{published}"))
    return options


def related_titles(session: Session, form: EventForm, zone: ZoneInfo) -> dict[str, str]:
    """The title and date of each event the form's relation rows name, by what was typed."""
    refs = {row.event: event_ref(row.event) for row in form.relations if row.event}
    ids = {ref for ref in refs.values() if ref is not None}
    if not ids:
        return {}
    events = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(ids)))}
    titles = {}
    for typed, ref in refs.items():
        other = events.get(ref) if ref is not None else None
        if other is not None and other.deleted_at is None:
            titles[typed] = f"“{other.title}”, {_when(other, zone)}"
    return titles


def actor_suggestions(session: Session, zone: ZoneInfo, text: str) -> list[tuple[str, str]]:
    """(value to type, description) for actors whose name, alias or slug matches `text`."""
    text = " ".join(text.split())[:80]
    if not text:
        return []
    view = queries.View(EventFilters(), [], [], (), zone, session.get_bind().dialect.name)
    rows = queries.find_actors(session, view, text)
    by_slug = queries.actors_by_slug(session, [text.lower()]).get(text.lower())
    actors = [row.actor for row in rows]
    if by_slug is not None and by_slug.id not in {a.id for a in actors}:
        actors.insert(0, by_slug)
    names = [actor.name for actor in actors]
    suggestions = []
    for actor in actors:
        value = actor.name if names.count(actor.name) == 1 else actor.slug
        parent = f", {actor.parent.name}" if actor.parent else ""
        suggestions.append((value, f"{actor.kind}{parent} · {actor.slug}"))
    return suggestions
