"""The write API for newsroom tools: events, actors and sources as JSON, under /api.

Authorised by an API token alone (`Authorization: Bearer …`, see app/tokens.py): session cookies
carry no authority here, so another site has nothing to forge. Every write goes through
app/editing.py as the token's user, so revisions say who made them. A change to an existing
record must name the version it was based on (`If-Match` with the ETag read): a save over
somebody else's newer change is refused with 412, never silently made.

Errors are JSON, `{"detail": …}`, with `errors` (field → message, the edit forms' messages) on 422.
"""

import json
from collections.abc import Callable, Coroutine
from copy import deepcopy
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import editing, tokens
from app.db import write_session
from app.editing import ActorInput, Conflict, EditError, EventInput, Input, SourceInput
from app.models import Actor, Event, Source
from app.present import event_path
from app.templating import absolute_url
from app.tokens import TokenUser

RecordT = TypeVar("RecordT")
MAX_BODY = 1024 * 1024
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; beyond, nothing can exist
REF = "#/components/schemas/{model}"
EVENTS, ACTORS, SOURCES = "Write: events", "Write: actors", "Write: sources"  # in /docs


class ApiError(Exception):
    """An answer other than success: a status, a message for people, and anything more."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **more: Any,
    ) -> None:
        super().__init__(detail)
        self.status_code, self.detail, self.headers, self.more = status_code, detail, headers, more

    def response(self) -> JSONResponse:
        body = {"detail": self.detail, **self.more}
        return JSONResponse(body, status_code=self.status_code, headers=self.headers)


class ApiRoute(APIRoute):
    """An API route: every error answers JSON (never the HTML error page, never FastAPI's own
    422 format), and no response is stored by any cache."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def api_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except ApiError as error:
                response = error.response()
            except EditError as error:
                response = _invalid(error.errors).response()
            except Conflict as error:
                response = _conflict(_noun(request), error).response()
            except IntegrityError:
                detail = "A simultaneous change got in the way (a slug taken, say). Try again."
                response = ApiError(409, detail).response()
            except RequestValidationError as error:
                fields = {
                    ".".join(map(str, e["loc"][1:])) or "input": e["msg"] for e in error.errors()
                }
                response = _invalid(fields).response()
            except StarletteHTTPException as error:
                response = http_error(error)
            response.headers["Cache-Control"] = "no-store"
            return response

        return api_handler


router = APIRouter(prefix="/api", route_class=ApiRoute)


def http_error(error: StarletteHTTPException) -> JSONResponse:
    """An HTTP error (405, an unknown path) under /api as JSON."""
    return ApiError(error.status_code, str(error.detail), headers=error.headers).response()


def _noun(request: Request) -> str:
    """'event' for /api/events/17, for messages that name the kind of record."""
    parts = request.url.path.split("/")
    return parts[2].removesuffix("s") if len(parts) > 2 else "record"


def _invalid(errors: dict[str, str]) -> ApiError:
    count = len(errors)
    detail = "A field is not valid." if count == 1 else f"{count} fields are not valid."
    return ApiError(422, f"{detail} Nothing was saved.", errors=errors)


def _conflict(noun: str, error: Conflict) -> ApiError:
    by = f" by {error.changed_by}" if error.changed_by else ""
    at = f" at {error.changed_at:%Y-%m-%d %H:%M} UTC" if error.changed_at else ""
    detail = (
        f"This {noun} was changed{by}{at} since the version you read ({error.expected}); it is "
        f"now version {error.current}. Nothing was saved: GET it again, make your change to "
        f'that, and send it with If-Match: "{error.current}".'
    )
    return ApiError(
        412,
        detail,
        headers={"ETag": _etag(error.current)},
        current_version=error.current,
        changed_by=error.changed_by,
        changed_at=error.changed_at.isoformat().replace("+00:00", "Z")
        if error.changed_at
        else None,
        changes=error.changes,
    )


# Who: the token


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="brink_…",
    description="An API token, made at /account/tokens or with `brink token create`. Requests "
    "act as the token's user, and their revisions name them.",
)


