"""An event's canonical page, and the redirects that lead to it."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import queries
from app.db import SessionDep
from app.present import actor_roles, event_card, event_path, related_events, source_refs
from app.templating import render

router = APIRouter()


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
    zone = request.app.state.settings.zone
    context = {
        "event": event_card(event, zone),
        "actors": actor_roles(event),
        "sources": source_refs(event),
        "related": related_events(event, zone),
    }
    return render(request, "event.html", context)
