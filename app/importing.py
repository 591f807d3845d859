"""`brink import` and /admin/import: events from a file, all of them or none.

`app/import_formats.py` reads the file into plans; they are checked and written here in one
transaction, with the rules of `app/editing.py` (the same input models, the same messages), and
every created or changed event and actor gets its revision (with the importing user, or none from
the command line). Every bad record is reported, and if there is any, nothing is written.

Records are matched, so importing the same file again changes nothing: Brink's formats by id
(ids are kept), TimelineJS's by `unique_id`, or else by a key made from the headline and date.

A file may hold a hundred thousand events, so the work is done in bulk: what the records refer
to (actors, sources, existing events, keys) is read up front with a few IN queries, events are
checked in memory a thousand at a time and written with Core executemany (rows, links,
revisions; on SQLite straight through the driver), and the search index is refreshed once at the
end (runs of new ids by the database itself). Plans are let go as they are written. Only the rare
changes of an existing record's publication, trash state or actor go through the editing
functions one by one.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, selectinload

from app import counting, editing, live, search
from app.db import analyze, write_session
from app.editing import (
    ActorInput,
    EditError,
    EventInput,
    SourceInput,
    create_actor,
    delete_event,
    diff,
    event_columns,
    event_input,
    event_problems,
    load_event,
    parse,
    publish_event,
    restore_event,
    slugify,
    unpublish_event,
    update_actor,
)
from app.import_formats import (
    ActorPlan,
    ActorRef,
    EventPlan,
    ImportFormat,
    ImportOptions,
    ImportProblems,
    Location,
    NamedActor,
    OptionError,
    Parsed,
    SourcePlan,
    SourceText,
    read,
)
from app.models import (
    Actor,
    ActorAlias,
    ActorFormerSlug,
    Citation,
    Event,
    EventActor,
    EventRelation,
    EventType,
    Revision,
    Source,
    utcnow,
)

Progress = Callable[[int, int], None]  # (records done, records in all)
KINDS = ("events", "actors", "sources")
CHUNK = 1000  # ids in one IN list, events checked and written at a time
RUN = 10_000  # consecutive event ids reindexed in one statement
EVENTS = cast(Any, Event.__table__)
SOURCES = cast(Any, Source.__table__)
ACTORS = cast(Any, Actor.__table__)
T = TypeVar("T")


@dataclass
class ImportReport:
    format: str
    dry_run: bool = False
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    skipped: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """'created 3 events, updated 1, unchanged 2; created 1 actor, …; skipped 1 title slide'"""
        parts = []
        for kind in KINDS:
            counts = (self.created[kind], self.updated[kind], self.unchanged[kind])
            if kind == "events" or any(counts):
                noun = kind if counts[0] != 1 else kind[:-1]
                parts.append(
                    f"created {counts[0]} {noun}, updated {counts[1]}, unchanged {counts[2]}"
                )
        skipped = [f"{n} {what if n != 1 else what[:-1]}" for what, n in self.skipped.items() if n]
        if skipped:
            parts.append("skipped " + ", ".join(skipped))
        return "; ".join(parts)


# Writing


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


def import_file(
    engine: Engine,
    name: str,
    content: bytes,
    zone: ZoneInfo,
    options: ImportOptions,
    *,
    user_id: int | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole file, then write it in one transaction; ImportProblems (nothing written)
    if any record is bad. A dry run checks everything the same way and writes nothing."""
    parsed = read(name, content, options, zone)
    report = ImportReport(parsed.format.value, dry_run=dry_run, skipped=dict(parsed.skipped))
    try:
        with write_session(engine) as session:
            takes_type = parsed.format != ImportFormat.BRINK_JSON
            if takes_type and session.get(EventType, options.type) is None:
                raise OptionError("type", f"There is no event type {options.type!r}.")
            writer = _Writer(session, zone, options, user_id, f"Imported from {name}.", report)
            writer.run(parsed, progress)
            problems = sorted(parsed.problems + writer.problems, key=lambda p: p[0])
            if problems:
                raise ImportProblems([text_ for _, text_ in problems])
            if dry_run:
                raise _DryRun(report)
    except _DryRun:
        return report
    analyze(engine)
    return report


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same_links(one: list[dict[str, Any]], other: list[dict[str, Any]]) -> bool:
    def key(link: dict[str, Any]) -> tuple[str, str]:
        return str(link["actor"]), str(link["role"])

    return sorted(map(key, one)) == sorted(map(key, other))


def _insert_rows(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT the rows (all with the same keys) with executemany. On SQLite straight through the
    driver, each column's own bind processor applied as SQLAlchemy would: its per-row parameter
    building costs more than SQLite's inserts at a hundred thousand rows."""
    if not rows:
        return
    statement = insert(table)
    if connection.dialect.name != "sqlite":
        # psycopg's executemany (pipelined). Tried: RETURNING, for SQLAlchemy's thousand-row
        # INSERTs (insertmanyvalues), took twice the time at 100k events.
        connection.execute(statement, rows)
        return
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(rows[0]))
    names = list(compiled.positiontup or ())
    if not names or any(name not in rows[0] for name in names):  # a Python-side default
        connection.execute(statement, rows)
        return
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(list(map(process, values)) if process else values)
    connection.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


