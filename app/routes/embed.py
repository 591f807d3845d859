"""Embeds: compact pages made to sit in another site's iframe. Framing is allowed here only,
and every link opens the canonical page in a new tab."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app import present, queries
from app.db import SessionDep
from app.filters import EventFilters
from app.templating import absolute_url, render

router = APIRouter(include_in_schema=False)


@router.get("/embed", response_class=HTMLResponse)
def embed_timeline(request: Request, session: SessionDep) -> Response:
    """Any timeline view, compact: the list and "Load more", no filter panel."""
    zone = request.app.state.settings.zone
    view = queries.resolve_view(session, EventFilters.from_query(request.query_params), zone)
    view, page = queries.events_page(session, view)
    context = {
        "view": view,
        "filters": view.filters,
        "page": page,
        "days": present.group_by_day(page.events, zone),
        "heading": present.describe_view(view, page.total),
        "list_path": "/embed",
        "appending": request.headers.get("HX-Target") == "pager",
        "canonical": absolute_url(request, view.filters.link()),
    }
    return render(request, "embed.html", context, fragments={"pager": "_page.html"})


@router.get("/embed/events/{event_id:int}", response_class=HTMLResponse)
def embed_event(request: Request, event_id: int, session: SessionDep) -> Response:
    """One event as a card."""
    zone = request.app.state.settings.zone
    event = queries.get_event_or_404(session, event_id)
    card = present.event_card(event, zone)
    context = {"event": card, "canonical": absolute_url(request, card.path)}
    return render(request, "embed_event.html", context)
