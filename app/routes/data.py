"""The data routes: every view of the timeline as JSON, CSV, an Atom feed or a calendar, one
event, actors, and their OpenAPI description at /docs.

Strict where the pages are lenient: a parameter the timeline would leave out with a notice is a
400 here, with the notices, so that a script never silently gets a different view than it asked
for. Readable from any origin (CORS), since they are public data.
"""

import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import feeds, queries, serialize
from app.db import SessionDep
from app.filters import EventFilters
from app.routes import api
from app.serialize import Site
from app.templating import absolute_url

SWAGGER_UI = "/static/swagger-ui-5.35.0"
ACTORS_PER_PAGE = 100
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; beyond, nothing can exist


class DataError(Exception):
    """A request a data route cannot answer as asked: a status, a message, what was wrong."""

    def __init__(self, status_code: int, error: str, notices: list[str] | None = None) -> None:
        super().__init__(error)
        self.status_code, self.error, self.notices = status_code, error, notices or []


def _error_response(status_code: int, error: str, notices: list[str]) -> JSONResponse:
    return JSONResponse({"error": error, "notices": notices}, status_code=status_code)


class DataRoute(APIRoute):
    """A data route: its errors answer JSON, and any origin may read it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def data_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except DataError as error:
                response = _error_response(error.status_code, error.error, error.notices)
            except StarletteHTTPException as error:
                response = _error_response(error.status_code, str(error.detail), [])
            except RequestValidationError as error:
                notices = [f"{e['loc'][-1]}: {e['msg']}" for e in error.errors()]
                response = _error_response(400, "Some parameters are not valid.", notices)
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response

        return data_handler


router = APIRouter(route_class=DataRoute)
pages = APIRouter(include_in_schema=False)  # /docs: an HTML page, without CORS


def _site(request: Request) -> Site:
    return Site(absolute_url(request, ""), request.app.state.settings.zone)


def _filters(request: Request) -> EventFilters:
    return EventFilters.from_query(request.query_params)


FiltersDep = Annotated[EventFilters, Depends(_filters)]


def _strict(view: queries.View) -> queries.View:
    if view.filters.notices:
        raise DataError(
            400,
            "Some parameters cannot be used (the timeline page would leave them out).",
            list(view.filters.notices),
        )
    return view


def _checked_view(request: Request, session: Session, filters: EventFilters) -> queries.View:
    return _strict(queries.resolve_view(session, filters, request.app.state.settings.zone))


def _parameter(name: str, description: str, many: bool = False) -> dict[str, Any]:
    # No examples: Swagger UI would fill them all in at once, a view that means nothing.
    schema: dict[str, Any] = {"type": "string"}
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "description": description, "schema": schema}


# The timeline's parameters, documented here; EventFilters reads them.
FILTER_PARAMETERS = {
    "parameters": [
        _parameter(
            "actor",
            "Actor slug, repeatable: `france`. An actor includes its members (Russia: Putin, "
            "the Kremlin).",
            many=True,
        ),
        _parameter("only", "`1`: the chosen actors themselves, not their members."),
        _parameter("match", "`any` (default) or `all`: events involving every chosen actor."),
        _parameter("type", "Event type slug, repeatable: `call`, `meeting`, `drill`…", many=True),
        _parameter("status", "`occurred`, `scheduled`, `postponed`, `cancelled`.", many=True),
        _parameter("verification", "`confirmed`, `claimed`, `disputed`.", many=True),
        _parameter("q", 'Search words and "phrases": titles, summaries, actors, sources.'),
        _parameter("from", "First day, `YYYY-MM-DD`, in the crisis's time zone."),
        _parameter("to", "Last day, `YYYY-MM-DD`, in the crisis's time zone."),
        _parameter("order", "`newest` (default), `oldest`, or `relevance` with `q`."),
        _parameter(
            "since",
            "ISO 8601 date or time (without a zone: the crisis's): only events published or "
            "publicly corrected (or changed status) after it.",
        ),
        _parameter(
            "as_of",
            "ISO 8601 date or time (without a zone: the crisis's): the view as it stood then, "
            "later events left out and later edits undone.",
        ),
        _parameter("around", "An event id: the page that holds it."),
        _parameter("cursor", "A page position, as in `next` and `previous`."),
    ]
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": serialize.Error, "description": "A parameter cannot be used."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": serialize.Error, "description": "No such thing."},
}


def _streamed(request: Request, body: Callable[[Session], Iterator[str]]) -> Iterator[str]:
    """A streamed body that reads with a session of its own, opened and closed by the stream.
    A reader who hangs up mid-stream leaves it to be finalized later, in whatever thread
    collects it; had it read through the request's session, whose connection has by then gone
    back to the pool and on to another request, two threads would use one SQLite connection at
    once — which crashed the server (wrk on /events.csv, bench/load.py)."""
    with request.app.state.sessions() as session:
        yield from body(session)


class CSVResponse(StreamingResponse):
    media_type = "text/csv"


class AtomResponse(Response):
    media_type = "application/atom+xml"  # with its charset: Starlette adds it to text/* alone

    def __init__(
        self, content: bytes, status_code: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(content, status_code, headers, f"{self.media_type}; charset=utf-8")


class CalendarResponse(StreamingResponse):
    media_type = "text/calendar"


@router.get(
    "/events.json",
    response_model=serialize.EventList,
    summary="A page of events",
    responses=ERRORS,
    openapi_extra=FILTER_PARAMETERS,
)
def events_json(request: Request, session: SessionDep, filters: FiltersDep) -> serialize.EventList:
    """The events of a view, 50 a page, with its total and facet counts: the same parameters
    and the same list as the timeline at `/`. Follow `next` for the following pages."""
    view = _checked_view(request, session, filters)
    counts = queries.view_counts(session, view)
    view, page = queries.events_page(session, view, full=True, total=counts.total)
    _strict(view)  # `around` an event the view does not hold
    site = _site(request)
    facets = serialize.facets(site, view, counts, queries.actor_counts(session, view))
    return serialize.event_list(site, view, page, facets)


@router.get(
    "/events.csv",
    response_class=CSVResponse,
    summary="Every event of a view, as CSV",
    responses={
        200: {
            "description": "A header row, then one row per event (see the README for columns).",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": "id,url,…\r\n"}},
        },
        **ERRORS,
    },
    openapi_extra=FILTER_PARAMETERS,
)
def events_csv(request: Request, session: SessionDep, filters: FiltersDep) -> CSVResponse:
    """All the events of a view (not a page: `cursor` and `around` are ignored), streamed, in
    the view's order; actors and sources are flattened into columns."""
    view = _checked_view(request, session, filters)
    settings = request.app.state.settings
    filename = serialize.csv_filename(view, settings.site_title)
    site = _site(request)
    text = _streamed(
        request,
        lambda own: serialize.csv_text(site, queries.event_batches(own, view, flat=True)),
    )
    return CSVResponse(text, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get(
    "/events.atom",
    response_class=AtomResponse,
    summary="A view as an Atom feed",
    responses={
        200: {
            "description": "The 50 events of the view published last, latest first.",
            "content": {
                "application/atom+xml": {
                    "schema": {"type": "string"},
                    "example": '<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<feed xmlns="http://www.w3.org/2005/Atom">…</feed>\n',
                }
            },
        },
        **ERRORS,
    },
    openapi_extra=FILTER_PARAMETERS,
)
def events_atom(request: Request, session: SessionDep, filters: FiltersDep) -> AtomResponse:
    """The events of a view that appeared on the timeline last, in publication order (`order`,
    `cursor` and `around` are ignored): each entry's id is the event's permalink, its `updated`
    time its last edit, and its content notes public corrections."""
    view = _checked_view(request, session, filters)
    events = queries.newest_published(session, view, feeds.FEED_ENTRIES)
    logs = queries.public_revisions(session, [event.id for event in events])
    fallback = None if events else queries.last_update(session)
    title = request.app.state.settings.site_title
    body = feeds.atom_feed(_site(request), view, title, events, logs, fallback)
    return AtomResponse(body)


@router.get(
    "/events.ics",
    response_class=CalendarResponse,
    summary="A view as an iCalendar calendar",
    responses={
        200: {
            "description": "One VEVENT per event (the latest 2,000 by date): subscribe to it.",
            "content": {
                "text/calendar": {
                    "schema": {"type": "string"},
                    "example": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n…END:VCALENDAR\r\n",
                }
            },
        },
        **ERRORS,
    },
    openapi_extra=FILTER_PARAMETERS,
)
def events_ics(request: Request, session: SessionDep, filters: FiltersDep) -> CalendarResponse:
    """The events of a view, the latest 2,000 by date (`order`, `cursor` and `around` are
    ignored), streamed: all-day where a date is known to the day or coarser, UTC times where
    it is known to the hour or minute; UIDs never change and SEQUENCE rises with each edit."""
    view = feeds.calendar_view(_checked_view(request, session, filters))
    title = request.app.state.settings.site_title
    filename = feeds.calendar_filename(view, title)
    total = queries.count_events(session, view)
    site = _site(request)
    text = _streamed(
        request,
        lambda own: feeds.calendar_text(site, view, title, queries.event_batches(own, view), total),
    )
    headers = {
        "Content-Disposition": f'inline; filename="{filename}"',  # inline: calendars subscribe
    }
    return CalendarResponse(text, headers=headers)


@router.get(
    "/events/{event_id:int}.json",
    response_model=serialize.Event,
    summary="One event",
    responses={
        **NOT_FOUND,
        410: {"model": serialize.Error, "description": "Removed from the timeline."},
    },
)
def event_json(
    request: Request,
    event_id: Annotated[int, Path(description="The event's number.", examples=[17])],
    session: SessionDep,
    as_of: Annotated[
        str,
        Query(description="ISO 8601 date or time: the event as it stood then (404 before)."),
    ] = "",
) -> serialize.Event:
    """One event in full: actors with roles, sources with quotes, related events both ways."""
    if event_id > MAX_ID:
        raise DataError(404, f"There is no event {event_id}.")
    zone = request.app.state.settings.zone
    if as_of:
        view = _checked_view(request, session, EventFilters.from_query({"as_of": as_of}))
        then = view.past.event(event_id) if view.past else None
        if then is None:
            raise DataError(404, f"Event {event_id} was not on the timeline then.")
        return serialize.full_event(_site(request), then)
    # A draft is 404 here as everywhere public; an event in the trash is 410 Gone.
    event = queries.get_event_or_404(session, event_id, zone=zone)
    return serialize.full_event(_site(request), event)


@router.get(
    "/actors.json",
    response_model=serialize.ActorList,
    summary="Actors, or the ones matching a name",
    responses=ERRORS,
)
def actors_json(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(description="Part of a name or alias (type-ahead).")] = "",
    after: Annotated[str, Query(description="Without q: the page after this slug.")] = "",
    limit: Annotated[int, Query(ge=1, le=500, description="Without q: actors a page.")] = (
        ACTORS_PER_PAGE
    ),
) -> serialize.ActorList:
    """With `q`: up to 10 actors whose name or an alias contains it, prefixes first. Without:
    every actor in slug order, `limit` a page. Counts are of all published events."""
    site = _site(request)
    view = queries.resolve_view(session, EventFilters(), site.zone)
    if q.strip():
        return serialize.actor_list(site, queries.find_actors(session, view, q), None)
    rows = queries.actor_list(session, view, after, limit + 1)
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_url = site.url(f"/actors.json?after={rows[-1].actor.slug}")
        if limit != ACTORS_PER_PAGE:
            next_url += f"&limit={limit}"
    return serialize.actor_list(site, rows, next_url)


