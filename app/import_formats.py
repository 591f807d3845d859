"""Reading import files: Brink's JSON export, Brink's CSV (the columns of /events.csv), and
TimelineJS's spreadsheet (saved as CSV) and JSON, each into plans — what the file says about each
source, actor and event, and where it says it — for `app/importing.py` to write.

Problems found while reading carry their place in the file (`file:line: column: why` for CSV,
`file: events[3].start_date.month: why` for JSON), so that the writer can list them with its own
in file order.
"""

import csv
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePath
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from app import timelinejs
from app.editing import (
    ActorInput,
    EditError,
    EventInput,
    Input,
    Slug,
    SourceInput,
    field_errors,
    parse,
)
from app.models import ActorKind, Role, Status, Verification
from app.serialize import CSV_COLUMNS, FORMULA_STARTS


class ImportFormat(StrEnum):
    AUTO = "auto"
    BRINK_JSON = "brink-json"
    BRINK_CSV = "brink-csv"
    TIMELINEJS_CSV = "timelinejs-csv"
    TIMELINEJS_JSON = "timelinejs-json"


class ImportProblems(Exception):
    """The file cannot be imported; nothing was written. Each problem names where and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class OptionError(ValueError):
    """An import option that cannot work (an unknown type or time zone): names the option."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class ImportOptions:
    """What the file does not say: TimelineJS has no types, statuses or actors of Brink's kind,
    and a CSV row may leave them blank. A new event takes these; an existing one keeps its own."""

    format: ImportFormat = ImportFormat.AUTO
    type: str = "statement"
    status: Status = Status.OCCURRED
    # Imported material has not been checked by this desk: it is asserted by the file, no more.
    verification: Verification = Verification.CLAIMED
    actor_kind: ActorKind = ActorKind.ORGANISATION  # a TimelineJS group is usually a body
    role: Role = Role.PARTICIPANT
    actor: str | None = None  # for TimelineJS rows without a group
    # New events wait as drafts for an editor to review them, unless asked otherwise.
    publish: bool = False
    timezone: str | None = None  # the zone of TimelineJS clock times (default: the crisis's)

    def __post_init__(self) -> None:
        if self.timezone:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise OptionError("timezone", f"Unknown time zone {self.timezone!r}.") from error
        if self.actor is not None and not self.actor.strip():
            object.__setattr__(self, "actor", None)


# Where a record is, to say where a problem is


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None  # CSV: the row's first physical line
    path: str | None = None  # JSON: "events[3]"
    names: Mapping[str, str] = field(default_factory=dict)  # Brink's field → the file's name
    order: int = 0  # position in the file, to list problems in file order

    def name(self, field_path: str | None) -> str | None:
        if not field_path:
            return None
        head = field_path.split(".")[0]
        if head in self.names:
            return self.names[head]
        if self.line is not None:
            return head  # a CSV column
        parts = field_path.split(".")
        return "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts).lstrip(".")

    def problem(self, field_path: str | None, message: str) -> tuple[int, str]:
        name = self.name(field_path)
        if self.line is not None:
            where = f"{self.file}:{self.line}"
            return self.order, f"{where}: {name}: {message}" if name else f"{where}: {message}"
        path = ".".join(p for p in (self.path, name) if p)
        return self.order, f"{self.file}: {path}: {message}" if path else f"{self.file}: {message}"


# Plans: what the file says about each record


@dataclass(frozen=True)
class NamedActor:
    """An actor named in the file (a TimelineJS group): found by name, alias or slug, created
    when missing."""

    name: str


@dataclass(frozen=True)
class SourceText:
    """A source described in the file: found by its publisher, title and URL (or by URL alone),
    created when missing."""

    publisher: str
    title: str
    url: str | None
    by_url: bool = False


ActorRef = int | str | NamedActor
SourceRef = int | SourceText


@dataclass
class SourcePlan:
    at: Location
    data: SourceInput
    id: int | None = None
    key: str | None = None


@dataclass
class ActorPlan:
    at: Location
    data: ActorInput
    id: int | None = None
    former_slugs: list[str] = field(default_factory=list)


