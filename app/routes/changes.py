"""What changed: additions, corrections and changes of status since a moment (/changes)."""

from dataclasses import replace
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import changes, present, queries
from app.db import SessionDep
from app.filters import EventFilters
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/changes", response_class=HTMLResponse)
def changes_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Changes since `since` (by default the last 24 hours), newest first, to the events of the
    view the other parameters choose, as the timeline filters them."""
    zone = request.app.state.settings.zone
    now = datetime.now(UTC)
    filters = EventFilters.from_query(request.query_params)
    filters = replace(filters, as_of=None, cursor=None, around=None)
    if filters.since is None:
        filters = replace(filters, since=changes.default_since(now))
    view = queries.resolve_view(session, filters, zone)
    if view.since is None:  # in the future: left out, with a notice
        view = replace(view, filters=replace(view.filters, since=changes.default_since(now)))
    found = changes.changes_since(session, view, zone)
    unfiltered = replace(view.filters, since=None)
    context = {
        "title": f"What changed since {found.since}",
        "filters": view.filters,
        "found": found,
        "scope": present.describe_view(replace(view, filters=unfiltered), 0).rsplit(" · ", 1)[0]
        if unfiltered.has_filters
        else "",
        "everything_href": EventFilters(since=view.filters.since).link("/changes"),
        "timeline_href": view.filters.link(),
        "presets": changes.presets(unfiltered, view.since, now),
        "since_value": changes.local_input(found.at, zone),
        "kept": [(name, value) for name, value in view.filters.pairs() if name != "since"],
    }
    return render(request, "changes.html", context)
