"""Every read: plain functions, a session and filters in, rows out."""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from fastapi import HTTPException
from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.filters import EventFilters
from app.models import Actor, Citation, Event, EventActor, EventRelation, EventType


def has_events(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(Event.id).limit(1)) is not None


def event_types(session: Session) -> Sequence[EventType]:
    return session.scalars(select(EventType).order_by(EventType.position)).all()


def actors_by_slug(session: Session, slugs: Sequence[str]) -> dict[str, Actor]:
    if not slugs:
        return {}
    rows = session.scalars(select(Actor).where(Actor.slug.in_(slugs)))
    return {actor.slug: actor for actor in rows}


def _actor_with_members(actor_id: int) -> Select[tuple[int]]:
    """The actor and everything below it: Russia → the Kremlin, Putin, Lavrov…"""
    tree = select(Actor.id).where(Actor.id == actor_id).cte("tree", recursive=True)
    tree = tree.union(select(Actor.id).where(Actor.parent_id == tree.c.id))
    return select(tree.c.id)


def filtered_events(filters: EventFilters, actor_ids: Sequence[int]) -> Select[tuple[Event]]:
    """The published events a filter selects, newest or oldest first, ties broken by id."""
    query = select(Event).where(Event.published.is_(True))
    for actor_id in actor_ids:
        involved = select(EventActor.event_id).where(
            EventActor.actor_id.in_(_actor_with_members(actor_id))
        )
        query = query.where(Event.id.in_(involved))
    if filters.types:
        query = query.where(Event.type_slug.in_(filters.types))
    if filters.order == "oldest":
        return query.order_by(Event.start_at, Event.id)
    return query.order_by(Event.start_at.desc(), Event.id.desc())


def timeline_events(
    session: Session, filters: EventFilters, actor_ids: Sequence[int]
) -> Sequence[Event]:
    """The events for a list view, with everything a list shows loaded in a fixed few queries."""
    query = filtered_events(filters, actor_ids).options(
        joinedload(Event.type),
        selectinload(Event.actor_links).joinedload(EventActor.actor),
        selectinload(Event.citations),
    )
    return session.scalars(query).unique().all()


def get_event_or_404(session: Session, event_id: int) -> Event:
    """A published event with its actors, sources and related events, or a 404."""
    query = (
        select(Event)
        .where(Event.id == event_id, Event.published.is_(True))
        .options(
            joinedload(Event.type),
            selectinload(Event.actor_links).joinedload(EventActor.actor),
            selectinload(Event.citations).joinedload(Citation.source),
            selectinload(Event.relations_out).joinedload(EventRelation.to_event),
            selectinload(Event.relations_in).joinedload(EventRelation.from_event),
        )
    )
    event = session.scalars(query).first()
    if event is None:
        raise HTTPException(status_code=404, detail=f"There is no event {event_id}.")
    return event


@dataclass(frozen=True)
class ResolvedFilters:
    """Filters checked against the database: unknown slugs dropped with a notice."""

    filters: EventFilters
    actors: list[Actor]
    types: list[EventType]

    @property
    def actor_ids(self) -> list[int]:
        return [actor.id for actor in self.actors]


def resolve_filters(session: Session, filters: EventFilters) -> ResolvedFilters:
    known_actors = actors_by_slug(session, filters.actors)
    known_types = {t.slug: t for t in event_types(session)}
    notices = list(filters.notices)
    notices += [
        f"There is no actor {s!r}; it was left out."
        for s in filters.actors
        if s not in known_actors
    ]
    notices += [
        f"There is no event type {s!r}; it was left out."
        for s in filters.types
        if s not in known_types
    ]
    cleaned = replace(
        filters,
        actors=tuple(s for s in filters.actors if s in known_actors),
        types=tuple(s for s in filters.types if s in known_types),
        notices=tuple(notices),
    )
    return ResolvedFilters(
        cleaned,
        [known_actors[s] for s in cleaned.actors],
        [known_types[s] for s in cleaned.types],
    )
