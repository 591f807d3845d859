"""The timeline at /."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import queries
from app.db import SessionDep
from app.filters import EventFilters
from app.present import describe_view, group_by_day
from app.templating import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def timeline(request: Request, session: SessionDep) -> HTMLResponse:
    """The timeline, filtered by the query string."""
    resolved = queries.resolve_filters(session, EventFilters.from_query(request.query_params))
    events = queries.timeline_events(session, resolved.filters, resolved.actor_ids)
    heading = describe_view(
        len(events), [t.plural for t in resolved.types], [a.name for a in resolved.actors]
    )
    context = {
        "filters": resolved.filters,
        "heading": heading,
        "days": group_by_day(events, request.app.state.settings.zone),
    }
    return render(request, "timeline.html", context, fragment="_results.html", target="results")
