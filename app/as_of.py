"""The timeline as it stood at a moment (`?as_of=`): later events hidden, later edits undone.

Every saved change to an event records a revision holding the whole event after it (editing.py),
so an event's state at a moment T is the snapshot of its latest revision made by T. An event with
no revision after T is as it is now (generated events have no revisions at all: they are as they
are now since they were published).

The cost, accepted for an archival view read now and then: a `Past` reads a few columns of every
event published by T and their actors (two queries), and the revisions of those changed since T
(one query); filters, facet counts, order and pages are then worked out in Python, since the state
they read is in no table: a page of 10,000 events in about 0.3 s (tests/test_as_of.py measures).
Only the events a page shows are loaded in full, as copies never added to the session.
"""

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from app import editing, history, search
from app.dates import instant
from app.filters import Cursor
from app.models import (
    Actor,
    ActorAlias,
    Citation,
    Event,
    EventActor,
    EventRelation,
    Revision,
    Source,
)
from app.queries import (
    ACTORS_PER_KIND,
    AROUND_BEFORE,
    PAGE_SIZE,
    ActorCount,
    Page,
    View,
)

COLUMNS = tuple(column.key for column in Event.__table__.columns)


@dataclass(frozen=True)
class Revised:
    """An event's fields from a revision: how it stood before a change made since."""

    columns: dict[str, Any]  # Event columns, as editing would write them from the snapshot
    actors: list[tuple[int, str]]  # (actor id, role)
    sources: list[tuple[int, str | None]]  # (source id, quote)
    relations: list[tuple[int, str]]  # (related event id, relation), read from this event


@dataclass(frozen=True)
class Then:
    """An event as it stood: what the filters, the order and the counts read."""

    id: int
    type_slug: str
    status: str
    verification: str
    start_at: datetime
    end_at: datetime | None
    actor_ids: frozenset[int]
    published_at: datetime
    revised: Revised | None  # None: as it is now


@dataclass(frozen=True)
class ActorRow:
    id: int
    slug: str
    name: str
    kind: str
    parent_id: int | None


def revised(fields: dict[str, Any], crisis_zone: ZoneInfo, actor_ids: dict[str, int]) -> Revised:
    """A snapshot's fields as column values, read as editing reads an editor's input (EditError
    if they no longer parse)."""
    data = editing.parse(editing.EventInput, fields)
    columns = editing.event_columns(data, crisis_zone)
    actors = []
    for link in data.actors:
        found = link.actor if isinstance(link.actor, int) else actor_ids.get(str(link.actor))
        if found is not None:
            actors.append((found, link.role.value))
    return Revised(
        columns=columns,
        actors=actors,
        sources=[(citation.source, citation.quote or None) for citation in data.sources],
        relations=[(relation.event, relation.relation.value) for relation in data.relations],
    )


def _state(row: Any, at: datetime) -> tuple[bool, dict[str, Any]]:
    """Whether an event was public at `at`, and its fields then, from the revision nearest to
    `at`: its latest one made by then or, failing that, its first one after (undone)."""
    if row.created_at <= at:
        return row.action != "delete" and bool(row.snapshot.get("_published")), history.fields(
            row.snapshot
        )
    match row.action:
        case "create" | "import" | "publish" | "undelete":
            public = False  # it did not exist yet, was a draft, or was in the trash
        case "unpublish":
            public = True
        case _:  # an edit, or a deletion: `_published` says what it was before
            public = bool(row.snapshot.get("_published", True))
    return public, history.before_of(row)


