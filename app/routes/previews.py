"""Preview images: the PNG cards that links to events and views unfurl into."""

from dataclasses import replace
from functools import partial

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app import present, previews, queries
from app.db import SessionDep
from app.filters import EventFilters

router = APIRouter()

LARGEST_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL: a larger one is no event, not an error
# A versioned event card never changes; anything else may, and is checked again after a while.
FOREVER = "public, max-age=31536000, immutable"
A_WHILE = "public, max-age=600"


@router.get("/previews/events/{event_id:int}.png", response_class=Response)
def event_preview(request: Request, event_id: int, session: SessionDep) -> Response:
    """An event's card; at the URL event_preview_path gives, it never changes."""
    if event_id > LARGEST_ID:
        raise HTTPException(status_code=404, detail=f"There is no event {event_id}.")
    event = queries.get_event_or_404(session, event_id)
    settings = request.app.state.settings
    data = previews.event_card_data(event, settings.site_title, settings.zone, settings.timezone)
    current = request.query_params.get("v") == previews.event_version(event)
    return _png(request, data, FOREVER if current else A_WHILE)


@router.get("/previews/timeline.png", response_class=Response)
def view_preview(request: Request, session: SessionDep) -> Response:
    """A timeline view's card, for the same filters as /; what makes no sense is left out."""
    settings = request.app.state.settings
    filters = replace(EventFilters.from_query(request.query_params), cursor=None, around=None)
    view = queries.resolve_view(session, filters, settings.zone)
    totals = queries.type_totals(session, view)
    newest = queries.newest_events(session, view, previews.VIEW_ROWS)
    description = present.describe_view(view, sum(totals.values()))
    data = previews.view_card_data(settings.site_title, view, description, newest, totals)
    return _png(request, data, A_WHILE)


def _png(
    request: Request, data: previews.EventCardData | previews.ViewCardData, cache_control: str
) -> Response:
    """The card as PNG from the disk cache (drawn on a miss), or 304 if the client has it."""
    key = previews.card_key(data)
    headers = {"ETag": f'"{key}"', "Cache-Control": cache_control}
    if _has(request.headers.get("if-none-match", ""), key):
        return Response(status_code=304, headers=headers)
    cache = previews.PreviewCache(request.app.state.settings.preview_cache_dir)
    png = cache.get(key, partial(previews.render_card, data))
    return Response(png, media_type="image/png", headers=headers)


def _has(if_none_match: str, key: str) -> bool:
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(",")}
    return key in tags or "*" in tags
