"""`brink export`: the whole database as one JSON file in Brink's own format, to back it up, move
it, or compare it with another export.

Everything needed to rebuild the database is there: ids (kept on import), actors with their
parents, aliases and former slugs, sources, and every event (drafts and the trash included) in the
shape the edit forms take (`editing.EventInput`), with its key, publication state and times.
Revision history is not. Records come in id order and the formatting is fixed, so two exports of
the same data differ only in `exported_at`.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from app.editing import event_input
from app.models import Actor, Event, Source, utcnow

FORMAT = "brink"
VERSION = 1
BATCH = 500  # events read at a time: an export of a million events stays small in memory


def timestamp(value: datetime | None) -> str | None:
    """An instant as ISO 8601 UTC, to the microsecond (so a round trip is exact)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def source_record(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "key": source.key,
        "publisher": source.publisher,
        "title": source.title,
        "url": source.url,
        "published": source.published_on.isoformat() if source.published_on else None,
    }


def actor_record(actor: Actor, slugs: dict[int, str]) -> dict[str, Any]:
    return {
        "id": actor.id,
        "slug": actor.slug,
        "name": actor.name,
        "kind": actor.kind,
        "parent": slugs.get(actor.parent_id) if actor.parent_id else None,
        "aliases": actor.alias_names,
        "description": actor.description,
        "former_slugs": sorted(former.slug for former in actor.former_slugs),
    }


def event_record(event: Event, slugs: dict[int, str], zone: ZoneInfo) -> dict[str, Any]:
    """An event as the edit forms take it, actors named by slug, sources and related events by
    id; then what the forms do not hold."""
    fields = event_input(event, zone).model_dump(mode="json")
    for link in fields["actors"]:
        link["actor"] = slugs[link["actor"]]
    return {
        "id": event.id,
        "key": event.key,
        "slug": event.slug,
        **fields,
        "published": event.published,
        "published_at": timestamp(event.published_at),
        "deleted_at": timestamp(event.deleted_at),
        "created_at": timestamp(event.created_at),
    }


def _events(session: Session) -> Iterator[Event]:
    """Every event in id order, read in batches with what its record needs."""
    last = 0
    while True:
        query = (
            select(Event)
            .where(Event.id > last)
            .order_by(Event.id)
            .limit(BATCH)
            .options(
                selectinload(Event.actor_links),
                selectinload(Event.citations),
                selectinload(Event.relations_out),
            )
        )
        batch = list(session.scalars(query))
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        session.expunge_all()  # done with them: keep memory flat


def _item(value: Any) -> str:
    """One record of a list, indented as json.dumps(indent=2) indents it at that depth."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return "\n".join("    " + line for line in text.splitlines())


def export_chunks(session: Session, zone: ZoneInfo, timezone: str) -> Iterator[str]:
    """The export as text, a piece at a time: the same text as json.dumps(whole, indent=2)."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timestamp(utcnow()),
        "timezone": timezone,
    }
    yield "{\n"
    for name, value in header.items():
        yield f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)},\n"
    sources = session.scalars(select(Source).order_by(Source.id))
    yield from _list("sources", (source_record(s) for s in sources), last=False)
    query = select(Actor).order_by(Actor.id)
    actors = list(
        session.scalars(
            query.options(selectinload(Actor.aliases), selectinload(Actor.former_slugs))
        )
    )
    slugs = {actor.id: actor.slug for actor in actors}
    yield from _list("actors", (actor_record(a, slugs) for a in actors), last=False)
    yield from _list("events", (event_record(e, slugs, zone) for e in _events(session)), last=True)
    yield "}\n"


def _list(name: str, records: Iterator[dict[str, Any]], *, last: bool) -> Iterator[str]:
    end = "" if last else ","
    first = True
    for record in records:
        yield (f'  "{name}": [\n' if first else ",\n") + _item(record)
        first = False
    yield f'  "{name}": []{end}\n' if first else f"\n  ]{end}\n"


def export_counts(session: Session) -> dict[str, int]:
    return {
        "events": session.scalar(select(func.count()).select_from(Event)) or 0,
        "actors": session.scalar(select(func.count()).select_from(Actor)) or 0,
        "sources": session.scalar(select(func.count()).select_from(Source)) or 0,
    }


def snapshot(engine: Engine) -> Session:
    """A session that reads one consistent state of the database, however long the export takes
    (PostgreSQL's default isolation would let each query see newer commits)."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    return Session(engine)