@dataclass
class EventState:
    """Brink JSON's bookkeeping: whether and when published, trashed, created."""

    published: bool
    published_at: datetime | None
    deleted_at: datetime | None
    created_at: datetime | None


@dataclass
class EventPlan:
    at: Location
    fields: dict[str, Any]  # EventInput fields the file gives (never actors, sources, relations)
    defaults: dict[str, Any] = field(default_factory=dict)  # for a new event only
    actors: list[tuple[ActorRef, str]] | None = None  # None: an existing event keeps its own
    sources: list[tuple[SourceRef, str | None]] | None = None
    relations: list[dict[str, Any]] | None = None
    add_links: bool = False  # TimelineJS: add its actor and source to an event's own
    # Brink CSV has no quotes (a source kept keeps its quote) and lists actors by role (the
    # same actors keep the event's order).
    from_csv: bool = False
    no_actor: str | None = None  # what to say when a new event would have no actor
    id: int | None = None
    key: str | None = None
    state: EventState | None = None


@dataclass
class Parsed:
    format: ImportFormat
    sources: list[SourcePlan] = field(default_factory=list)
    actors: list[ActorPlan] = field(default_factory=list)
    events: list[EventPlan] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def records(self) -> int:
        return len(self.sources) + len(self.actors) + len(self.events)


# Reading


def read(name: str, content: bytes, options: ImportOptions, zone: ZoneInfo) -> Parsed:
    """The plans in a file, with the problems found in it; ImportProblems if it is unreadable."""
    try:
        text_ = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"
        raise ImportProblems([problem]) from None
    if "\x00" in text_:
        raise ImportProblems([f"{name}: a binary file, not CSV or JSON"])
    chosen, data = _detect(name, text_, options.format)
    if data is not None:
        del text_  # parsed: a large file is not held twice
    if chosen == ImportFormat.BRINK_JSON:
        return _read_brink_json(name, data, zone)
    if chosen == ImportFormat.TIMELINEJS_JSON:
        return _read_timelinejs_json(name, data, options)
    if chosen == ImportFormat.BRINK_CSV:
        return _read_brink_csv(name, text_, options, zone)
    return _read_timelinejs_csv(name, text_, options)


def _detect(name: str, text_: str, given: ImportFormat) -> tuple[ImportFormat, Any]:
    is_json = given in (ImportFormat.BRINK_JSON, ImportFormat.TIMELINEJS_JSON) or (
        given == ImportFormat.AUTO
        and (PurePath(name).suffix.lower() == ".json" or text_.lstrip().startswith("{"))
    )
    if is_json:
        try:
            data = json.loads(text_)
        except json.JSONDecodeError as error:
            raise ImportProblems([f"{name}:{error.lineno}: not valid JSON: {error.msg}"]) from None
        if not isinstance(data, dict):
            raise ImportProblems([f"{name}: expected a JSON object at the top"])
        if given != ImportFormat.AUTO:
            return given, data
        if data.get("format") == "brink":
            return ImportFormat.BRINK_JSON, data
        if "events" in data:
            return ImportFormat.TIMELINEJS_JSON, data
        raise ImportProblems(
            [
                f'{name}: cannot tell the format: a Brink export has "format": "brink", a '
                'TimelineJS file has "events" (or give --format)'
            ]
        )
    if given != ImportFormat.AUTO:
        return given, None
    header = next(csv.reader(_lines(text_)), [])
    keys = {timelinejs.column_key(cell) for cell in header}
    if {"year", "headline"} <= keys:
        return ImportFormat.TIMELINEJS_CSV, None
    if "title" in keys:
        return ImportFormat.BRINK_CSV, None
    raise ImportProblems(
        [
            f"{name}:1: cannot tell the format: Brink's CSV has a 'title' column, a TimelineJS "
            "sheet 'Year' and 'Headline' (or give --format)"
        ]
    )


# Brink JSON


class _Meta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[int, Field(ge=1)] | None = None


class _SourceMeta(_Meta):
    key: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class _ActorMeta(_Meta):
    former_slugs: list[Slug] = []


class _EventMeta(_Meta):
    key: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    slug: str | None = None  # made from the title: written for readers of the file, not read
    published: bool = True
    published_at: AwareDatetime | None = None
    deleted_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None