class _Actors:
    """Every actor's id, slug and name in memory, to find the actors records name without a
    query each (and, for TimelineJS groups, their aliases)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.name_of: dict[int, str] = {}
        self.by_slug: dict[str, int] = {}
        self.groups: dict[str, dict[str, int]] | None = None  # name, alias, slug → id
        for actor_id, slug, name in connection.execute(
            select(ACTORS.c.id, ACTORS.c.slug, ACTORS.c.name).order_by(ACTORS.c.id)
        ):
            self.add(actor_id, slug, name)

    def add(self, actor_id: int, slug: str, name: str) -> None:
        self.name_of[actor_id] = name
        self.by_slug[slug] = actor_id
        if self.groups is not None:
            self.groups["name"].setdefault(name.casefold(), actor_id)
            self.groups["slug"].setdefault(slug, actor_id)

    def find(self, ref: int | str) -> int | None:
        """An id or a slug, as editing.find_actor reads it."""
        if isinstance(ref, int) or ref.isdigit():
            return int(ref) if int(ref) in self.name_of else None
        return self.by_slug.get(ref)

    def group(self, name: str) -> int | None:
        """A TimelineJS group's actor: by name, then alias, then slug (any case)."""
        if self.groups is None:
            groups: dict[str, dict[str, int]] = {"name": {}, "alias": {}, "slug": {}}
            for actor_id in sorted(self.name_of):
                groups["name"].setdefault(self.name_of[actor_id].casefold(), actor_id)
            for slug, actor_id in sorted(self.by_slug.items(), key=lambda item: item[1]):
                groups["slug"].setdefault(slug, actor_id)
            aliases = select(ActorAlias.actor_id, ActorAlias.name).order_by(ActorAlias.actor_id)
            for actor_id, alias in self.connection.execute(aliases):
                groups["alias"].setdefault(alias.casefold(), actor_id)
            self.groups = groups
        wanted = name.strip().casefold()
        tries = [("name", wanted), ("alias", wanted), ("slug", wanted), ("slug", slugify(name))]
        return next((self.groups[k][v] for k, v in tries if v in self.groups[k]), None)


@dataclass
class _Known:
    """A source a described source (SourceText) may be: id None until it is inserted."""

    id: int | None
    publisher: str
    title: str


@dataclass(eq=False)
class _NewActor:
    """An actor the file adds, waiting to be inserted after its parent."""

    plan: ActorPlan
    row: dict[str, Any]  # the actors row; "id" once known
    parent: "int | _NewActor | None"
    aliases: list[str]

    @property
    def id(self) -> int | None:
        return self.row.get("id") if "parent_id" in self.row else None


@dataclass
class _Written:
    """What one chunk of events writes."""

    created: list[dict[str, Any]] = field(default_factory=list)  # event rows, with "id" or not
    updated: list[dict[str, Any]] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)  # only the key changed
    links: list[tuple[Any, list[tuple[int, str]], list[tuple[int, str | None]]]] = field(
        default_factory=list
    )  # (event row or id, actors, sources)
    revisions: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)  # (row or id, row)
    relations: list[tuple[Any, set[tuple[int, str]]]] = field(default_factory=list)