class Past:
    """The published timeline at a moment. Made by `queries.resolve_view` for a view with
    `as_of`; the queries read it instead of SQL."""

    def __init__(self, session: Session, view: View, at: datetime) -> None:
        self.session = session
        self.at = at
        self.zone = view.zone
        self.dialect = view.dialect
        self.types = {t.slug: t for t in view.all_types}
        self._searches: dict[Any, dict[int, int]] = {}
        actors = session.execute(
            select(Actor.id, Actor.slug, Actor.name, Actor.kind, Actor.parent_id)
        ).all()
        self.actors = {row.id: ActorRow(*row) for row in actors}
        self.events = self._load(at)
        self.corrected = self._corrected(view.since) if view.since else set()
        # Relations read from events as they stood, by the event they point to.
        self.revised_relations: dict[int, list[tuple[int, str]]] = {}
        for then in self.events.values():
            for to, relation in then.revised.relations if then.revised else ():
                self.revised_relations.setdefault(to, []).append((then.id, relation))

    def _load(self, at: datetime) -> dict[int, Then]:
        session = self.session
        published_by = select(Event.id).where(Event.published_at <= at)
        rows = session.execute(
            select(
                Event.id, Event.type_slug, Event.status, Event.verification, Event.start_at,
                Event.end_at, Event.published, Event.published_at,
            ).where(Event.published_at <= at)
        ).all()  # fmt: skip
        links: dict[int, set[int]] = {}
        for event_id, actor_id in session.execute(
            select(EventActor.event_id, EventActor.actor_id).where(
                EventActor.event_id.in_(published_by)
            )
        ):
            links.setdefault(event_id, set()).add(actor_id)
        changed = self._revisions(at, published_by)
        by_slug = {actor.slug: actor.id for actor in self.actors.values()}
        events: dict[int, Then] = {}
        for row in rows:
            then = Then(
                row.id, row.type_slug, row.status, row.verification, row.start_at, row.end_at,
                frozenset(links.get(row.id, ())), row.published_at, None,
            )  # fmt: skip
            public = row.published
            if row.id in changed:
                public, fields = _state(changed[row.id], at)
                try:
                    state = revised(fields, self.zone, by_slug)
                except (editing.EditError, ValueError):
                    state = None  # a snapshot that no longer reads: shown as it is now
                if state is not None:
                    columns = state.columns
                    then = replace(
                        then,
                        type_slug=columns["type_slug"],
                        status=columns["status"],
                        verification=columns["verification"],
                        start_at=columns["start_at"],
                        end_at=columns["end_at"],
                        actor_ids=frozenset(actor_id for actor_id, _ in state.actors),
                        revised=state,
                    )
            if public:
                events[row.id] = then
        return events

    def _revisions(self, at: datetime, published_by: Any) -> dict[int, Any]:
        """For each event published by `at` and changed since: its latest revision made by
        `at`, or, if it has none, its first one after. One query."""
        later = aliased(Revision)
        changed_since = select(later.entity_id).where(
            later.entity == "event", later.created_at > at
        )
        by_then = Revision.created_at <= at
        nearest = func.row_number().over(
            partition_by=Revision.entity_id,
            order_by=(
                case((by_then, 0), else_=1),
                case((by_then, -Revision.version), else_=Revision.version),
            ),
        )
        ranked = (
            select(
                Revision.entity_id, Revision.action, Revision.snapshot, Revision.changes,
                Revision.created_at, nearest.label("nearest"),
            )
            .where(
                Revision.entity == "event",
                Revision.entity_id.in_(changed_since),
                Revision.entity_id.in_(published_by),
            )
            .subquery()
        )  # fmt: skip
        rows = self.session.execute(select(ranked).where(ranked.c.nearest == 1))
        return {row.entity_id: row for row in rows}

    def _corrected(self, since: datetime) -> set[int]:
        """Events with a public revision (a correction, a change of status) between `since` and
        the moment shown."""
        query = select(Revision.entity_id).where(
            Revision.entity == "event",
            Revision.public.is_(True),
            Revision.created_at > since,
            Revision.created_at <= self.at,
        )
        return set(self.session.scalars(query))

    # Filtering, as queries.conditions does in SQL

    def members(self, actor_ids: Sequence[int]) -> set[int]:
        """These actors and everything below them."""
        children: dict[int | None, list[int]] = {}
        for actor in self.actors.values():
            children.setdefault(actor.parent_id, []).append(actor.id)
        found, todo = set(), list(actor_ids)
        while todo:
            actor_id = todo.pop()
            if actor_id not in found:
                found.add(actor_id)
                todo.extend(children.get(actor_id, ()))
        return found

    def ancestors(self, actor_id: int) -> set[int]:
        """An actor and everything above it (a cycle of parents ends)."""
        found: set[int] = set()
        current: int | None = actor_id
        while current is not None and current not in found and current in self.actors:
            found.add(current)
            current = self.actors[current].parent_id
        return found

    def matching(self, view: View, skip: str | None = None) -> list[Then]:
        """The events of a view as they stood; `skip` leaves one facet's own filter out."""
        filters = view.filters
        tests: list[Callable[[Then], bool]] = []
        if view.actors and skip != "actor":
            groups = [[i] for i in view.actor_ids] if filters.match == "all" else [view.actor_ids]
            for group in groups:
                wanted = set(group) if filters.only else self.members(group)
                tests.append(lambda e, wanted=wanted: not wanted.isdisjoint(e.actor_ids))
        if filters.types and skip != "type":
            tests.append(lambda e: e.type_slug in filters.types)
        if filters.statuses and skip != "status":
            tests.append(lambda e: e.status in filters.statuses)
        if filters.verifications and skip != "verification":
            tests.append(lambda e: e.verification in filters.verifications)
        if filters.date_to:
            before = instant(filters.date_to + timedelta(days=1), self.zone)
            tests.append(lambda e: e.start_at < before)
        if filters.date_from:
            start = instant(filters.date_from, self.zone)
            tests.append(lambda e: e.start_at >= start or (e.end_at or e.start_at) >= start)
        if filters.search:
            ranks = self.search_ranks(filters.search)
            tests.append(lambda e: e.id in ranks)
        since = view.since
        if since is not None:
            tests.append(lambda e: e.published_at > since or e.id in self.corrected)
        return [e for e in self.events.values() if all(test(e) for test in tests)]

    def search_ranks(self, query: search.SearchQuery) -> dict[int, int]:
        """Events matching a search then, each with its rank (3: every word in the title; 2: in
        the title or the actors; 1: anywhere): the index for events as they are now, their
        words for the others."""
        if query in self._searches:
            return self._searches[query]
        ranks: dict[int, int] = {}
        for tier, rank in (("any", 1), ("title_actors", 2), ("title", 3)):
            ids = self.session.scalars(search.matching_ids(query, self.dialect, tier))
            ranks.update({i: rank for i in ids if i in self.events and not self.events[i].revised})
        for then, parts in self._documents().items():
            rank = _rank(query, parts)
            if rank:
                ranks[then] = rank
        self._searches[query] = ranks
        return ranks

    def _documents(self) -> dict[int, tuple[list[str], list[str], list[str]]]:
        """The words of each revised event: (title, title and actors, everything)."""
        revised = {e.id: e.revised for e in self.events.values() if e.revised}
        if not revised:
            return {}
        actor_ids = {a for state in revised.values() for a, _ in state.actors}
        source_ids = {s for state in revised.values() for s, _ in state.sources}
        aliases: dict[int, list[str]] = {}
        for actor_id, name in self.session.execute(
            select(ActorAlias.actor_id, ActorAlias.name).where(ActorAlias.actor_id.in_(actor_ids))
        ):
            aliases.setdefault(actor_id, []).append(name)
        publishers = dict(
            self.session.execute(
                select(Source.id, Source.publisher).where(Source.id.in_(source_ids))
            ).tuples()
        )
        documents = {}
        for event_id, state in revised.items():
            names = []
            for actor_id, _ in state.actors:
                actor = self.actors.get(actor_id)
                names += [actor.name] if actor else []
                names += aliases.get(actor_id, [])
            cited = [publishers.get(s, "") + " " + (quote or "") for s, quote in state.sources]
            title = _words(state.columns["title"])
            title_actors = title + _words(" ".join(names))
            everything = title_actors + _words(state.columns["summary"] + " " + " ".join(cited))
            documents[event_id] = (title, title_actors, everything)
        return documents

    # What the queries give

    def ordered(self, view: View) -> list[Then]:
        """The events of a view in its order: newest or oldest first, or best match first."""
        filters = view.filters
        events = self.matching(view)
        events.sort(key=self._key(view), reverse=filters.order != "oldest")
        return events

    def _key(self, view: View) -> Callable[[Then], tuple]:
        if view.filters.order == "relevance" and view.filters.search:
            ranks = self.search_ranks(view.filters.search)
            return lambda e: (ranks.get(e.id, 1), e.start_at, e.id)
        return lambda e: (e.start_at, e.id)

    def page(self, view: View) -> tuple[View, Page]:
        """One page of a view, as queries.events_page gives it."""
        filters = view.filters
        events = self.ordered(view)
        key = self._key(view)
        descending = filters.order != "oldest"

        def beyond(a: tuple, b: tuple) -> bool:  # a comes after b in the list's order
            return a < b if descending else a > b

        start, around = 0, None
        cursor = filters.cursor
        if filters.around is not None:
            index = next((i for i, e in enumerate(events) if e.id == filters.around), None)
            if index is None:
                notice = (
                    f"Event {filters.around} is not among the events of this view."
                    if filters.around in self.events
                    else f"There is no event {filters.around}."
                )
                view = view.with_notice(notice)
            else:
                around = filters.around
                start = index - AROUND_BEFORE if index > AROUND_BEFORE else 0
            cursor = None
        if cursor is not None:
            mark = _cursor_key(cursor)
            if cursor.direction == "after":
                start = next((i for i, e in enumerate(events) if beyond(key(e), mark)), len(events))
            else:
                end = sum(1 for e in events if beyond(mark, key(e)))
                start = max(0, end - PAGE_SIZE)
                shown = events[start:end]
                return view, self._page(view, shown, len(events), start > 0, True, around)
        shown = events[start : start + PAGE_SIZE]
        more = len(events) > start + PAGE_SIZE
        return view, self._page(view, shown, len(events), start > 0, more, around)

    def _page(
        self,
        view: View,
        shown: list[Then],
        total: int,
        has_previous: bool,
        has_next: bool,
        around: int | None,
    ) -> Page:
        key = self._key(view)
        order = view.filters.order

        def cursor(direction: str, then: Then) -> Cursor:
            parts = key(then)
            rank = parts[0] if len(parts) == 3 else 0
            return Cursor(order, direction, then.start_at, then.id, rank)

        return Page(
            events=self.events_by_id([e.id for e in shown]),
            total=total,
            next_cursor=cursor("after", shown[-1]) if shown and has_next else None,
            previous_cursor=cursor("before", shown[0]) if shown and has_previous else None,
            around=around,
        )

    def batches(self, view: View, size: int) -> Iterator[list[Event]]:
        events = self.ordered(view)
        for start in range(0, len(events), size):
            yield self.events_by_id([e.id for e in events[start : start + size]])

    def counts(self, view: View, attribute: str, skip: str | None) -> dict[str, int]:
        return dict(Counter(getattr(e, attribute) for e in self.matching(view, skip)))

    def actor_event_counts(self, view: View) -> dict[int, int]:
        """Events each actor would select under the view's other filters (its members' too,
        unless `only`): as queries._actor_event_counts."""
        skip = "actor" if view.filters.match == "any" else None
        counts: Counter[int] = Counter()
        for then in self.matching(view, skip):
            if view.filters.only:
                counts.update(then.actor_ids)
            else:
                counts.update(set().union(*(self.ancestors(a) for a in then.actor_ids)))
        return dict(counts)

    def actor_counts(self, view: View) -> list[ActorCount]:
        """The chosen actors and the most active of each kind: as queries.actor_counts."""
        counts = self.actor_event_counts(view)
        chosen = set(view.actor_ids)
        by_kind: dict[str, list[ActorRow]] = {}
        for actor in self.actors.values():
            if counts.get(actor.id) or actor.id in chosen:
                by_kind.setdefault(actor.kind, []).append(actor)
        shown: list[ActorRow] = []
        others: dict[str, int] = {}
        for kind, actors in by_kind.items():
            actors.sort(key=lambda a: (-counts.get(a.id, 0), a.name))
            kept = [a for rank, a in enumerate(actors) if rank < ACTORS_PER_KIND or a.id in chosen]
            shown += kept
            others[kind] = len(actors) - len(kept)
        shown.sort(key=lambda a: (-counts.get(a.id, 0), a.name))
        loaded = self._actors([a.id for a in shown])
        return [ActorCount(loaded[a.id], counts.get(a.id, 0), others[a.kind]) for a in shown]

    def counterparts(self, view: View, limit: int) -> list[ActorCount]:
        """The actors sharing most events with the view's: as queries.actor_counterparts."""
        counts = self.actor_event_counts(replace(view, filters=replace(view.filters, match="all")))
        family = self.members(view.actor_ids)
        for actor_id in view.actor_ids:
            family |= self.ancestors(actor_id)
        ranked = sorted(
            (a for a in self.actors.values() if counts.get(a.id) and a.id not in family),
            key=lambda a: (-counts[a.id], a.name),
        )[:limit]
        loaded = self._actors([a.id for a in ranked])
        return [ActorCount(loaded[a.id], counts[a.id], 0) for a in ranked]

    def _actors(self, ids: Sequence[int]) -> dict[int, Actor]:
        query = select(Actor).where(Actor.id.in_(ids)).options(joinedload(Actor.parent))
        return {actor.id: actor for actor in self.session.scalars(query)} if ids else {}

    def first_and_last(self, view: View) -> tuple[Event | None, Event | None]:
        events = self.matching(view)
        if not events:
            return None, None
        first = min(events, key=lambda e: (e.start_at, e.id))
        last = max(events, key=lambda e: (e.start_at, e.id))
        copies = {e.id: e for e in self.events_by_id([first.id, last.id])}
        return copies[first.id], copies[last.id]

    def neighbours(self, event_id: int) -> tuple[Event | None, Event | None]:
        """The events just before and just after this one on the timeline then."""
        events = sorted(self.events.values(), key=lambda e: (e.start_at, e.id))
        index = next(i for i, e in enumerate(events) if e.id == event_id)
        earlier = events[index - 1] if index > 0 else None
        later = events[index + 1] if index + 1 < len(events) else None
        wanted = [e.id for e in (earlier, later) if e is not None]
        copies = {e.id: e for e in self.events_by_id(wanted)}
        return (
            copies[earlier.id] if earlier else None,
            copies[later.id] if later else None,
        )

    def event(self, event_id: int) -> Event | None:
        """One event as it stood, or None if it was not on the timeline then."""
        if event_id not in self.events:
            return None
        return self.events_by_id([event_id])[0]

    # Events as they stood, as the pages and formats read them

    def events_by_id(self, ids: Sequence[int]) -> list[Event]:
        """These events as they stood, in this order, with their type, actors, sources and
        related events: copies, never added to the session (four or five queries, however
        many)."""
        if not ids:
            return []
        session = self.session
        rows = {
            row.id: row
            for row in session.scalars(
                select(Event)
                .where(Event.id.in_(ids))
                .options(
                    joinedload(Event.type),
                    selectinload(Event.actor_links).joinedload(EventActor.actor),
                    selectinload(Event.citations).joinedload(Citation.source),
                    selectinload(Event.relations_out),
                    selectinload(Event.relations_in),
                )
            )
        }
        states = {i: self.events[i].revised for i in ids}
        # Actors and sources as the rows name them now, and any others the snapshots name.
        actors = {link.actor_id: link.actor for r in rows.values() for link in r.actor_links}
        sources = {c.source_id: c.source for r in rows.values() for c in r.citations}
        named = {a for s in states.values() if s for a, _ in s.actors} - set(actors)
        actors.update(self._actors(sorted(named)))
        cited = {c for s in states.values() if s for c, _ in s.sources} - set(sources)
        if cited:
            found = session.scalars(select(Source).where(Source.id.in_(cited)))
            sources.update({source.id: source for source in found})
        relations = {i: self._relations(i, rows[i]) for i in ids}
        others = {other for out, into in relations.values() for other, _ in out + into}
        refs = self._refs(others)
        return [
            self._copy(rows[i], states[i], actors, sources, relations[i], refs)
            for i in ids
            if i in rows
        ]

    def _relations(
        self, event_id: int, row: Event
    ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """(related event, relation) from this event and to it, between events shown then."""
        state = self.events[event_id].revised
        if state is not None:
            out = state.relations
        else:
            out = [(r.to_event_id, r.relation) for r in row.relations_out]
        into = [
            (r.from_event_id, r.relation)
            for r in row.relations_in
            if r.from_event_id in self.events and not self.events[r.from_event_id].revised
        ]
        into += self.revised_relations.get(event_id, [])
        out = [(other, rel) for other, rel in out if other in self.events]
        return out, into

    def _refs(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        """The columns of related events as they stood: what a link to one shows."""
        found = self.session.scalars(select(Event).where(Event.id.in_(ids))) if ids else []
        refs = {}
        for row in found:
            columns = {name: getattr(row, name) for name in COLUMNS}
            state = self.events[row.id].revised
            refs[row.id] = {**columns, **(state.columns if state else {})}
        return refs

    def _copy(
        self,
        row: Event,
        state: Revised | None,
        actors: dict[int, Actor],
        sources: dict[int, Source],
        relations: tuple[list[tuple[int, str]], list[tuple[int, str]]],
        refs: dict[int, dict[str, Any]],
    ) -> Event:
        columns = {name: getattr(row, name) for name in COLUMNS}
        if state is not None:
            columns.update(state.columns)
            if state.columns["title"] == row.title:
                columns["slug"] = row.slug  # a slug of its own (from a data file) stays
        event = _detached(columns)
        event.type = self.types.get(event.type_slug) or row.type
        if state is None:
            links = [(link.actor_id, link.role) for link in row.actor_links]
            cited = [(c.source_id, c.quote) for c in row.citations]
        else:
            links, cited = state.actors, state.sources
        event.actor_links = [
            EventActor(actor=actors[actor_id], actor_id=actor_id, role=role, position=position)
            for position, (actor_id, role) in enumerate(links)
            if actor_id in actors
        ]
        event.citations = [
            Citation(source=sources[source_id], source_id=source_id, quote=quote, position=i)
            for i, (source_id, quote) in enumerate(cited)
            if source_id in sources
        ]
        out, into = relations
        event.relations_out = [
            EventRelation(relation=rel, to_event=_detached(refs[other]))
            for other, rel in out
            if other in refs
        ]
        event.relations_in = [
            EventRelation(relation=rel, from_event=_detached(refs[other]))
            for other, rel in into
            if other in refs
        ]
        return event


def _detached(columns: dict[str, Any]) -> Event:
    """A copy of an event that is never added to a session: editing it writes nothing."""
    event = Event(**columns)
    event.published, event.deleted_at = True, None
    return event


def _cursor_key(cursor: Cursor) -> tuple:
    if cursor.order == "relevance":
        return (cursor.rank, cursor.start_at, cursor.event_id)
    return (cursor.start_at, cursor.event_id)


def _words(text: str) -> list[str]:
    """Words as the search index reads them: case and accents folded."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return search.WORD.findall(plain)


def _has_phrase(words: list[str], phrase: tuple[str, ...]) -> bool:
    """The phrase's words in a row, the last one as a prefix."""
    *exact, last = phrase
    for start in range(len(words) - len(phrase) + 1):
        here = words[start : start + len(phrase)]
        if here[: len(exact)] == exact and here[-1].startswith(last):
            return True
    return False


def _rank(query: search.SearchQuery, parts: tuple[list[str], ...]) -> int:
    """3, 2 or 1 as search.rank tiers a match; 0: no match."""
    for rank, words in zip((3, 2, 1), parts, strict=True):
        if all(_has_phrase(words, tuple(_words(" ".join(p)))) for p in query.phrases):
            return rank
    return 0