_SECTIONS: dict[str, tuple[type[_Meta], type[Input]]] = {
    "sources": (_SourceMeta, SourceInput),
    "actors": (_ActorMeta, ActorInput),
    "events": (_EventMeta, EventInput),
}
_META = {
    "sources": {"id", "key"},
    "actors": {"id", "former_slugs"},
    "events": {"id", "key", "slug", "published", "published_at", "deleted_at", "created_at"},
}


def _read_brink_json(name: str, data: dict[str, Any], zone: ZoneInfo) -> Parsed:
    parsed = Parsed(ImportFormat.BRINK_JSON)
    top = Location(name)

    def problem(at: Location, field_path: str | None, message: str) -> None:
        parsed.problems.append(at.problem(field_path, message))

    if data.get("version") != 1:
        version = data.get("version")
        problem(top, "version", f"this Brink reads version 1 of its format, not {version!r}")
        return parsed
    known = {"format", "version", "exported_at", "timezone", *_META}
    for key in data:
        if key not in known:
            problem(top, key, "Unknown field.")
    file_zone = zone
    if data.get("timezone"):
        try:
            file_zone = ZoneInfo(str(data["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            problem(top, "timezone", f"unknown time zone {data['timezone']!r}")
    order = 0
    for section in _SECTIONS:
        entries = data.get(section, [])
        if not isinstance(entries, list):
            problem(top, section, "should be a list")
            continue
        seen: dict[tuple[str, Any], int] = {}
        for index, entry in enumerate(entries):
            order += 1
            at = Location(name, path=f"{section}[{index}]", order=order)
            problems: list[tuple[str | None, str]] = []
            plan = _brink_record(section, index, entry, at, seen, problems, file_zone, zone)
            entries[index] = None  # read: a large file's records are not held twice
            parsed.problems += [at.problem(field_path, why) for field_path, why in problems]
            if isinstance(plan, SourcePlan):
                parsed.sources.append(plan)
            elif isinstance(plan, ActorPlan):
                parsed.actors.append(plan)
            elif isinstance(plan, EventPlan):
                parsed.events.append(plan)
    return parsed


def _brink_record(
    section: str,
    index: int,
    entry: Any,
    at: Location,
    seen: dict[tuple[str, Any], int],
    problems: list[tuple[str | None, str]],
    file_zone: ZoneInfo,
    zone: ZoneInfo,
) -> SourcePlan | ActorPlan | EventPlan | None:
    """One record of a Brink JSON section as a plan, or None with its problems."""
    if not isinstance(entry, dict):
        problems.append((None, "should be an object"))
        return None
    meta_model, model = _SECTIONS[section]
    errors: dict[str, str] = {}
    try:
        meta: Any = meta_model.model_validate(
            {k: v for k, v in entry.items() if k in _META[section]}
        )
    except ValidationError as error:
        errors.update(field_errors(error))
    try:
        record: Any = parse(model, {k: v for k, v in entry.items() if k not in _META[section]})
    except EditError as error:
        errors.update(error.errors)
    if not errors and section == "actors" and record.slug is None:
        errors["slug"] = "This is required."
    problems += errors.items()
    if errors:
        return None
    # The same record twice: the same id, or the same actor slug or key.
    other = ("slug", record.slug) if section == "actors" else ("key", getattr(meta, "key", None))
    for what, value in (("id", meta.id), other):
        if value is not None and (what, value) in seen:
            problems.append((what, f"{value!r} is also {section}[{seen[(what, value)]}]"))
        elif value is not None:
            seen[(what, value)] = index
    if problems:
        return None
    if section == "sources":
        return SourcePlan(at, record, id=meta.id, key=meta.key)
    if section == "actors":
        former = list(dict.fromkeys(meta.former_slugs))
        return ActorPlan(at, record, id=meta.id, former_slugs=former)
    return _brink_event_plan(at, record, meta, file_zone, zone)


def _rezone(local: str | None, source: ZoneInfo, target: ZoneInfo) -> str | None:
    """A clock time written in the exporting site's crisis zone, in this site's."""
    if not local or "T" not in local or source == target:
        return local
    moment = datetime.fromisoformat(local).replace(tzinfo=source).astimezone(target)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _brink_event_plan(
    at: Location, record: EventInput, meta: _EventMeta, file_zone: ZoneInfo, zone: ZoneInfo
) -> EventPlan:
    fields = record.model_dump(mode="json", exclude={"actors", "sources", "relations"})
    if not record.timezone:
        fields["start"] = _rezone(fields["start"], file_zone, zone)
        fields["end"] = _rezone(fields["end"], file_zone, zone)
    return EventPlan(
        at,
        fields,
        actors=[(link.actor, link.role.value) for link in record.actors],
        sources=[(citation.source, citation.quote) for citation in record.sources],
        relations=[relation.model_dump(mode="json") for relation in record.relations],
        id=meta.id,
        key=meta.key,
        state=EventState(
            published=meta.published,
            published_at=meta.published_at,
            deleted_at=meta.deleted_at,
            created_at=meta.created_at,
        ),
    )


# CSV, both kinds


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def _lines(text_: str) -> Iterator[str]:
    """The lines of a text with their endings, as a file opened with newline="" reads them: not
    a StringIO, which would copy a large file at four bytes a character."""
    return (match.group() for match in _LINE.finditer(text_))


def _csv_rows(name: str, text_: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of each row after the header; a quoted cell may span lines."""
    reader = csv.reader(_lines(text_))
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in row):
                yield start, row
    except csv.Error as error:
        raise ImportProblems([f"{name}:{reader.line_num}: not valid CSV: {error}"]) from None


def _unquote(cell: str) -> str:
    """Undo the quote /events.csv puts before a cell a spreadsheet would run as a formula."""
    if cell.startswith("'") and cell[1:2] in FORMULA_STARTS:
        return cell[1:]
    return cell


# Brink CSV: the columns of /events.csv

CSV_NAMES = {
    "start": "start_local",
    "precision": "start_precision",
    "approximate": "start_approximate",
    "end": "end_local",
    "end_precision": "end_precision",
    "end_approximate": "end_approximate",
    "place": "place_name",
    "lat": "place_lat",
    "lon": "place_lon",
    "timezone": "place_timezone",
}
_TRUTH = {"true": True, "false": False, "": False, "1": True, "0": False, "yes": True, "no": False}


def _read_brink_csv(name: str, text_: str, options: ImportOptions, zone: ZoneInfo) -> Parsed:
    parsed = Parsed(ImportFormat.BRINK_CSV)
    rows = _csv_rows(name, text_)
    first = next(rows, None)
    if first is None:
        return parsed
    header = [cell.strip().lower() for cell in first[1]]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    missing = [column for column in ("title",) if column not in header]
    if "start_local" not in header and "start_at" not in header:
        missing.append("start_local")
    if unknown or missing:
        for column in unknown:
            parsed.problems.append((0, f"{name}:{first[0]}: unknown column {column!r}"))
        for column in missing:
            parsed.problems.append((0, f"{name}:{first[0]}: the column {column!r} is missing"))
        return parsed
    seen_ids: dict[int, int] = {}
    for order, (line, row) in enumerate(rows, start=1):
        cells = {column: _unquote(value) for column, value in zip(header, row, strict=False)}
        names = dict(CSV_NAMES)
        for part in ("start", "end"):  # problems name the column the date was read from
            if not cells.get(f"{part}_local", "").strip() and f"{part}_at" in cells:
                names[part] = f"{part}_at"
        at = Location(name, line=line, names=names, order=order)
        if len(row) > len(header):
            parsed.problems.append(at.problem(None, "more cells than the header has columns"))
            continue
        problems: list[tuple[str, str]] = []
        plan = _brink_csv_plan(at, cells, options, zone, problems)
        event_id = plan.id if plan else None
        if event_id is not None and event_id in seen_ids:
            problems.append(("id", f"event {event_id} is also on line {seen_ids[event_id]}"))
        if problems:
            parsed.problems += [at.problem(column, message) for column, message in problems]
            continue
        if event_id is not None:
            seen_ids[event_id] = line
        if plan is not None:
            parsed.events.append(plan)
    return parsed


def _brink_csv_plan(
    at: Location,
    cells: dict[str, str],
    options: ImportOptions,
    zone: ZoneInfo,
    problems: list[tuple[str, str]],
) -> EventPlan | None:
    """A row as a plan. Columns absent from the file leave an existing event's values alone;
    blank enumerations (type, status…) do too, and give a new event the import's defaults."""
    fields: dict[str, Any] = {}
    defaults = {
        "type": options.type,
        "status": options.status.value,
        "verification": options.verification.value,
    }
    event_id = None
    if cells.get("id", "").strip():
        raw = cells["id"].strip()
        if raw.isdigit() and int(raw) >= 1:
            event_id = int(raw)
        else:
            problems.append(("id", f"{raw!r} is not an event number"))
    for column in ("title", "summary"):
        if column in cells:
            fields[column] = cells[column]
    for column in ("type", "status", "verification", "importance"):
        if cells.get(column, "").strip():
            fields[column] = cells[column].strip()
    for column, key in (("place_name", "place"), ("place_lat", "lat"), ("place_lon", "lon")):
        if column in cells:
            fields[key] = cells[column].strip() or None
    clock_zone = zone
    if "place_timezone" in cells:
        fields["timezone"] = cells["place_timezone"].strip() or None
        if fields["timezone"]:
            try:
                clock_zone = ZoneInfo(fields["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(("place_timezone", f"unknown time zone {fields['timezone']!r}"))
    for part in ("start", "end"):
        if f"{part}_local" not in cells and f"{part}_at" not in cells:
            continue
        column = at.names[part]
        value = cells.get(column, "").strip()
        precision = cells.get(f"{part}_precision", "").strip() or None
        if f"{part}_precision" in cells:
            fields["precision" if part == "start" else "end_precision"] = precision
        if f"{part}_approximate" in cells:
            approximate = cells[f"{part}_approximate"].strip().lower()
            if approximate not in _TRUTH:
                problems.append((f"{part}_approximate", f"{approximate!r} is not true or false"))
            fields["approximate" if part == "start" else "end_approximate"] = _TRUTH.get(
                approximate, False
            )
        if not value:
            if part == "start":
                problems.append((column, "This is required."))
            fields[part] = None
            continue
        try:
            fields[part] = _local(value, precision, clock_zone, zone)
        except ValueError:
            problems.append(
                (column, f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM, or ISO 8601")
            )
    plan = EventPlan(at, fields, defaults=defaults, id=event_id, from_csv=True)
    if "actors" in cells:
        plan.actors = []
        for item in filter(None, (part.strip() for part in cells["actors"].split(";"))):
            slug, _, role = item.partition(":")
            plan.actors.append((slug.strip(), role.strip() or options.role.value))
    if "sources" in cells:
        plan.sources = []
        for item in filter(None, (part.strip() for part in cells["sources"].split(" | "))):
            source = _source_text(item)
            if source is None:
                problems.append(("sources", f"{item!r} is not 'publisher — title <url>'"))
            else:
                plan.sources.append((source, None))
    return plan


def _local(value: str, precision: str | None, clock_zone: ZoneInfo, crisis_zone: ZoneInfo) -> str:
    """A CSV date or time (with an offset, as /events.csv writes it, or local) as Brink's local
    start: a clock time in the place's zone, or a day of the crisis's calendar."""
    moment = datetime.fromisoformat(value)
    has_time = len(value) > 10
    clock = precision in (None, "minute", "hour")
    if not has_time:
        return moment.date().isoformat()
    if moment.tzinfo is not None:
        moment = moment.astimezone(clock_zone if clock else crisis_zone)
    return moment.strftime("%Y-%m-%dT%H:%M") if clock else moment.date().isoformat()


def _source_text(item: str) -> SourceText | None:
    """'Reuters — Biden warns Putin <https://…>' → its publisher, title and URL."""
    url = None
    if item.endswith(">") and " <" in item:
        item, _, url = item[:-1].rpartition(" <")
    publisher, dash, title = item.partition(" — ")
    if not dash or not publisher.strip() or not title.strip():
        return None
    return SourceText(publisher.strip(), title.strip(), url.strip() if url else None)


# TimelineJS

_TIMELINE_CSV_NAMES = {
    "title": "Headline",
    "summary": "Text",
    "start": "Year",
    "precision": "Year",
    "end": "End Year",
    "end_precision": "End Year",
    "actors": "Group",
    "sources": "Media",
    "type": "--type",
    "timezone": "--timezone",
}
_TIMELINE_JSON_NAMES = {
    "title": "text.headline",
    "summary": "text.text",
    "start": "start_date",
    "precision": "start_date",
    "end": "end_date",
    "end_precision": "end_date",
    "actors": "group",
    "sources": "media.url",
    "type": "--type",
    "timezone": "--timezone",
}
NO_ACTOR = "every Brink event names an actor: fill this in, or name an actor for rows without one"


@dataclass
class _Slide:
    """A TimelineJS event, as its fields say it."""

    at: Location
    headline: str
    text: str
    start: tuple[str, str]
    end: tuple[str, str] | None
    group: str
    media_url: str
    credit: str
    caption: str
    unique_id: str | None = None


def _read_timelinejs_csv(name: str, text_: str, options: ImportOptions) -> Parsed:
    parsed = Parsed(ImportFormat.TIMELINEJS_CSV)
    rows = _csv_rows(name, text_)
    first = next(rows, None)
    if first is None:
        return parsed
    header = [timelinejs.column_key(cell) for cell in first[1]]
    missing = [timelinejs.CSV_COLUMNS[c] for c in ("year", "headline") if c not in header]
    if missing:
        columns = ", ".join(repr(c) for c in missing)
        problem = f"{name}:{first[0]}: not a TimelineJS sheet: no {columns} column"
        parsed.problems.append((0, problem))
        return parsed
    keys: dict[str, str] = {}
    for order, (line, row) in enumerate(rows, start=1):
        at = Location(name, line=line, names=_TIMELINE_CSV_NAMES, order=order)
        cells = {column: value.strip() for column, value in zip(header, row, strict=False)}
        kind = cells.get("type", "").lower()
        if kind in ("title", "era"):
            what = "title slides" if kind == "title" else "eras"
            parsed.skipped[what] = parsed.skipped.get(what, 0) + 1
            continue
        problems: list[tuple[str, str]] = []
        start = _csv_point(cells, "", problems)
        end = _csv_point(cells, "end", problems) if cells.get("endyear") else None
        if not cells.get("endyear") and any(cells.get(f"end{p}") for p in ("month", "day", "time")):
            problems.append(("End Year", "An end needs its year."))
        if problems or start is None:
            parsed.problems += [at.problem(column, why) for column, why in problems]
            continue
        slide = _Slide(
            at, cells.get("headline", ""), cells.get("text", ""), start, end,
            cells.get("group", ""), cells.get("media", ""), cells.get("mediacredit", ""),
            cells.get("mediacaption", ""),
        )  # fmt: skip
        _add_slide(parsed, slide, options, keys, f"line {line}")
    return parsed


def _csv_point(
    cells: dict[str, str], prefix: str, problems: list[tuple[str, str]]
) -> tuple[str, str] | None:
    label = "End " if prefix else ""
    hour = minute = None
    time_ = cells.get(f"{prefix}time", "")
    try:
        if time_:
            hour, minute = timelinejs.parse_time(time_)
        return timelinejs.point(
            cells.get(f"{prefix}year"), cells.get(f"{prefix}month"), cells.get(f"{prefix}day"),
            hour, minute,
        )  # fmt: skip
    except timelinejs.DateProblem as problem:
        part = "time" if problem.part in ("hour", "minute", "time") else problem.part
        problems.append((label + part.capitalize(), str(problem)))
        return None


def _read_timelinejs_json(name: str, data: dict[str, Any], options: ImportOptions) -> Parsed:
    parsed = Parsed(ImportFormat.TIMELINEJS_JSON)
    if isinstance(data.get("title"), dict):
        parsed.skipped["title slides"] = 1
    if isinstance(data.get("eras"), list) and data["eras"]:
        parsed.skipped["eras"] = len(data["eras"])
    events = data.get("events")
    if not isinstance(events, list):
        parsed.problems.append((0, f"{name}: events: should be a list"))
        return parsed
    keys: dict[str, str] = {}
    for index, entry in enumerate(events):
        at = Location(name, path=f"events[{index}]", names=_TIMELINE_JSON_NAMES, order=index + 1)
        problems: list[tuple[str, str]] = []
        if not isinstance(entry, dict):
            parsed.problems.append(at.problem(None, "should be an object"))
            continue
        text_ = _object(entry, "text", problems)
        media = _object(entry, "media", problems)
        start = _json_point(entry, "start_date", problems, required=True)
        end = _json_point(entry, "end_date", problems, required=False)
        strings = {}
        for path, value in (
            ("text.headline", text_.get("headline")), ("text.text", text_.get("text")),
            ("media.url", media.get("url")), ("media.credit", media.get("credit")),
            ("media.caption", media.get("caption")), ("group", entry.get("group")),
            ("unique_id", entry.get("unique_id")),
        ):  # fmt: skip
            if value is not None and not isinstance(value, str | int):
                problems.append((path, "should be text"))
            strings[path] = "" if value is None else str(value).strip()
        if problems or start is None:
            parsed.problems += [at.problem(path, why) for path, why in problems]
            continue
        slide = _Slide(
            at, strings["text.headline"], strings["text.text"], start, end, strings["group"],
            strings["media.url"], strings["media.credit"], strings["media.caption"],
            strings["unique_id"] or None,
        )  # fmt: skip
        _add_slide(parsed, slide, options, keys, f"events[{index}]")
    return parsed


def _object(entry: dict[str, Any], key: str, problems: list[tuple[str, str]]) -> dict[str, Any]:
    value = entry.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append((key, "should be an object"))
        return {}
    return value


def _json_point(
    entry: dict[str, Any], key: str, problems: list[tuple[str, str]], *, required: bool
) -> tuple[str, str] | None:
    value = entry.get(key)
    if value is None:
        if required:
            problems.append((key, "This is required."))
        return None
    if not isinstance(value, dict):
        problems.append((key, "should be an object with a year"))
        return None
    try:
        return timelinejs.point(
            value.get("year"), value.get("month"), value.get("day"), value.get("hour"),
            value.get("minute"),
        )  # fmt: skip
    except timelinejs.DateProblem as problem:
        problems.append((f"{key}.{problem.part}", str(problem)))
        return None


def _add_slide(
    parsed: Parsed, slide: _Slide, options: ImportOptions, keys: dict[str, str], where: str
) -> None:
    """A TimelineJS event as a plan: what it says replaces an existing event's title, text and
    dates; its group and media are added to the event's actors and sources."""
    title = timelinejs.plain_text(slide.headline)
    start, precision = slide.start
    if slide.unique_id:
        uid = slide.unique_id
        key = "timelinejs-id-" + (uid if len(uid) <= 180 else _digest(uid))
    else:
        key = "timelinejs-" + _digest(f"{title}\n{start}\n{precision}")
    if key in keys:
        same = "unique_id" if slide.unique_id else "headline and date"
        parsed.problems.append(slide.at.problem(None, f"the same {same} as {keys[key]}"))
        return
    keys[key] = where
    fields: dict[str, Any] = {
        "title": title,
        "summary": timelinejs.html_to_markdown(slide.text),
        "start": start,
        "precision": precision,
        "approximate": False,
        "end": slide.end[0] if slide.end else None,
        "end_precision": slide.end[1] if slide.end else None,
        "end_approximate": False,
    }
    if options.timezone:
        fields["timezone"] = options.timezone
    group = timelinejs.plain_text(slide.group) or options.actor
    sources: list[tuple[SourceRef, str | None]] = []
    url = slide.media_url
    if url.lower().startswith(("http://", "https://")) and " " not in url:
        publisher = timelinejs.plain_text(slide.credit) or _host(url)
        caption = timelinejs.plain_text(slide.caption) or title or url
        sources.append((SourceText(publisher[:300], caption[:500], url, by_url=True), None))
    parsed.events.append(
        EventPlan(
            slide.at,
            fields,
            defaults={
                "type": options.type,
                "status": options.status.value,
                "verification": options.verification.value,
            },
            actors=[(NamedActor(group), options.role.value)] if group else [],
            sources=sources,
            add_links=True,
            no_actor=NO_ACTOR,
            key=key,
        )
    )


def _digest(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()[:16]


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")