def api_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenUser:
    """The user a request's bearer token acts as; 401 for anything else (cookies included)."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise _unauthorized("The Authorization header must be 'Bearer <token>'.")
        raise _unauthorized(
            "Send an API token: 'Authorization: Bearer <token>'. Editors make them at "
            "/account/tokens; signing in with a browser does not authorise the API."
        )
    user = tokens.verify(request.app.state.engine, credentials.credentials)
    if user is None:
        raise _unauthorized("This token is not valid: unknown, revoked, or its user is disabled.")
    return user


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="brink"'})


ApiUser = Annotated[TokenUser, Depends(api_user)]


# The body: JSON, at most MAX_BODY bytes


async def _read_json(request: Request, required: bool) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(415, "Send JSON, with Content-Type: application/json.")
    too_large = ApiError(413, f"The body is too large: at most {MAX_BODY // 1024} KiB.")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise too_large
    if not body.strip():
        if required:
            raise ApiError(400, "Send a JSON object as the body.")
        return {}
    try:
        return await run_in_threadpool(json.loads, bytes(body))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError too
        raise ApiError(400, f"The body is not valid JSON: {error}") from error


async def json_body(request: Request) -> Any:
    return await _read_json(request, required=True)


async def optional_json_body(request: Request) -> Any:
    return await _read_json(request, required=False)


JsonBody = Annotated[Any, Depends(json_body)]
OptionalJsonBody = Annotated[Any, Depends(optional_json_body)]


def _parse(model: type[editing.InputT], data: Any, inner: str | None = None) -> editing.InputT:
    """Validate a body; errors inside its `inner` record are named as the forms name them
    ("title", not "event.title")."""
    try:
        return editing.parse(model, data)
    except EditError as error:
        if inner:
            prefix = inner + "."
            error.errors = {key.removeprefix(prefix): msg for key, msg in error.errors.items()}
        raise


# Versions: ETag out, If-Match in


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(request: Request, current: int) -> int | None:
    """The version a change is based on (None for `If-Match: *`, any version); 428 without."""
    header = request.headers.get("if-match")
    if header is None:
        raise ApiError(
            428,
            "Send If-Match with the ETag you read (GET the record first), for example "
            'If-Match: "3": it keeps you from overwriting somebody else\'s change.',
        )
    if header.strip() == "*":
        return None
    versions = []
    for tag in header.split(","):
        value = tag.strip().removeprefix('"').removesuffix('"')
        if not value.isdigit() or len(value) > 10:
            raise ApiError(400, f'If-Match must be an ETag from this API, like "3", not {tag!r}.')
        versions.append(int(value))
    return current if current in versions else versions[0]


def _check_id(noun: str, record_id: int) -> None:
    if record_id > MAX_ID:
        raise ApiError(404, f"There is no {noun} {record_id}.")


def _found(record: RecordT | None, noun: str, record_id: int) -> RecordT:
    if record is None:
        raise ApiError(404, f"There is no {noun} {record_id}.")
    return record


# Documentation models: what the routes read and answer


class Problem(BaseModel):
    """Why a request failed."""

    detail: str = Field(description="What is wrong, for people.")
    errors: dict[str, str] | None = Field(
        None, description="On 422: each bad field (as the edit forms name it) and what is wrong."
    )


class Change(BaseModel):
    field: str = Field(description="A field of the record.")
    before: Any = Field(description="Its value in the version you read.")
    after: Any = Field(description="Its value now.")


class ConflictProblem(BaseModel):
    """A change based on an older version than the stored one: nothing was saved."""

    detail: str = Field(description="Who changed the record, when, and what to do.")
    current_version: int = Field(description="The stored version: the ETag to retry with.")
    changed_by: str | None = Field(description="Who made the stored version, if known.")
    changed_at: datetime | None = Field(description="When.")
    changes: list[Change] = Field(description="What differs between your version and this one.")


VERSION = Field(description="Raised by every change: the ETag, to send back in If-Match.")


class EventRecord(BaseModel):
    """An event as the API reads and writes it: `event` is the shape POST takes."""

    id: int = Field(description="The event's number, forever.")
    version: int = VERSION
    published: bool = Field(description="Shown to readers.")
    published_at: datetime | None = Field(description="When it was first published.")
    deleted: bool = Field(description="In the trash: hidden, its page answers 410.")
    url: str = Field(description="Its public page (readers see it only when published).")
    event: EventInput = Field(description="Its fields, as POST and PATCH take them.")


class ActorRecord(BaseModel):
    id: int = Field(description="The actor's number.")
    version: int = VERSION
    url: str = Field(description="Its public page.")
    actor: ActorInput = Field(description="Its fields, as POST and PATCH take them.")


class SourceRecord(BaseModel):
    id: int = Field(description="The source's number, for events to cite.")
    version: int = VERSION
    source: SourceInput = Field(description="Its fields, as POST and PATCH take them.")


Note = Annotated[str, Field(max_length=1000, description="Why: kept in the revision.")]
NEW = "The new record's fields."
CHANGED = "Only the fields to change; the others keep their values."


class EventCreate(Input):
    event: EventInput = Field(description=NEW)
    publish: bool = Field(False, description="Publish at once; otherwise a draft.")
    note: Note = ""


class EventChange(Input):
    event: dict[str, Any] = Field(description=CHANGED)
    note: Note = ""
    correction: bool = Field(
        False, description="A correction of a published event: shown in its public log."
    )


class Action(Input):
    note: Note = ""


class ActorCreate(Input):
    actor: ActorInput = Field(description=NEW)
    note: Note = ""


class ActorChange(Input):
    actor: dict[str, Any] = Field(description=CHANGED)
    note: Note = ""


class SourceCreate(Input):
    source: SourceInput = Field(description=NEW)


class SourceChange(Input):
    source: dict[str, Any] = Field(description=CHANGED)


def request_schemas() -> dict[str, Any]:
    """Schemas of the request bodies for /openapi.json: the routes read their bodies
    themselves (to answer errors in the forms' words), so FastAPI does not see them."""
    models = [
        EventCreate,
        EventChange,
        Action,
        ActorCreate,
        ActorChange,
        SourceCreate,
        SourceChange,
        EventInput,
        ActorInput,
        SourceInput,
    ]
    _, schema = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas: dict[str, Any] = schema["$defs"]
    for name in ("Event", "Actor", "Source"):
        partial = deepcopy(schemas[f"{name}Input"])
        partial.pop("required", None)
        partial["title"] = f"{name}Fields"
        partial["description"] = (
            f"Any fields of {name}Input: those left out keep their current values."
        )
        schemas[f"{name}Fields"] = partial
        change = schemas[f"{name}Change"]["properties"]
        change[name.lower()] = {"$ref": REF.format(model=f"{name}Fields"), "description": CHANGED}
    return schemas


def _body(model: str, examples: dict[str, Any] | None = None, required: bool = True) -> Any:
    content: dict[str, Any] = {"schema": {"$ref": REF.format(model=model)}}
    if examples:
        content["examples"] = {
            name: {"summary": summary, "value": value}
            for name, (summary, value) in examples.items()
        }
    return {"requestBody": {"required": required, "content": {"application/json": content}}}


def _problem(description: str, example: dict[str, Any], model: type = Problem) -> dict[str, Any]:
    return {
        "model": model,
        "description": description,
        "content": {"application/json": {"example": example}},
    }


ETAG_HEADER = {
    "ETag": {
        "description": 'The version, as "3": send it back in If-Match.',
        "schema": {"type": "string"},
    }
}
AUTH: dict[int | str, Any] = {
    401: {
        **_problem(
            "No token, or one that is unknown or revoked, or whose user is disabled.",
            {"detail": "This token is not valid: unknown, revoked, or its user is disabled."},
        ),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
}
NOT_FOUND: dict[int | str, Any] = {
    404: _problem("No such record.", {"detail": "There is no event 999."}),
}
BODY: dict[int | str, Any] = {
    400: _problem("The body is not JSON.", {"detail": "The body is not valid JSON: …"}),
    413: _problem(
        "The body is over 1 MiB.", {"detail": "The body is too large: at most 1024 KiB."}
    ),
    422: _problem(
        "Fields that cannot be saved, each with the edit form's message. Nothing was saved.",
        {
            "detail": "2 fields are not valid. Nothing was saved.",
            "errors": {"title": "This is required.", "actors.0.actor": "There is no actor 'x'."},
        },
    ),
}
PRECONDITIONS: dict[int | str, Any] = {
    412: _problem(
        "If-Match names an older version: somebody changed the record since. Nothing was saved.",
        {
            "detail": "This event was changed by editor@example.org at 2022-02-12 16:04 UTC "
            "since the version you read (3); it is now version 4. Nothing was saved: …",
            "current_version": 4,
            "changed_by": "editor@example.org",
            "changed_at": "2022-02-12T16:04:00Z",
            "changes": [{"field": "start", "before": "2022-02-11", "after": "2022-02-12"}],
        },
        ConflictProblem,
    ),
    428: _problem(
        "No If-Match: a change must name the version it is based on.",
        {"detail": "Send If-Match with the ETag you read (GET the record first), for example …"},
    ),
}
IN_TRASH: dict[int | str, Any] = {
    409: _problem(
        "The event is in the trash: restore it first.",
        {"detail": "Event 17 is in the trash: restore it first (POST /api/events/17/restore)."},
    ),
}
IF_MATCH = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": True,
            "description": 'The ETag you read, as "3" (or * to overwrite whatever is there).',
            "schema": {"type": "string"},
        }
    ]
}


