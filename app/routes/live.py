"""GET /events/stream: live updates of a view of the timeline, as Server-Sent Events
(app/live.py says what is sent and why)."""

import re

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app import live, queries
from app.filters import EventFilters

router = APIRouter(include_in_schema=False)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _revision_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 16 else None


@router.get("/events/stream")
async def event_stream(request: Request) -> Response:
    """The view's stream; takes the parameters of / (and `pinned`, an actor page's actor), and
    `last`, the revision the page was rendered at. A reconnecting browser sends Last-Event-ID."""
    hub = live.hub_of(request.app)
    if hub.streams >= live.MAX_STREAMS:  # a browser retries later, with backoff
        text = "Too many open streams; try again soon.\n"
        return PlainTextResponse(text, 503, headers={"Retry-After": "30"})
    params = request.query_params
    filters = EventFilters.from_query(params)
    pinned = params.get("pinned", "")
    if SLUG.fullmatch(pinned) and len(pinned) <= 120:
        filters = filters.pinned_to(pinned)
    engine, zone = request.app.state.engine, request.app.state.settings.zone

    def resolve() -> queries.View:
        with Session(engine) as session:  # closed before the stream starts: idle costs nothing
            return queries.resolve_view(session, filters, zone)

    view = await run_in_threadpool(resolve)
    since = _revision_id(params.get("last"))
    last = _revision_id(request.headers.get("last-event-id"))
    return StreamingResponse(
        live.messages(hub, view, since, last),
        media_type="text/event-stream",
        # No caching, and no buffering in a proxy (nginx reads X-Accel-Buffering).
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