@router.get(
    "/actors/{slug}.json",
    response_model=serialize.ActorProfile,
    summary="One actor",
    responses={301: {"description": "A former slug: to the actor's current one."}, **NOT_FOUND},
)
def actor_json(
    request: Request,
    slug: Annotated[str, Path(description="The actor's slug.", examples=["russia"])],
    session: SessionDep,
) -> serialize.ActorProfile | RedirectResponse:
    """An actor with its parent, members and aliases, its event counts, the span of its events
    and the actors it shares most events with."""
    actor = queries.find_actor_or_404(session, slug)
    if actor.slug != slug:
        return RedirectResponse(f"/actors/{actor.slug}.json", status_code=301)
    site = _site(request)
    return serialize.actor_profile(site, queries.actor_profile(session, slug, site.zone))


@router.get("/openapi.json", include_in_schema=False)
def openapi_json(request: Request) -> JSONResponse:
    """The OpenAPI description of the data routes and of the write API (/api), nothing else."""
    state = request.app.state
    if getattr(state, "data_openapi", None) is None:
        schema = get_openapi(
            title=f"{state.settings.site_title} data",
            version=request.app.version,
            description="Every view of the timeline as data: the same parameters as `/`. "
            "And the write API for newsroom tools, under `/api`, with an API token "
            "(`Authorization: Bearer …`; editors make them at `/account/tokens`).",
            routes=[*router.routes, *api.router.routes],
        )
        # Invalid parameters answer 400 with notices (DataRoute), never FastAPI's 422; the write
        # API documents its own 422 (field errors), and the bodies it reads itself.
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                if not path.startswith("/api/"):
                    operation["responses"].pop("422", None)
                    operation["tags"] = ["Data"]
                elif "HTTPValidationError" in json.dumps(operation["responses"].get("422")):
                    operation["responses"].pop("422")
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for name, definition in api.request_schemas().items():
            schemas.setdefault(name, definition)
        state.data_openapi = schema
    return JSONResponse(state.data_openapi)


@pages.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI from /static: no third-party requests."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{request.app.state.settings.site_title} data API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