def _with(*parts: dict[str, Any]) -> dict[str, Any]:
    """openapi_extra from pieces: a request body and the If-Match parameter."""
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def _ok(status_code: int = 200) -> dict[int | str, Any]:
    return {status_code: {"headers": ETAG_HEADER}}


EVENT_EXAMPLE = {
    "title": "Biden and Putin speak by phone",
    "summary": "A call of about an hour, [the White House said](https://example.org/readout).",
    "type": "call",
    "start": "2022-02-12T18:04",
    "timezone": "Europe/Kyiv",
    "actors": [
        {"actor": "joe-biden", "role": "initiator"},
        {"actor": "vladimir-putin", "role": "counterpart"},
    ],
    "sources": [{"source": 1, "quote": "The call lasted just over an hour."}],
}


# Events


def _event_record(request: Request, event: Event) -> EventRecord:
    zone = request.app.state.settings.zone
    return EventRecord(
        id=event.id,
        version=event.version,
        published=event.published,
        published_at=event.published_at,
        deleted=event.deleted_at is not None,
        url=absolute_url(request, event_path(event)),
        event=editing.event_input(event, zone),
    )


def _answer(record: BaseModel, version: int, status_code: int = 200, **headers: str) -> Response:
    return JSONResponse(
        record.model_dump(mode="json"),
        status_code=status_code,
        headers={"ETag": _etag(version), **headers},
    )


