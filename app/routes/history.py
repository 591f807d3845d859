"""Revision history of events and actors for editors: every version, what changed, and restore."""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import editing, history
from app.db import SessionDep, write_session
from app.editing import Conflict, EditError
from app.models import Actor, Event
from app.present import actor_path, event_path
from app.routes.auth import Editor, FormFields
from app.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Record:
    """What a history page is about: an event or an actor."""

    entity: str
    id: int
    name: str
    state: str
    version: int
    links: list[tuple[str, str]]

    @property
    def base(self) -> str:
        return f"/desk/{self.entity}s/{self.id}/history"


def _record(session: Session, entity: str, record_id: int) -> Record:
    if entity == "event":
        event = session.get(Event, record_id)
        if event is None:
            raise HTTPException(404, f"There is no event {record_id}.")
        state = "In the trash" if event.deleted_at else "Published" if event.published else "Draft"
        links = [] if event.deleted_at else [("Edit", f"/desk/events/{event.id}/edit")]
        if event.published:
            links.append(("Public page", event_path(event)))
        return Record("event", event.id, event.title, state, event.version, links)
    actor = session.get(Actor, record_id)
    if actor is None:
        raise HTTPException(404, f"There is no actor {record_id}.")
    links = [("Edit", f"/desk/actors/{actor.id}/edit"), ("Public page", actor_path(actor.slug))]
    return Record("actor", actor.id, actor.name, actor.kind.capitalize(), actor.version, links)


def _history_page(
    request: Request,
    session: Session,
    entity: str,
    record_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    record = _record(session, entity, record_id)
    revisions = editing.revisions(session, entity, record_id)
    names = history.load_names(session, history.snapshots_of(revisions))
    zone = request.app.state.settings.zone
    context: dict[str, Any] = {
        "title": f"History of {record.name}",
        "record": record,
        "entries": history.history_entries(revisions, names, zone),
        "notice": _notice(request),
        "error": error,
    }
    return render(request, "history.html", context, status_code=status_code)


def _notice(request: Request) -> str | None:
    restored, now = request.query_params.get("restored"), request.query_params.get("now")
    if restored and restored.isdigit():
        if now and now.isdigit():
            return f"Restored version {restored}: it is now version {now}."
        return f"Version {restored} is the same as the current one: nothing changed."
    return None


@router.get("/desk/events/{event_id:int}/history", response_class=HTMLResponse)
def event_history(request: Request, event_id: int, session: SessionDep, _: Editor) -> Response:
    """Every revision of an event, newest first, drafts and trashed events included."""
    return _history_page(request, session, "event", event_id)


@router.get("/desk/actors/{actor_id:int}/history", response_class=HTMLResponse)
def actor_history(request: Request, actor_id: int, session: SessionDep, _: Editor) -> Response:
    """Every revision of an actor, newest first."""
    return _history_page(request, session, "actor", actor_id)


def _version_page(
    request: Request, session: Session, entity: str, record_id: int, version: int
) -> HTMLResponse:
    record = _record(session, entity, record_id)
    revision = editing.get_revision(session, entity, record_id, version)
    if revision is None or revision.version != version:
        raise HTTPException(404, f"There is no version {version} of this {entity}.")
    names = history.load_names(session, [revision.snapshot])
    zone = request.app.state.settings.zone
    context: dict[str, Any] = {
        "title": f"Version {version} of {record.name}",
        "record": record,
        "revision": revision,
        "entry": history.history_entries([revision], names, zone)[0],
        "rows": history.snapshot_rows(revision.snapshot, names, zone),
        "is_current": version == record.version,
    }
    return render(request, "history.html", context)


@router.get("/desk/events/{event_id:int}/history/{version:int}", response_class=HTMLResponse)
def event_version(
    request: Request, event_id: int, version: int, session: SessionDep, _: Editor
) -> Response:
    """One version of an event, whole."""
    return _version_page(request, session, "event", event_id, version)


@router.get("/desk/actors/{actor_id:int}/history/{version:int}", response_class=HTMLResponse)
def actor_version(
    request: Request, actor_id: int, version: int, session: SessionDep, _: Editor
) -> Response:
    """One version of an actor, whole."""
    return _version_page(request, session, "actor", actor_id, version)


def _expected_version(fields: dict[str, str]) -> int:
    value = fields.get("expected_version", "")
    if not value.isdigit():
        raise HTTPException(400, "The form did not say which version it was made from. Reload it.")
    return int(value)


def _restore(
    request: Request, entity: str, record_id: int, version: int, user_id: int, expected: int
) -> Response:
    """Save an old version's fields as a new revision; a newer save since the page was loaded
    is a 409 and nothing changes."""
    zone = request.app.state.settings.zone
    try:
        with write_session(request.app.state.engine) as session:
            if entity == "event":
                event = editing.load_event(session, record_id)
                if event is None:
                    raise HTTPException(404, f"There is no event {record_id}.")
                changed = editing.revert_event(
                    session, event, version, zone, user_id, expected_version=expected
                )
                now = event.version
            else:
                actor = editing.load_actor(session, record_id)
                if actor is None:
                    raise HTTPException(404, f"There is no actor {record_id}.")
                changed = editing.revert_actor(
                    session, actor, version, user_id, expected_version=expected
                )
                now = actor.version
    except Conflict as conflict:
        message = f"Version {version} was not restored. " + history.conflict_message(conflict, zone)
        message += " Check the newest changes below, then restore again if you still want to."
        with request.app.state.sessions() as session:
            return _history_page(
                request, session, entity, record_id, error=message, status_code=409
            )
    except EditError as error:
        message = f"Version {version} cannot be restored: " + " ".join(error.errors.values())
        with request.app.state.sessions() as session:
            return _history_page(
                request, session, entity, record_id, error=message, status_code=400
            )
    done = f"restored={version}" + (f"&now={now}" if changed else "")
    return RedirectResponse(f"/desk/{entity}s/{record_id}/history?{done}", status_code=303)


@router.post("/desk/events/{event_id:int}/history/{version:int}/restore")
def restore_event_version(
    request: Request, event_id: int, version: int, editor: Editor, fields: FormFields
) -> Response:
    """Restore an event's earlier version (itself a new revision)."""
    expected = _expected_version(fields)
    return _restore(request, "event", event_id, version, editor.user_id, expected)


@router.post("/desk/actors/{actor_id:int}/history/{version:int}/restore")
def restore_actor_version(
    request: Request, actor_id: int, version: int, editor: Editor, fields: FormFields
) -> Response:
    """Restore an actor's earlier version (itself a new revision)."""
    expected = _expected_version(fields)
    return _restore(request, "actor", actor_id, version, editor.user_id, expected)