class _Writer:
    """Checks plans against what the database holds and writes them, collecting every record's
    problems."""

    def __init__(
        self,
        session: Session,
        zone: ZoneInfo,
        options: ImportOptions,
        user_id: int | None,
        note: str,
        report: ImportReport,
    ) -> None:
        self.session = session
        self.connection = session.connection()
        self.zone = zone
        self.options = options
        self.user_id = user_id
        self.note = note
        self.report = report
        self.problems: list[tuple[int, str]] = []
        self.explicit_ids: set[str] = set()  # tables given rows with the file's ids
        self.postgresql = self.connection.dialect.name == "postgresql"
        self.actors = _Actors(self.connection)
        self.types = set(self.connection.scalars(select(EventType.slug)))
        self.source_ids: set[int] = set()  # sources known to exist
        self.described: dict[str | None, list[_Known]] = {}  # SourceText candidates by URL
        self.event_ids: set[int] = set()  # events known to exist (or to be made by this file)
        self.reindex: set[int] = set()  # events written: their search documents and counts
        self.uncounted: set[int] = set()  # events whose counts were taken away (app/counting.py)
        self.counted = counting.newest_rows(self.connection)  # the counts' rows before this file
        self.now = utcnow()

    def fail(self, at: Location, error: EditError | str, field_path: str | None = None) -> None:
        if isinstance(error, EditError):
            self.problems += [at.problem(f, message) for f, message in error.errors.items()]
        else:
            self.problems.append(at.problem(field_path, error))

    def count(self, kind: str, outcome: str) -> None:
        getattr(self.report, outcome)[kind] += 1

    def run(self, parsed: Parsed, progress: Progress | None) -> None:
        done, total = 0, parsed.records

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)

        if progress is not None:
            progress(0, total)
        self.sources(parsed.sources, tick)
        parsed.sources.clear()  # written: let a large file's plans go
        self.write_actors(self._parents_first(parsed.actors), tick)
        editing.refresh_actor_members(self.connection)
        self.events(parsed.events, tick)  # consumes them
        self._reindex()
        self._move_id_sequences()

    def _reindex(self) -> None:
        """The search documents and counts of the written events: runs of consecutive ids (new
        events mostly are) built by the database in one statement each, the rest read back in
        Python; and the counts of the file's events that were here and did not change."""
        ids = sorted(self.reindex)
        scattered: list[int] = []
        start = 0
        for end in range(1, len(ids) + 1):
            if end < len(ids) and ids[end] == ids[end - 1] + 1 and end - start < RUN:
                continue
            if end - start >= 100:
                search.reindex_range(self.connection, ids[start], ids[end - 1])
                counting.count_range(self.connection, ids[start], ids[end - 1])
            else:
                scattered += ids[start:end]
            start = end
        search.reindex(self.connection, scattered)
        counting.count(self.connection, [*scattered, *(self.uncounted - self.reindex)])
        counting.compact(self.connection, self.counted)  # merge the rows each run added

    def _rows_in(self, query: Any, column: Any, values: Sequence[Any]) -> Iterator[Any]:
        """The rows of `query` whose `column` is one of `values`, a chunk at a time."""
        for chunk in _chunks(sorted(set(values), key=str)):
            yield from self.connection.execute(query.where(column.in_(chunk)))

    def _revision(self, entity: str, entity_id: int, version: int, **values: Any) -> dict:
        live.announce(self.session)  # open timelines hear of it at commit (PostgreSQL)
        return {
            "entity": entity, "entity_id": entity_id, "version": version,
            "user_id": self.user_id, "created_at": self.now, "note": self.note.strip(),
            "public": False, "changes": [], **values,
        }  # fmt: skip

    # Sources

    def sources(self, plans: list[SourcePlan], tick: Callable[[], None]) -> None:
        columns = (SOURCES.c.id, SOURCES.c.key, SOURCES.c.publisher, SOURCES.c.title)
        query = select(*columns, SOURCES.c.url, SOURCES.c.published_on, SOURCES.c.version)
        stored = {row.id: row for row in self._rows_in(query, SOURCES.c.id, [p.id for p in plans])}
        holders = dict(
            self._rows_in(
                select(SOURCES.c.key, SOURCES.c.id), SOURCES.c.key, [p.key for p in plans]
            )
        )
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for plan in plans:
            tick()
            holder = holders.get(plan.key) if plan.key else None
            if holder is not None and holder != plan.id:
                self.fail(plan.at, f"the key {plan.key!r} belongs to source {holder}", "key")
                continue
            data = plan.data
            values = {
                "publisher": data.publisher, "title": data.title, "url": data.url,
                "published_on": data.published, "key": plan.key,
            }  # fmt: skip
            row = stored.get(plan.id) if plan.id else None
            if row is None:
                new.append({**values, "id": plan.id, "version": 1})
                self.count("sources", "created")
                continue
            self.source_ids.add(row.id)
            same = all(getattr(row, name) == value for name, value in values.items())
            if same:
                self.count("sources", "unchanged")
                continue
            # A new key alone is bookkeeping; a change of what the source says is a new version.
            edited = any(getattr(row, name) != values[name] for name in values if name != "key")
            changed.append({**values, "_id": row.id, "version": row.version + int(edited)})
            self.count("sources", "updated")
            if edited:  # search documents hold the publisher
                citing = select(Citation.event_id).where(Citation.source_id == row.id)
                self.reindex.update(self.connection.scalars(citing))
        with_ids = [row for row in new if row["id"] is not None]
        if with_ids:
            _insert_rows(self.connection, SOURCES, with_ids)
            self.explicit_ids.add("sources")
        self.source_ids.update(row["id"] for row in with_ids)
        self.source_ids.update(self._insert([r for r in new if r["id"] is None], SOURCES))
        if changed:
            statement = update(SOURCES).where(SOURCES.c.id == bindparam("_id"))
            self.connection.execute(statement, changed)

    def _insert(self, rows: list[dict[str, Any]], table: Any) -> list[int]:
        """Insert rows without ids, giving them new ids (in order, returned): drawn from
        PostgreSQL's sequence, or on SQLite counted on from the highest id (and from the highest
        ever used, for an AUTOINCREMENT table), the write lock held. (INSERT … RETURNING in
        parameter order would send SQLite one statement a row.)"""
        if not rows:
            return []
        if self.postgresql:
            ids = sorted(
                self.connection.scalars(
                    text(
                        f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"count": len(rows)},
                )
            )
        else:
            highest = self.connection.scalar(select(func.max(table.c.id))) or 0
            if table.dialect_options["sqlite"].get("autoincrement"):
                used = self.connection.scalar(
                    text("SELECT seq FROM sqlite_sequence WHERE name = :name"),
                    {"name": table.name},
                )
                highest = max(highest, used or 0)
            ids = list(range(highest + 1, highest + 1 + len(rows)))
        for row, id_ in zip(rows, ids, strict=True):
            row["id"] = id_
        _insert_rows(self.connection, table, rows)
        return ids

    # Actors

    def _parents_first(self, plans: list[ActorPlan]) -> list[ActorPlan]:
        by_slug = {plan.data.slug: plan for plan in plans}
        ordered: list[ActorPlan] = []
        state: dict[int, str] = {}

        def visit(plan: ActorPlan) -> None:
            mark = state.get(id(plan))
            if mark == "done":
                return
            if mark == "visiting":
                self.fail(plan.at, "an actor cannot belong to itself or its members", "parent")
                return
            state[id(plan)] = "visiting"
            parent = by_slug.get(plan.data.parent) if isinstance(plan.data.parent, str) else None
            if parent is not None:
                visit(parent)
            state[id(plan)] = "done"
            ordered.append(plan)

        for plan in plans:
            visit(plan)
        return ordered

    def write_actors(self, plans: list[ActorPlan], tick: Callable[[], None]) -> None:
        """New actors first, checked here and inserted together; then changes to existing ones,
        through editing.update_actor (their new parent may be one of the new actors)."""
        ids = sorted({plan.id for plan in plans if plan.id})
        stored: dict[int, Actor] = {}
        for chunk in _chunks(ids):
            query = (
                select(Actor)
                .where(Actor.id.in_(chunk))
                .options(selectinload(Actor.aliases), selectinload(Actor.former_slugs))
                .with_for_update(of=Actor)
            )
            stored.update((actor.id, actor) for actor in self.session.scalars(query))
        # An existing actor's slug as the file has it (it may rename it), for new members.
        self.file_slugs = {plan.data.slug: plan.id for plan in plans if plan.id in stored}
        self.pending: dict[str | int, _NewActor] = {}  # new actors by slug and by the file's id
        for plan in plans:
            if plan.id not in stored:
                self._new_actor(plan)
                tick()
        self._write_new_actors()
        for plan in plans:
            actor = stored.get(plan.id or 0)
            if actor is not None:
                self._update_actor(plan, actor)
                tick()

    def _update_actor(self, plan: ActorPlan, actor: Actor) -> None:
        old_slug = actor.slug
        try:
            changed = update_actor(
                self.session, actor, plan.data, self.user_id, expected_version=None,
                note=self.note, action="reimport",
            )  # fmt: skip
        except EditError as error:
            self.fail(plan.at, error)
            return
        if actor.slug != old_slug:
            self.actors.by_slug.pop(old_slug, None)
        self.actors.add(actor.id, actor.slug, actor.name)
        if self._former_slugs(plan, actor):
            changed = True
        self.count("actors", "updated" if changed else "unchanged")

    def _new_actor(self, plan: ActorPlan) -> None:
        """A new actor, checked as editing.create_actor checks one."""
        data = plan.data
        errors: dict[str, str] = {}
        slug = data.slug or slugify(data.name)
        if slug in self.actors.by_slug or slug in self.pending:
            errors["slug"] = f"The slug {slug!r} belongs to another actor."
        parent: int | _NewActor | None = None
        if data.parent is not None and data.parent != "":
            ref = data.parent
            key = int(ref) if isinstance(ref, int) or ref.isdigit() else ref
            parent = self.pending.get(key) or self.file_slugs.get(ref) or self.actors.find(ref)
            if parent is None:
                errors["parent"] = f"There is no actor {data.parent!r}."
        for former in plan.former_slugs:
            if former in self.actors.by_slug or former in self.pending or former == slug:
                errors.setdefault("former_slugs", f"{former!r} is the slug of an actor")
        if errors:
            self.fail(plan.at, EditError(errors))
            return
        row = {
            "slug": slug, "name": data.name, "kind": data.kind.value,
            "description": data.description.strip(), "version": 1,
            "created_at": self.now, "updated_at": self.now,
        }  # fmt: skip
        if plan.id is not None:
            row["id"] = plan.id
            self.explicit_ids.add("actors")
        new = _NewActor(plan, row, parent, list(dict.fromkeys(a for a in data.aliases if a)))
        self.pending[slug] = new
        if plan.id is not None:
            self.pending[plan.id] = new
        self.count("actors", "created")

    def _write_new_actors(self) -> None:
        """Insert the new actors, parents before members (a round per level of the tree), then
        their aliases, former slugs and revisions."""
        written: list[_NewActor] = []
        todo = list(dict.fromkeys(self.pending.values()))
        while todo:
            ready = [new for new in todo if not isinstance(new.parent, _NewActor) or new.parent.id]
            if not ready:
                break  # a loop of parents: already reported
            for new in ready:
                parent = new.parent
                new.row["parent_id"] = parent.id if isinstance(parent, _NewActor) else parent
            with_ids = [new.row for new in ready if "id" in new.row]
            if with_ids:
                _insert_rows(self.connection, ACTORS, with_ids)
            without = [new for new in ready if "id" not in new.row]
            ids = self._insert([dict(new.row) for new in without], ACTORS)
            for new, id_ in zip(without, ids, strict=True):
                new.row["id"] = id_
            written += ready
            todo = [new for new in todo if new not in ready]
        aliases, former, revisions = [], {}, []
        for new in written:
            actor_id = new.row["id"]
            self.actors.add(actor_id, new.row["slug"], new.row["name"])
            aliases += [
                {"actor_id": actor_id, "name": name, "position": position}
                for position, name in enumerate(new.aliases)
            ]
            former.update(dict.fromkeys(new.plan.former_slugs, actor_id))
            data = new.plan.data
            snapshot = ActorInput(
                name=data.name, slug=new.row["slug"], kind=data.kind,
                parent=new.row["parent_id"], aliases=new.aliases,
                description=new.row["description"],
            ).model_dump(mode="json")  # fmt: skip
            revisions.append(
                self._revision("actor", actor_id, 1, action="import", snapshot=snapshot)
            )
        if aliases:
            _insert_rows(self.connection, ActorAlias.__table__, aliases)
        if former:
            # A former slug held by another actor moves to the one the file gives it to.
            table = cast(Any, ActorFormerSlug.__table__)
            for chunk in _chunks(sorted(former)):
                self.connection.execute(delete(table).where(table.c.slug.in_(chunk)))
            rows = [{"slug": slug, "actor_id": id_} for slug, id_ in former.items()]
            self.connection.execute(insert(table), rows)
        if revisions:
            _insert_rows(self.connection, Revision.__table__, revisions)

    def _former_slugs(self, plan: ActorPlan, actor: Actor) -> bool:
        wanted = sorted(plan.former_slugs)
        if sorted(former.slug for former in actor.former_slugs) == wanted:
            return False
        for slug in wanted:
            holder = self.session.scalar(select(Actor.id).where(Actor.slug == slug))
            if holder is not None:
                self.fail(plan.at, f"{slug!r} is the slug of an actor", "former_slugs")
                return False
        with self.session.no_autoflush:
            rows = []
            for slug in wanted:
                row = self.session.get(ActorFormerSlug, slug) or ActorFormerSlug(slug=slug)
                rows.append(row)
            actor.former_slugs = rows
        self.session.flush()
        return True

    def named_actor(self, name: str) -> int:
        """A TimelineJS group's actor: by name, then alias, then slug (any case); or a new one."""
        found = self.actors.group(name)
        if found is not None:
            return found
        data = parse(ActorInput, {"name": name.strip(), "kind": self.options.actor_kind.value})
        actor = create_actor(self.session, data, self.user_id, self.note, action="import")
        self.count("actors", "created")
        self.actors.add(actor.id, actor.slug, actor.name)
        assert self.actors.groups is not None
        self.actors.groups["name"][name.strip().casefold()] = actor.id
        return actor.id

    # Sources named by their text

    def _described_sources(self, plans: list[EventPlan]) -> None:
        """Find the sources the file describes by their text (Brink CSV, TimelineJS) and insert
        those missing, all at once; a description that is no valid source fails its record."""
        refs = [
            (plan, ref)
            for plan in plans
            for ref, _ in plan.sources or []
            if isinstance(ref, SourceText)
        ]
        if not refs:
            return
        columns = (SOURCES.c.url, SOURCES.c.id, SOURCES.c.publisher, SOURCES.c.title)
        query = select(*columns).order_by(SOURCES.c.id)
        urls = [ref.url for _, ref in refs if ref.url]
        titles = [ref.title for _, ref in refs if not ref.url]
        found = list(self._rows_in(query, SOURCES.c.url, urls))
        found += self._rows_in(query.where(SOURCES.c.url.is_(None)), SOURCES.c.title, titles)
        for url, id_, publisher, title in sorted(found, key=lambda row: row.id):
            self.described.setdefault(url, []).append(_Known(id_, publisher, title))
            self.source_ids.add(id_)
        new: list[tuple[_Known, dict[str, Any]]] = []
        for plan, ref in refs:
            if self._matches(ref):
                continue
            data = {"publisher": ref.publisher, "title": ref.title, "url": ref.url}
            try:
                source = parse(SourceInput, data)
            except EditError as error:
                self.fail(plan.at, EditError({"sources": next(iter(error.errors.values()))}))
                self.bad.add(id(plan))
                continue
            known = _Known(None, ref.publisher, ref.title)
            self.described.setdefault(ref.url, []).append(known)
            row = {"publisher": source.publisher, "title": source.title, "url": source.url}
            new.append((known, {**row, "published_on": None, "key": None, "version": 1}))
        ids = self._insert([row for _, row in new], SOURCES)
        for (known, _), id_ in zip(new, ids, strict=True):
            known.id = id_
            self.source_ids.add(id_)
            self.count("sources", "created")

    def _matches(self, ref: SourceText) -> list[int]:
        return [
            cast(int, known.id)
            for known in self.described.get(ref.url, [])
            if ref.by_url or (known.publisher == ref.publisher and known.title == ref.title)
        ]

    def source_text(self, ref: SourceText, cited: list[int]) -> int:
        """The source a row describes: one the event already cites, else the first."""
        matches = self._matches(ref)
        return next((id_ for id_ in matches if id_ in cited), matches[0])

    # Events

    def events(self, plans: list[EventPlan], tick: Callable[[], None]) -> None:
        """Check and write the events, emptying `plans` as it goes."""
        self.bad: set[int] = set()  # plans already failed
        # What the file's records refer to, read up front.
        self.event_ids = {plan.id for plan in plans if plan.id is not None}
        targets = {r["event"] for plan in plans for r in plan.relations or []} - self.event_ids
        query = select(EVENTS.c.id)
        self.event_ids.update(row.id for row in self._rows_in(query, EVENTS.c.id, list(targets)))
        cited = {
            ref for plan in plans for ref, _ in plan.sources or [] if isinstance(ref, int)
        } - self.source_ids
        query = select(SOURCES.c.id)
        self.source_ids.update(row.id for row in self._rows_in(query, SOURCES.c.id, list(cited)))
        keys = [plan.key for plan in plans if plan.key]
        query = select(EVENTS.c.key, EVENTS.c.id)
        self.key_holders: dict[str, int] = dict(self._rows_in(query, EVENTS.c.key, keys))
        self._described_sources(plans)
        states: list[tuple[EventPlan, SimpleNamespace, str]] = []
        relations: list[dict[str, Any]] = []
        while plans:  # consumed a chunk at a time: a large file's plans are let go as written
            chunk = plans[:CHUNK]
            del plans[:CHUNK]
            stored = self._stored([p.id or self.key_holders.get(p.key or "") for p in chunk])
            # Taken away before any change, added back (as written) by _reindex.
            counting.count(self.connection, stored.keys() - self.uncounted, -1)
            self.uncounted.update(stored)
            written = _Written()
            for plan in chunk:
                tick()
                if id(plan) in self.bad:
                    continue
                event = stored.get(plan.id or self.key_holders.get(plan.key or "") or 0)
                outcome = self.event(plan, event, written)
                if event is None or plan.state is None or outcome is None:
                    continue
                if self._state_differs(plan, event):  # kept for after the events are written
                    states.append((plan, event, outcome))
            relations += self._write(written)
            del chunk, stored, written
        if self.problems:
            return  # nothing will be kept: a relation may point to an event never written
        if relations:
            _insert_rows(self.connection, EventRelation.__table__, relations)
        # Publication and the trash, as a Brink JSON file has them, for events that were here.
        for plan, event, outcome in states:
            self.state(plan, event)
            if outcome == "unchanged":
                self.report.unchanged["events"] -= 1
                self.report.updated["events"] += 1

    def _stored(self, ids: list[int | None]) -> dict[int, SimpleNamespace]:
        """Existing events by id, locked, each as event_input reads an Event (without the ORM:
        a re-import reads a hundred thousand of them)."""
        wanted = [id_ for id_ in ids if id_ is not None]
        if not wanted:
            return {}
        query = select(EVENTS).where(EVENTS.c.id.in_(wanted))
        if self.postgresql:
            query = query.with_for_update()
        stored = {
            row["id"]: SimpleNamespace(**row, actor_links=[], citations=[], relations_out=[])
            for row in self.connection.execute(query).mappings()
        }
        for table, attribute, column in (
            (EventActor.__table__, "actor_links", "event_id"),
            (Citation.__table__, "citations", "event_id"),
            (EventRelation.__table__, "relations_out", "from_event_id"),
        ):
            table = cast(Any, table)
            order = table.c.position if attribute != "relations_out" else table.c.id
            links = select(table).where(table.c[column].in_(list(stored))).order_by(order)
            for link in self.connection.execute(links):
                getattr(stored[getattr(link, column)], attribute).append(link)
                if attribute == "citations":
                    self.source_ids.add(link.source_id)
                elif attribute == "relations_out":
                    self.event_ids.add(link.to_event_id)
        return stored

    def event(
        self, plan: EventPlan, stored: SimpleNamespace | None, written: _Written
    ) -> str | None:
        """Check one event's plan and add what it changes to `written`; its outcome, or None if
        it is bad."""
        if plan.id is not None and plan.key is not None:
            holder = self.key_holders.get(plan.key)
            if holder is not None and holder != plan.id:
                self.fail(plan.at, f"the key {plan.key!r} belongs to event {holder}", "key")
                return None
        current = event_input(cast(Event, stored), self.zone) if stored is not None else None
        try:
            data = self._data(plan, current)
            if current is None and not data["actors"] and plan.no_actor:
                raise EditError({"actors": plan.no_actor})
            wanted = parse(EventInput, data)
            event_id = stored.id if stored is not None else plan.id
            resolved = self._resolve(wanted, event_id)
        except EditError as error:
            self.fail(plan.at, error)
            return None
        columns, actors, sources, relations = resolved
        after = self._input(columns, actors, sources, relations)
        snapshot = after.model_dump(mode="json")
        if stored is None:
            row = {**columns, **self._new_state(plan), "key": plan.key, "version": 1}
            row["updated_at"] = self.now
            if event_id is not None:
                row["id"] = event_id
                self.explicit_ids.add("events")
            written.created.append(row)
            written.links.append((row, actors, sources))
            written.relations.append((row, relations))
            snapshot["_published"] = row["published"]
            written.revisions.append((row, {"action": "import", "snapshot": snapshot}))
            self.count("events", "created")
            return "created"
        changed = False
        if after != current:
            assert current is not None
            stored.version += 1
            values = {**columns, "_id": stored.id, "version": stored.version}
            written.updated.append(values)
            written.links.append((stored.id, actors, sources))
            written.relations.append((stored.id, relations))
            public = stored.published_at is not None and current.status != after.status
            before = current.model_dump(mode="json")
            revision = {
                "action": "reimport", "public": public, "version": stored.version,
                "snapshot": {**snapshot, "_published": stored.published},
                "changes": diff(before, snapshot),
            }  # fmt: skip
            written.revisions.append((stored.id, revision))
            changed = True
        if plan.key and stored.key != plan.key:
            written.keys.append({"_id": stored.id, "key": plan.key})
            changed = True
        outcome = "updated" if changed else "unchanged"
        self.count("events", outcome)
        return outcome

    def _new_state(self, plan: EventPlan) -> dict[str, Any]:
        """A new event's publication: as the file has it (Brink JSON), else the import's."""
        state = plan.state
        if state is None:
            published = self.options.publish
            return {
                "published": published, "published_at": self.now if published else None,
                "deleted_at": None, "created_at": self.now,
            }  # fmt: skip
        published = state.published and state.deleted_at is None
        return {
            "published": published,
            "published_at": state.published_at or (self.now if published else None),
            "deleted_at": state.deleted_at,
            "created_at": state.created_at or self.now,
        }

    def _resolve(
        self, data: EventInput, event_id: int | None
    ) -> tuple[dict[str, Any], list[tuple[int, str]], list[tuple[int, str | None]], set]:
        """editing._resolve_event's checks, against what was read up front."""
        errors: dict[str, str] = {}
        if data.type not in self.types:
            errors["type"] = f"Unknown event type {data.type!r}."
        actors: list[tuple[int, str]] = []
        for index, link in enumerate(data.actors):
            actor_id = self.actors.find(link.actor)
            if actor_id is None:
                errors[f"actors.{index}.actor"] = f"There is no actor {link.actor!r}."
            elif any(actor_id == other for other, _ in actors):
                errors[f"actors.{index}.actor"] = (
                    f"{self.actors.name_of[actor_id]} is listed twice."
                )
            else:
                actors.append((actor_id, link.role.value))
        sources: list[tuple[int, str | None]] = []
        for index, citation in enumerate(data.sources):
            if citation.source not in self.source_ids:
                errors[f"sources.{index}.source"] = f"There is no source {citation.source}."
            elif any(citation.source == other for other, _ in sources):
                errors[f"sources.{index}.source"] = "This source is cited twice."
            else:
                sources.append((citation.source, citation.quote or None))
        relations: set[tuple[int, str]] = set()
        for index, relation in enumerate(data.relations):
            if relation.event not in self.event_ids:
                errors[f"relations.{index}.event"] = f"There is no event {relation.event}."
            elif relation.event == event_id:
                errors[f"relations.{index}.event"] = "An event cannot relate to itself."
            else:
                relations.add((relation.event, relation.relation.value))
        columns = event_columns(data, self.zone)
        errors.update(event_problems(data, columns))
        if errors:
            raise EditError(errors)
        return columns, actors, sources, relations

    def _input(
        self,
        columns: dict[str, Any],
        actors: list[tuple[int, str]],
        sources: list[tuple[int, str | None]],
        relations: set[tuple[int, str]],
    ) -> EventInput:
        """The event these values make, read back as editing.event_input reads a saved one."""
        event = SimpleNamespace(
            **columns,
            actor_links=[SimpleNamespace(actor_id=a, role=role) for a, role in actors],
            citations=[SimpleNamespace(source_id=s, quote=quote) for s, quote in sources],
            relations_out=[SimpleNamespace(to_event_id=e, relation=r) for e, r in relations],
        )
        return event_input(cast(Event, event), self.zone)

    def _write(self, written: _Written) -> list[dict[str, Any]]:
        """Write a chunk's events, links and revisions; the relations, to write once every
        event of the file exists."""
        connection = self.connection
        with_ids = [row for row in written.created if "id" in row]
        if with_ids:
            _insert_rows(connection, EVENTS, with_ids)
        without = [row for row in written.created if "id" not in row]
        ids = self._insert([dict(row) for row in without], EVENTS)
        for row, id_ in zip(without, ids, strict=True):
            row["id"] = id_

        def id_of(ref: Any) -> int:
            return ref["id"] if isinstance(ref, dict) else ref

        if written.updated:
            statement = update(EVENTS).where(EVENTS.c.id == bindparam("_id"))
            connection.execute(statement, written.updated)
            ids = [row["_id"] for row in written.updated]
            for table, column in (
                (EventActor.__table__, "event_id"),
                (Citation.__table__, "event_id"),
                (EventRelation.__table__, "from_event_id"),
            ):
                table = cast(Any, table)
                connection.execute(delete(table).where(table.c[column].in_(ids)))
        if written.keys:
            statement = update(EVENTS).where(EVENTS.c.id == bindparam("_id"))
            connection.execute(statement, written.keys)
        links, citations = [], []
        for ref, actors, sources in written.links:
            event_id = id_of(ref)
            links += [
                {"event_id": event_id, "actor_id": a, "role": role, "position": position}
                for position, (a, role) in enumerate(actors)
            ]
            citations += [
                {"event_id": event_id, "source_id": s, "quote": quote, "position": position}
                for position, (s, quote) in enumerate(sources)
            ]
        if links:
            _insert_rows(connection, EventActor.__table__, links)
        if citations:
            _insert_rows(connection, Citation.__table__, citations)
        revisions = []
        for ref, values in written.revisions:
            event_id = id_of(ref)
            self.reindex.add(event_id)
            revisions.append(self._revision("event", event_id, values.pop("version", 1), **values))
        if revisions:
            _insert_rows(connection, Revision.__table__, revisions)
        return [
            {"from_event_id": id_of(ref), "to_event_id": to_id, "relation": relation}
            for ref, wanted in written.relations
            for to_id, relation in sorted(wanted)
        ]

    def _data(self, plan: EventPlan, current: EventInput | None) -> dict[str, Any]:
        """The whole EventInput a plan asks for, its actors and sources found (or created)."""
        base = current.model_dump(mode="json") if current is not None else {}
        if current is None:
            base.update(plan.defaults)
            base.update({"actors": [], "sources": [], "relations": []})
        data = {**base, **plan.fields}
        if plan.actors is not None:
            actors = []
            for ref, role in plan.actors:
                try:
                    actor_id = self._actor_ref(ref)
                except EditError as error:
                    raise EditError({"actors": next(iter(error.errors.values()))}) from error
                actors.append({"actor": actor_id, "role": role})
            if plan.add_links:
                have = {link["actor"] for link in data["actors"]}
                actors = data["actors"] + [a for a in actors if a["actor"] not in have]
            elif plan.from_csv and _same_links(actors, data["actors"]):
                actors = data["actors"]
            data["actors"] = actors
        if plan.sources is not None:
            cited = [citation["source"] for citation in base.get("sources", [])]
            quotes = {c["source"]: c["quote"] for c in base.get("sources", [])}
            sources = []
            for ref, quote in plan.sources:
                source_id = ref if isinstance(ref, int) else self.source_text(ref, cited)
                if plan.from_csv and quote is None:
                    quote = quotes.get(source_id)
                sources.append({"source": source_id, "quote": quote})
            if plan.add_links:
                have = set(cited)
                sources = data["sources"] + [s for s in sources if s["source"] not in have]
            data["sources"] = sources
        if plan.relations is not None:
            data["relations"] = plan.relations
        return data

    def _actor_ref(self, ref: ActorRef) -> int | str:
        if isinstance(ref, NamedActor):
            return self.named_actor(ref.name)
        found = self.actors.find(ref)
        return found if found is not None else ref  # unknown: the check says so

    def _state_differs(self, plan: EventPlan, event: SimpleNamespace) -> bool:
        """Whether `state` would change anything (the file's state is compared, not applied)."""
        state = plan.state
        assert state is not None
        published = state.published and state.deleted_at is None
        published_at = state.published_at or (event.published_at if published else None)
        wanted = (published, state.deleted_at, published_at)
        return wanted != (event.published, event.deleted_at, event.published_at)

    def state(self, plan: EventPlan, stored: SimpleNamespace) -> None:
        """Publication and trash as the file has them (Brink JSON), for an event that was here:
        through the editing functions, each change with its revision."""
        state = plan.state
        assert state is not None
        session, zone, user = self.session, self.zone, self.user_id
        event = load_event(session, stored.id)
        assert event is not None
        if state.deleted_at is None and event.deleted_at is not None:
            restore_event(session, event, zone, user, self.note)
        if state.deleted_at is not None:
            if event.deleted_at is None:
                delete_event(session, event, zone, user, self.note)
            event.deleted_at = state.deleted_at
        elif state.published and not event.published:
            publish_event(session, event, zone, user, self.note)
        elif not state.published and event.published:
            unpublish_event(session, event, zone, user, self.note)
        # The file's publication time; a published event without one keeps the one it has.
        event.published_at = state.published_at or (event.published_at if event.published else None)
        session.flush()

    def _move_id_sequences(self) -> None:
        """Rows inserted with the file's ids did not draw from PostgreSQL's id sequences: move
        them past the highest id, so the next new row gets a free one. (SQLite needs nothing.)"""
        if not self.postgresql:
            return
        self.session.flush()
        for table in sorted(self.explicit_ids):
            sequence = self.session.scalar(
                text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
            )
            top = self.session.scalar(text(f"SELECT max(id) FROM {table}"))
            if sequence and top:
                self.session.execute(
                    text(
                        "SELECT setval(CAST(:seq AS regclass), :top) WHERE :top > "
                        "coalesce(pg_sequence_last_value(CAST(:seq AS regclass)), 0)"
                    ),
                    {"seq": sequence, "top": top},
                )