EventId = Annotated[int, Path(description="The event's number.", examples=[17])]


def _load_event(session: Session, event_id: int) -> Event:
    _check_id("event", event_id)
    return _found(editing.load_event(session, event_id), "event", event_id)


def _not_in_trash(event: Event) -> None:
    if event.deleted_at is not None:
        raise ApiError(
            409,
            f"Event {event.id} is in the trash: restore it first "
            f"(POST /api/events/{event.id}/restore).",
        )


@router.get(
    "/events/{event_id:int}",
    response_model=EventRecord,
    summary="Read an event to edit",
    tags=[EVENTS],
    responses={**_ok(), **AUTH, **NOT_FOUND},
)
def get_event(request: Request, event_id: EventId, user: ApiUser) -> Response:
    """An event as the API writes it, drafts and trashed events included; its ETag is the
    version to send back in If-Match."""
    _check_id("event", event_id)
    with request.app.state.sessions() as session:
        event = _found(session.get(Event, event_id), "event", event_id)
        return _answer(_event_record(request, event), event.version)


@router.post(
    "/events",
    response_model=EventRecord,
    status_code=201,
    summary="Create an event",
    tags=[EVENTS],
    responses={**_ok(201), **AUTH, **BODY},
    openapi_extra=_body(
        "EventCreate",
        {
            "draft": ("A draft", {"event": EVENT_EXAMPLE, "note": "From the readout."}),
            "published": ("Published at once", {"event": EVENT_EXAMPLE, "publish": True}),
        },
    ),
)
def create_event(request: Request, user: ApiUser, body: JsonBody) -> Response:
    """A new event, a draft unless `publish` is true. Actors are named by id or slug, sources
    by id (create them with POST /api/sources). Answers the event, with its Location."""
    data = _parse(EventCreate, body, "event")
    zone = request.app.state.settings.zone
    with write_session(request.app.state.engine) as session:
        event = editing.create_event(
            session, data.event, zone, user.user_id, publish=data.publish, note=data.note
        )
        record = _event_record(request, event)
    return _answer(record, record.version, 201, Location=f"/api/events/{record.id}")


