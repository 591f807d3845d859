"""An event's canonical page, and the redirects that lead to it."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import queries, sharing
from app.db import SessionDep
from app.present import (
    actor_roles,
    event_card,
    event_path,
    link_to,
    related_events,
    source_refs,
)
from app.templating import absolute_url, render

router = APIRouter(include_in_schema=False)


@router.get("/events/{event_id:int}", response_class=RedirectResponse, status_code=301)
def event_by_id(event_id: int, session: SessionDep) -> RedirectResponse:
    """A short permalink: redirects to the canonical URL with the current slug."""
    event = queries.get_event_or_404(session, event_id)
    return RedirectResponse(event_path(event), status_code=301)


@router.get("/events/{event_id:int}/{slug}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int, slug: str, session: SessionDep) -> Response:
    """An event's canonical page; a stale slug redirects to the current one."""
    event = queries.get_event_or_404(session, event_id)
    if slug != event.slug:
        return RedirectResponse(event_path(event), status_code=301)
    settings = request.app.state.settings
    zone = settings.zone
    card = event_card(event, zone)
    earlier, later = queries.neighbours(session, event)
    url = absolute_url(request, card.path)
    embed_src = absolute_url(request, f"/embed/events/{event.id}")
    context = {
        "event": card,
        "actors": actor_roles(event),
        "sources": source_refs(event),
        "related": related_events(event, zone),
        "earlier": link_to(earlier, "Earlier", zone) if earlier else None,
        "later": link_to(later, "Later", zone) if later else None,
        "url": url,
        "citation": sharing.citation(
            event, card, url, settings.site_title, datetime.now(UTC).astimezone(zone).date()
        ),
        "embed_code": sharing.embed_code(embed_src, event.title, 320),
        "meta": sharing.event_meta(
            event, card, lambda path: absolute_url(request, path), settings.site_title, zone
        ),
    }
    return render(request, "event.html", context)
