"""`brink import` and /admin/import: events from a file, all of them or none.

`app/import_formats.py` reads the file into plans; they are written here through
`app/editing.py` in one transaction, so every change is validated as an editor's would be and
recorded as a revision (with the importing user, or none from the command line). Every bad
record is reported, and if there is any, nothing is written.

Records are matched, so importing the same file again changes nothing: Brink's formats by id
(ids are kept), TimelineJS's by `unique_id`, or else by a key made from the headline and date.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, selectinload

from app.db import write_session
from app.editing import (
    ActorInput,
    EditError,
    EventInput,
    SourceInput,
    create_actor,
    create_event,
    create_source,
    delete_event,
    event_input,
    find_actor,
    load_actor,
    load_event,
    parse,
    publish_event,
    restore_event,
    slugify,
    unpublish_event,
    update_actor,
    update_event,
    update_source,
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
from app.models import Actor, ActorFormerSlug, Event, EventType, Source

Progress = Callable[[int, int], None]  # (records done, records in all)
KINDS = ("events", "actors", "sources")


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
        pass
    return report


def _same_links(one: list[dict[str, Any]], other: list[dict[str, Any]]) -> bool:
    def key(link: dict[str, Any]) -> tuple[str, str]:
        return str(link["actor"]), str(link["role"])

    return sorted(map(key, one)) == sorted(map(key, other))


class _Writer:
    """Writes plans through app/editing.py, collecting every record's problems."""

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
        self.zone = zone
        self.options = options
        self.user_id = user_id
        self.note = note
        self.report = report
        self.problems: list[tuple[int, str]] = []
        self.explicit_ids: set[str] = set()  # tables given rows with the file's ids
        self.actor_index: dict[str, dict[str, int]] | None = None

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
        for plan in parsed.sources:
            self.source(plan)
            tick()
        for plan in self._parents_first(parsed.actors):
            self.actor(plan)
            tick()
        self.events(parsed.events, tick)
        self._move_id_sequences()

    # Sources

    def source(self, plan: SourcePlan) -> None:
        session = self.session
        source = session.get(Source, plan.id) if plan.id else None
        if plan.key:
            holder = session.scalar(select(Source.id).where(Source.key == plan.key))
            if holder is not None and holder != plan.id:
                self.fail(plan.at, f"the key {plan.key!r} belongs to source {holder}", "key")
                return
        if source is None:
            source = create_source(session, plan.data, id=plan.id)
            source.key = plan.key
            self._explicit("sources", plan.id)
            self.count("sources", "created")
            return
        changed = update_source(session, source, plan.data, expected_version=None)
        if source.key != plan.key:
            source.key = plan.key
            changed = True
        self.count("sources", "updated" if changed else "unchanged")

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

    def actor(self, plan: ActorPlan) -> None:
        session = self.session
        actor = load_actor(session, plan.id) if plan.id else None
        try:
            if actor is None:
                actor = create_actor(
                    session, plan.data, self.user_id, self.note, action="import", id=plan.id
                )
                self._explicit("actors", plan.id)
                outcome = "created"
            else:
                changed = update_actor(
                    session, actor, plan.data, self.user_id, expected_version=None,
                    note=self.note, action="reimport",
                )  # fmt: skip
                outcome = "updated" if changed else "unchanged"
        except EditError as error:
            self.fail(plan.at, error)
            return
        if self._former_slugs(plan, actor) and outcome == "unchanged":
            outcome = "updated"
        self.actor_index = None
        self.count("actors", outcome)

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
        if self.actor_index is None:
            actors = self.session.scalars(
                select(Actor).options(selectinload(Actor.aliases)).order_by(Actor.id)
            )
            index: dict[str, dict[str, int]] = {"name": {}, "alias": {}, "slug": {}}
            for actor in actors:
                index["name"].setdefault(actor.name.casefold(), actor.id)
                index["slug"].setdefault(actor.slug, actor.id)
                for alias in actor.alias_names:
                    index["alias"].setdefault(alias.casefold(), actor.id)
            self.actor_index = index
        wanted = name.strip().casefold()
        tries = [("name", wanted), ("alias", wanted), ("slug", wanted), ("slug", slugify(name))]
        for kind, key in tries:
            if key in self.actor_index[kind]:
                return self.actor_index[kind][key]
        data = parse(ActorInput, {"name": name.strip(), "kind": self.options.actor_kind.value})
        actor = create_actor(self.session, data, self.user_id, self.note, action="import")
        self.count("actors", "created")
        self.actor_index["name"][wanted] = actor.id
        self.actor_index["slug"][actor.slug] = actor.id
        return actor.id

    # Sources named by their text

    def source_text(self, ref: SourceText, cited: list[int]) -> int:
        """The source a row describes: one the event already cites, one in the database, or a
        new one."""
        query = select(Source.id).where(Source.url == ref.url if ref.url else Source.url.is_(None))
        if not ref.by_url:
            query = query.where(Source.publisher == ref.publisher, Source.title == ref.title)
        matches = list(self.session.scalars(query.order_by(Source.id)))
        found = next((id_ for id_ in matches if id_ in cited), matches[0] if matches else None)
        if found is None:
            data = {"publisher": ref.publisher, "title": ref.title, "url": ref.url}
            found = create_source(self.session, parse(SourceInput, data)).id
            self.count("sources", "created")
        return found

    # Events

    def events(self, plans: list[EventPlan], tick: Callable[[], None]) -> None:
        session = self.session
        file_ids = {plan.id for plan in plans if plan.id is not None}
        outcomes: dict[int, str] = {}
        # Out of the trash first: other events may relate to them.
        for index, plan in enumerate(plans):
            if plan.state and plan.id and plan.state.deleted_at is None:
                event = session.get(Event, plan.id)
                if event is not None and event.deleted_at is not None:
                    restore_event(session, event, self.zone, self.user_id, self.note)
                    outcomes[index] = "updated"
        later: list[tuple[int, EventPlan, Event, dict[str, Any]]] = []
        done: list[tuple[int, EventPlan, Event]] = []
        for index, plan in enumerate(plans):
            result = self.event(plan, file_ids)
            tick()
            if result is None:
                outcomes[index] = "failed"
                continue
            event, outcome, deferred = result
            if outcomes.get(index) != "updated" or outcome == "created":
                outcomes[index] = outcome
            done.append((index, plan, event))
            if deferred is not None:
                later.append((index, plan, event, deferred))
        # Relations to events the file created after the event that names them.
        for index, plan, event, data in later:
            try:
                changed = update_event(
                    session, event, parse(EventInput, data), self.zone, self.user_id,
                    expected_version=None, note=self.note, action="reimport",
                )  # fmt: skip
            except EditError as error:
                self.fail(plan.at, error)
                outcomes[index] = "failed"
                continue
            if changed and outcomes[index] == "unchanged":
                outcomes[index] = "updated"
        for index, plan, event in done:
            if not plan.state or outcomes[index] == "failed":
                continue
            if self.state(plan, event) and outcomes[index] == "unchanged":
                outcomes[index] = "updated"
        for outcome in outcomes.values():
            if outcome != "failed":
                self.count("events", outcome)

    def _match(self, plan: EventPlan) -> Event | None:
        """The event a plan is about, by id or else by key; None for a new one."""
        if plan.id is not None:
            return load_event(self.session, plan.id)
        if plan.key is not None:
            found = self.session.scalar(select(Event.id).where(Event.key == plan.key))
            return load_event(self.session, found) if found is not None else None
        return None

    def event(
        self, plan: EventPlan, file_ids: set[int]
    ) -> tuple[Event, str, dict[str, Any] | None] | None:
        """Create or update one event; (event, outcome, data still to save) or None if bad."""
        if plan.id is not None and plan.key is not None:
            holder = self.session.scalar(select(Event.id).where(Event.key == plan.key))
            if holder is not None and holder != plan.id:
                self.fail(plan.at, f"the key {plan.key!r} belongs to event {holder}", "key")
                return None
        event = self._match(plan)
        current = event_input(event, self.zone) if event is not None else None
        try:
            data = self._data(plan, current)
        except EditError as error:
            self.fail(plan.at, error)
            return None
        if current is None and not data["actors"] and plan.no_actor:
            self.fail(plan.at, plan.no_actor, "actors")
            return None
        # A relation to an event this file has yet to create waits for it.
        now = [
            relation
            for relation in data["relations"]
            if relation["event"] not in file_ids or self.session.get(Event, relation["event"])
        ]
        deferred = data if len(now) < len(data["relations"]) else None
        try:
            wanted = parse(EventInput, {**data, "relations": now})
            if event is None:
                state = plan.state
                publish = (
                    state.published and state.deleted_at is None if state else self.options.publish
                )
                event = create_event(
                    self.session, wanted, self.zone, self.user_id, publish=publish,
                    note=self.note, action="import", id=plan.id,
                )  # fmt: skip
                self._explicit("events", plan.id)
                event.key = plan.key
                if state is not None and state.created_at is not None:
                    event.created_at = state.created_at
                return event, "created", deferred
            changed = False
            if wanted != current:  # unchanged records are not checked again, nor saved
                changed = update_event(
                    self.session, event, wanted, self.zone, self.user_id, expected_version=None,
                    note=self.note, action="reimport",
                )  # fmt: skip
        except EditError as error:
            self.fail(plan.at, error)
            return None
        if plan.key and event.key != plan.key:
            event.key = plan.key
            changed = True
        return event, "updated" if changed else "unchanged", deferred

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
                try:
                    source_id = ref if isinstance(ref, int) else self.source_text(ref, cited)
                except EditError as error:
                    raise EditError({"sources": next(iter(error.errors.values()))}) from error
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
        actor = find_actor(self.session, ref)
        return actor.id if actor is not None else ref  # unknown: editing says so

    def state(self, plan: EventPlan, event: Event) -> bool:
        """Publication and trash as the file has them (Brink JSON); whether anything changed."""
        state = plan.state
        assert state is not None
        session, zone, user = self.session, self.zone, self.user_id
        changed = False
        if state.deleted_at is not None:
            if event.deleted_at is None:
                delete_event(session, event, zone, user, self.note)
                changed = True
            if event.deleted_at != state.deleted_at:
                event.deleted_at = state.deleted_at
                changed = True
        elif state.published and not event.published:
            publish_event(session, event, zone, user, self.note)
            changed = True
        elif not state.published and event.published:
            unpublish_event(session, event, zone, user, self.note)
            changed = True
        # The file's publication time; a published event without one keeps the one it has.
        wanted = state.published_at or (event.published_at if event.published else None)
        if event.published_at != wanted:
            event.published_at = wanted
            changed = True
        return changed

    def _explicit(self, table: str, id_: int | None) -> None:
        if id_ is not None:
            self.explicit_ids.add(table)

    def _move_id_sequences(self) -> None:
        """Rows inserted with the file's ids did not draw from PostgreSQL's id sequences: move
        them past the highest id, so the next new row gets a free one. (SQLite needs nothing.)"""
        if self.session.get_bind().dialect.name != "postgresql":
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