@router.patch(
    "/events/{event_id:int}",
    response_model=EventRecord,
    summary="Change an event",
    tags=[EVENTS],
    responses={**_ok(), **AUTH, **NOT_FOUND, **BODY, **IN_TRASH, **PRECONDITIONS},
    openapi_extra=_with(
        _body(
            "EventChange",
            {
                "date": (
                    "Correct the date",
                    {
                        "event": {"start": "2022-02-11"},
                        "correction": True,
                        "note": "The call was on the 11th, the readout says.",
                    },
                ),
                "status": ("It happened", {"event": {"status": "occurred"}}),
            },
        ),
        IF_MATCH,
    ),
)
def change_event(request: Request, event_id: EventId, user: ApiUser, body: JsonBody) -> Response:
    """Change some fields of an event; the others keep their values (a list, such as `actors`,
    is replaced whole). With `correction`, a published event's public log shows the change.
    Needs If-Match; answers the new ETag (the same one if nothing changed)."""
    change = _parse(EventChange, body)
    zone = request.app.state.settings.zone
    with write_session(request.app.state.engine) as session:
        event = _load_event(session, event_id)
        expected = _if_match(request, event.version)
        _not_in_trash(event)
        current = editing.event_input(event, zone).model_dump(mode="json")
        data = _parse(EventInput, {**current, **change.event})
        editing.update_event(
            session,
            event,
            data,
            zone,
            user.user_id,
            expected_version=expected,
            note=change.note,
            correction=change.correction,
        )
        record = _event_record(request, event)
    return _answer(record, record.version)


@router.delete(
    "/events/{event_id:int}",
    status_code=204,
    summary="Move an event to the trash",
    tags=[EVENTS],
    responses={204: {"headers": ETAG_HEADER}, **AUTH, **NOT_FOUND, **PRECONDITIONS},
    openapi_extra=_with(_body("Action", required=False), IF_MATCH),
)
def delete_event(
    request: Request, event_id: EventId, user: ApiUser, body: OptionalJsonBody
) -> Response:
    """Hide an event from readers; its page answers 410 Gone. Nothing is lost: restore it
    with POST /api/events/{id}/restore. Needs If-Match."""
    action = _parse(Action, body)
    zone = request.app.state.settings.zone
    with write_session(request.app.state.engine) as session:
        event = _load_event(session, event_id)
        expected = _if_match(request, event.version)
        editing.check_version(session, "event", event.id, event.version, expected)
        editing.delete_event(session, event, zone, user.user_id, action.note)
        version = event.version
    return Response(status_code=204, headers={"ETag": _etag(version)})


def _event_action(
    request: Request,
    event_id: int,
    body: Any,
    user: TokenUser,
    act: Callable[..., None],
    *,
    in_trash_ok: bool = False,
) -> Response:
    action = _parse(Action, body)
    zone = request.app.state.settings.zone
    with write_session(request.app.state.engine) as session:
        event = _load_event(session, event_id)
        expected = _if_match(request, event.version)
        if not in_trash_ok:
            _not_in_trash(event)
        editing.check_version(session, "event", event.id, event.version, expected)
        act(session, event, zone, user.user_id, action.note)
        record = _event_record(request, event)
    return _answer(record, record.version)


ACTION_DOCS: dict[str, Any] = {
    "response_model": EventRecord,
    "tags": [EVENTS],
    "responses": {**_ok(), **AUTH, **NOT_FOUND, **BODY, **PRECONDITIONS},
    "openapi_extra": _with(_body("Action", required=False), IF_MATCH),
}


@router.post(
    "/events/{event_id:int}/publish",
    summary="Publish an event",
    **{**ACTION_DOCS, "responses": {**ACTION_DOCS["responses"], **IN_TRASH}},
)
def publish_event(
    request: Request, event_id: EventId, user: ApiUser, body: OptionalJsonBody
) -> Response:
    """Put a draft before readers. Needs If-Match."""
    return _event_action(request, event_id, body, user, editing.publish_event)


@router.post(
    "/events/{event_id:int}/unpublish", summary="Take an event back to the drafts", **ACTION_DOCS
)
def unpublish_event(
    request: Request, event_id: EventId, user: ApiUser, body: OptionalJsonBody
) -> Response:
    """Hide a published event from readers, as a draft. Needs If-Match."""
    return _event_action(request, event_id, body, user, editing.unpublish_event, in_trash_ok=True)


@router.post(
    "/events/{event_id:int}/restore", summary="Take an event out of the trash", **ACTION_DOCS
)
def restore_event(
    request: Request, event_id: EventId, user: ApiUser, body: OptionalJsonBody
) -> Response:
    """Back from the trash, published again if it was. Needs If-Match."""
    return _event_action(request, event_id, body, user, editing.restore_event, in_trash_ok=True)


# Actors


ActorId = Annotated[int, Path(description="The actor's number.", examples=[3])]


def _actor_record(request: Request, actor: Actor) -> ActorRecord:
    return ActorRecord(
        id=actor.id,
        version=actor.version,
        url=absolute_url(request, f"/actors/{actor.slug}"),
        actor=editing.actor_input(actor),
    )


def _load_actor(session: Session, actor_id: int) -> Actor:
    _check_id("actor", actor_id)
    return _found(editing.load_actor(session, actor_id), "actor", actor_id)


@router.get(
    "/actors/{actor_id:int}",
    response_model=ActorRecord,
    summary="Read an actor to edit",
    tags=[ACTORS],
    responses={**_ok(), **AUTH, **NOT_FOUND},
)
def get_actor(request: Request, actor_id: ActorId, user: ApiUser) -> Response:
    """An actor as the API writes it; its ETag is the version to send back in If-Match."""
    _check_id("actor", actor_id)
    with request.app.state.sessions() as session:
        actor = _found(session.get(Actor, actor_id), "actor", actor_id)
        return _answer(_actor_record(request, actor), actor.version)


@router.post(
    "/actors",
    response_model=ActorRecord,
    status_code=201,
    summary="Create an actor",
    tags=[ACTORS],
    responses={**_ok(201), **AUTH, **BODY},
    openapi_extra=_body(
        "ActorCreate",
        {
            "person": (
                "A person",
                {
                    "actor": {
                        "name": "Mario Draghi",
                        "kind": "person",
                        "parent": "italy",
                        "aliases": ["Draghi"],
                        "description": "Prime Minister of Italy.",
                    }
                },
            ),
        },
    ),
)
def create_actor(request: Request, user: ApiUser, body: JsonBody) -> Response:
    """A new actor; the slug is made from the name unless given."""
    data = _parse(ActorCreate, body, "actor")
    with write_session(request.app.state.engine) as session:
        actor = editing.create_actor(session, data.actor, user.user_id, data.note)
        record = _actor_record(request, actor)
    return _answer(record, record.version, 201, Location=f"/api/actors/{record.id}")


@router.patch(
    "/actors/{actor_id:int}",
    response_model=ActorRecord,
    summary="Change an actor",
    tags=[ACTORS],
    responses={**_ok(), **AUTH, **NOT_FOUND, **BODY, **PRECONDITIONS},
    openapi_extra=_with(
        _body(
            "ActorChange",
            {"alias": ("Add aliases", {"actor": {"aliases": ["Draghi", "SuperMario"]}})},
        ),
        IF_MATCH,
    ),
)
def change_actor(request: Request, actor_id: ActorId, user: ApiUser, body: JsonBody) -> Response:
    """Change some fields of an actor; a new slug keeps the old one redirecting. Needs
    If-Match."""
    change = _parse(ActorChange, body)
    with write_session(request.app.state.engine) as session:
        actor = _load_actor(session, actor_id)
        expected = _if_match(request, actor.version)
        current = editing.actor_input(actor).model_dump(mode="json")
        data = _parse(ActorInput, {**current, **change.actor})
        editing.update_actor(
            session, actor, data, user.user_id, expected_version=expected, note=change.note
        )
        record = _actor_record(request, actor)
    return _answer(record, record.version)


@router.delete(
    "/actors/{actor_id:int}",
    status_code=204,
    summary="Delete an actor no event names",
    tags=[ACTORS],
    responses={
        204: {"description": "Deleted."},
        **AUTH,
        **NOT_FOUND,
        **PRECONDITIONS,
        409: _problem("Events name the actor, or actors belong to it.", {"detail": "…"}),
    },
    openapi_extra=IF_MATCH,
)
def delete_actor(request: Request, actor_id: ActorId, user: ApiUser) -> Response:
    """Delete an actor that no event names and no actor belongs to (409 otherwise). Needs
    If-Match."""
    with write_session(request.app.state.engine) as session:
        actor = _load_actor(session, actor_id)
        expected = _if_match(request, actor.version)
        editing.check_version(session, "actor", actor.id, actor.version, expected)
        _in_use(editing.delete_actor, session, actor)
    return Response(status_code=204)


def _in_use(delete: Callable[[Session, Any], None], session: Session, record: Any) -> None:
    try:
        delete(session, record)
    except EditError as error:
        raise ApiError(409, " ".join(error.errors.values()) + " Nothing was deleted.") from error


# Sources


SourceId = Annotated[int, Path(description="The source's number.", examples=[1])]


def _source_record(source: Source) -> SourceRecord:
    return SourceRecord(id=source.id, version=source.version, source=editing.source_input(source))


def _load_source(session: Session, source_id: int) -> Source:
    _check_id("source", source_id)
    return _found(session.get(Source, source_id, with_for_update=True), "source", source_id)


@router.get(
    "/sources/{source_id:int}",
    response_model=SourceRecord,
    summary="Read a source to edit",
    tags=[SOURCES],
    responses={**_ok(), **AUTH, **NOT_FOUND},
)
def get_source(request: Request, source_id: SourceId, user: ApiUser) -> Response:
    """A source events can cite; its ETag is the version to send back in If-Match."""
    _check_id("source", source_id)
    with request.app.state.sessions() as session:
        source = _found(session.get(Source, source_id), "source", source_id)
        return _answer(_source_record(source), source.version)


@router.post(
    "/sources",
    response_model=SourceRecord,
    status_code=201,
    summary="Create a source",
    tags=[SOURCES],
    responses={**_ok(201), **AUTH, **BODY},
    openapi_extra=_body(
        "SourceCreate",
        {
            "readout": (
                "A readout",
                {
                    "source": {
                        "publisher": "The White House",
                        "title": "Readout of President Biden's Call",
                        "url": "https://example.org/readout",
                        "published": "2022-02-12",
                    }
                },
            ),
        },
    ),
)
def create_source(request: Request, user: ApiUser, body: JsonBody) -> Response:
    """A new source, for events to cite by its id."""
    data = _parse(SourceCreate, body, "source")
    with write_session(request.app.state.engine) as session:
        source = editing.create_source(session, data.source)
        record = _source_record(source)
    return _answer(record, record.version, 201, Location=f"/api/sources/{record.id}")


@router.patch(
    "/sources/{source_id:int}",
    response_model=SourceRecord,
    summary="Change a source",
    tags=[SOURCES],
    responses={**_ok(), **AUTH, **NOT_FOUND, **BODY, **PRECONDITIONS},
    openapi_extra=_with(
        _body(
            "SourceChange", {"url": ("Fix the link", {"source": {"url": "https://example.org/r"}})}
        ),
        IF_MATCH,
    ),
)
def change_source(request: Request, source_id: SourceId, user: ApiUser, body: JsonBody) -> Response:
    """Change some fields of a source. Needs If-Match."""
    change = _parse(SourceChange, body)
    with write_session(request.app.state.engine) as session:
        source = _load_source(session, source_id)
        expected = _if_match(request, source.version)
        current = editing.source_input(source).model_dump(mode="json")
        data = _parse(SourceInput, {**current, **change.source})
        editing.update_source(session, source, data, expected_version=expected)
        record = _source_record(source)
    return _answer(record, record.version)


@router.delete(
    "/sources/{source_id:int}",
    status_code=204,
    summary="Delete a source no event cites",
    tags=[SOURCES],
    responses={
        204: {"description": "Deleted."},
        **AUTH,
        **NOT_FOUND,
        **PRECONDITIONS,
        409: _problem("Events cite the source.", {"detail": "2 event(s) cite this source. …"}),
    },
    openapi_extra=IF_MATCH,
)
def delete_source(request: Request, source_id: SourceId, user: ApiUser) -> Response:
    """Delete a source that no event cites (409 otherwise). Needs If-Match."""
    with write_session(request.app.state.engine) as session:
        source = _load_source(session, source_id)
        expected = _if_match(request, source.version)
        editing.check_version(session, "source", source.id, source.version, expected)
        _in_use(editing.delete_source, session, source)
    return Response(status_code=204)
