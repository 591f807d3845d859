"""The editors' desk for events: drafts, recent changes and the trash; the event form (new, edit,
follow-up, duplicate) with conflict-safe saves; publishing, unpublishing, deleting, restoring."""

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import desk, editing, queries
from app.db import SessionDep, write_session
from app.editing import Conflict, EditError
from app.models import Event
from app.present import event_path
from app.routes.auth import Editor, FormFields, safe_next
from app.templating import render

router = APIRouter(include_in_schema=False)

DESK_NOTICES = {
    "published": "Published “{title}”.",
    "unpublished": "“{title}” is a draft again: readers no longer see it.",
    "deleted": "Moved “{title}” to the trash. Its page now answers “Gone”; restore it below.",
    "restored": "Restored “{title}” from the trash.",
}
FORM_NOTICES = {
    "draft": "Saved as a draft. Readers cannot see it until you publish it.",
    "saved": "Saved.",
    "unchanged": "Nothing had changed, so nothing was saved.",
    "unpublished": "Unpublished: this event is a draft again, hidden from readers.",
    "restored": "Restored from the trash.",
}
ROW_LIMIT = desk.MAX_ROWS


def _zone(request: Request) -> Any:
    return request.app.state.settings.zone


@router.get("/desk", response_class=HTMLResponse)
def desk_page(request: Request, session: SessionDep, editor: Editor) -> Response:
    """What needs an editor: drafts, the latest changes, the trash."""
    zone = _zone(request)
    notice = None
    done, event_id = request.query_params.get("done"), request.query_params.get("event", "")
    if done in DESK_NOTICES and event_id.isdigit():
        event = session.get(Event, int(event_id))
        if event is not None:
            notice = DESK_NOTICES[done].format(title=event.title)
    context = {
        "title": "Desk",
        "notice": notice,
        "drafts": desk.drafts(session, zone),
        "changes": desk.recent_changes(session, zone),
        "trash": desk.trash(session, zone),
    }
    return render(request, "desk.html", context)


def _form_page(
    request: Request,
    session: Session,
    form: desk.EventForm,
    *,
    event: Event | None = None,
    errors: dict[str, str] | None = None,
    conflict: desk.ConflictView | None = None,
    notice: str | None = None,
    prefill: str | None = None,
    focus: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The event form, new or editing `event`, holding everything in `form`."""
    zone = _zone(request)
    errors = errors or {}
    context = {
        "title": f"Edit “{event.title}”" if event else "New event",
        "form": form,
        "event": event,
        "event_path": event_path(event) if event else None,
        "action": f"/desk/events/{event.id}/edit" if event else "/desk/events",
        "errors": errors,
        "error_links": [
            (f"f-{name}", _label(name), errors[name]) for name in sorted(errors, key=_form_order)
        ],
        "conflict": conflict,
        "notice": notice,
        "prefill": prefill,
        "focus": focus,
        "types": queries.event_types(session),
        "source_options": desk.source_options(session),
        "related_titles": desk.related_titles(session, form, zone),
        "vocabulary": _vocabulary(request),
    }
    return render(request, "desk_event_form.html", context, status_code=status_code)


def _vocabulary(request: Request) -> dict[str, Any]:
    return {
        "roles": desk.ROLES,
        "kinds": desk.ACTOR_KINDS,
        "statuses": desk.STATUSES,
        "verifications": desk.VERIFICATIONS,
        "precisions": desk.PRECISIONS,
        "relations": desk.RELATIONS,
        "importance": desk.IMPORTANCE,
        "zones": desk.COMMON_ZONES,
        "crisis_zone": request.app.state.settings.timezone,
    }


FIELD_NAMES = {
    "title": "Title",
    "type": "Type",
    "status": "Status",
    "verification": "Verification",
    "importance": "Importance",
    "start_date": "Date",
    "start_time": "Time",
    "precision": "Precision",
    "end_date": "End date",
    "end_time": "End time",
    "end_precision": "End precision",
    "place": "Place",
    "lat": "Latitude",
    "lon": "Longitude",
    "timezone": "Time zone",
    "summary": "Summary",
    "actors": "Actors",
    "sources": "Sources",
    "relations": "Related events",
    "note": "Edit note",
}
ROW_FIELDS = {
    "role": "role",
    "new_name": "new actor's name",
    "new_kind": "new actor's kind",
    "quote": "quote",
    "new_publisher": "new source's publisher",
    "new_title": "new source's title",
    "new_url": "new source's link",
    "relation": "relation",
}


# The order of the form, for the error summary: actors come after the dates, and so on.
FORM_ORDER = [
    "title", "type", "status", "verification", "importance", "start_date", "start_time",
    "precision", "approximate", "end_date", "end_time", "end_precision", "actors", "summary",
    "place", "lat", "lon", "timezone", "sources", "relations", "note",
]  # fmt: skip


def _form_order(name: str) -> tuple[int, int, str]:
    group, _, rest = name.partition("-")
    row, _, field = rest.partition("-")
    place = FORM_ORDER.index(group) if group in FORM_ORDER else len(FORM_ORDER)
    return place, int(row) if row.isdigit() else -1, field


def _label(name: str) -> str:
    """How the error summary names a field: 'Title', 'Actor 2: new actor's name'."""
    parts = name.split("-", 2)
    if len(parts) == 3 and parts[1].isdigit():
        group = {"actors": "Actor", "sources": "Source", "relations": "Related event"}[parts[0]]
        row = f"{group} {int(parts[1]) + 1}"
        if parts[2] in ("actor", "source", "event"):
            return row
        return f"{row}, {ROW_FIELDS.get(parts[2], parts[2])}"
    return FIELD_NAMES.get(name, name.replace("_", " ").capitalize())


def _added_row(form: desk.EventForm, action: str) -> tuple[desk.EventForm, str | None]:
    """The form with one more blank row, for 'Add another …' without JavaScript."""
    group = {"add-actor": "actors", "add-source": "sources", "add-relation": "relations"}[action]
    rows = getattr(form, group)
    if len(rows) >= ROW_LIMIT:
        return form, None
    field = {"actors": "actor", "sources": "source", "relations": "event"}[group]
    grown = replace(form, **{group: [*rows, desk.ROW_TYPES[group]()]})
    return grown, f"{group}-{len(rows)}-{field}"


def _source_event(session: Session, value: str | None) -> Event | None:
    event_id = desk.event_ref(value or "")
    event = session.get(Event, event_id) if event_id is not None else None
    return event if event is not None and event.deleted_at is None else None


@router.get("/desk/events/new", response_class=HTMLResponse)
def new_event(
    request: Request,
    session: SessionDep,
    editor: Editor,
    follow_up: str | None = None,
    duplicate: str | None = None,
) -> Response:
    """A blank event form, or one prefilled as a follow-up to an event or a copy of one."""
    zone = _zone(request)
    form, prefill = desk.EventForm(), None
    if follow_up or duplicate:
        original = _source_event(session, follow_up or duplicate)
        if original is None:
            prefill = f"There is no event {follow_up or duplicate} to start from: a blank form."
        elif follow_up:
            form = desk.follow_up_form(session, original, zone)
            prefill = (
                f"A follow-up to “{original.title}”: its actors, type and place are filled in, "
                "and it is linked as following it. Give the new date and title."
            )
        else:
            form = desk.duplicate_form(session, original, zone)
            prefill = (
                f"A copy of “{original.title}”, every field included, its title, date and time "
                "too: change what differs before saving. It is saved as a new event."
            )
    blank_actors = 1 if form.actors else 2
    return _form_page(request, session, form.padded(actors=blank_actors), prefill=prefill)


@router.post("/desk/events", response_class=HTMLResponse)
def create_event(request: Request, editor: Editor, fields: FormFields) -> Response:
    """Save a new event, published or as a draft; with errors, the form again, all kept."""
    form = desk.form_from_fields(fields)
    action = fields.get("action", "draft")
    if action.startswith("add-") and action in ("add-actor", "add-source", "add-relation"):
        form, focus = _added_row(form, action)
        with request.app.state.sessions() as session:
            return _form_page(request, session, form, focus=focus)
    publish = action == "publish"
    try:
        with write_session(request.app.state.engine) as session:
            event = desk.save_new(session, form, _zone(request), editor.user_id, publish=publish)
            event_id, path = event.id, event_path(event)
    except EditError as error:
        with request.app.state.sessions() as session:
            return _form_page(request, session, form, errors=error.errors, status_code=400)
    if publish:
        return RedirectResponse(f"{path}?done=published", status_code=303)
    return RedirectResponse(f"/desk/events/{event_id}/edit?done=draft", status_code=303)


def _event_for_desk(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise HTTPException(404, f"There is no event {event_id}.")
    return event


@router.get("/desk/events/{event_id:int}/edit", response_class=HTMLResponse)
def edit_event(request: Request, event_id: int, session: SessionDep, editor: Editor) -> Response:
    """The event form filled with the event as stored, and the version it is based on."""
    event = _event_for_desk(session, event_id)
    data = editing.event_input(event, _zone(request))
    form = desk.form_from_input(session, data)
    form = replace(form, version=str(event.version)).padded()
    notice = FORM_NOTICES.get(request.query_params.get("done", ""))
    return _form_page(request, session, form, event=event, notice=notice)


@router.post("/desk/events/{event_id:int}/edit", response_class=HTMLResponse)
def save_event(request: Request, event_id: int, editor: Editor, fields: FormFields) -> Response:
    """Save the form over the event, unless it changed since the editor opened it (409)."""
    form = desk.form_from_fields(fields)
    action = fields.get("action", "save")
    zone = _zone(request)
    if action in ("add-actor", "add-source", "add-relation"):
        form, focus = _added_row(form, action)
        with request.app.state.sessions() as session:
            event = _event_for_desk(session, event_id)
            return _form_page(request, session, form, event=event, focus=focus)
    try:
        with write_session(request.app.state.engine) as session:
            event = editing.load_event(session, event_id)
            if event is None:
                raise HTTPException(404, f"There is no event {event_id}.")
            changed = desk.save_edit(
                session, event, form, zone, editor.user_id, publish=action == "publish"
            )
            published, path = event.published, event_path(event)
    except EditError as error:
        with request.app.state.sessions() as session:
            event = _event_for_desk(session, event_id)
            return _form_page(
                request, session, form, event=event, errors=error.errors, status_code=400
            )
    except Conflict as conflict:
        with request.app.state.sessions() as session:
            event = _event_for_desk(session, event_id)
            view = desk.conflict_view(session, event, form, conflict, zone)
            # Their form now holds the stored version: saving it again is a deliberate overwrite.
            form = replace(form, version=str(conflict.current))
            return _form_page(request, session, form, event=event, conflict=view, status_code=409)
    done = "published" if action == "publish" else "saved" if changed else "unchanged"
    if published:
        return RedirectResponse(f"{path}?done={done}", status_code=303)
    return RedirectResponse(f"/desk/events/{event_id}/edit?done={done}", status_code=303)


def _change(
    request: Request, event_id: int, editor: Editor, fields: dict[str, str], operation: Any
) -> str:
    """Publish, unpublish, delete or restore an event; its path afterwards."""
    with write_session(request.app.state.engine) as session:
        event = editing.load_event(session, event_id)
        if event is None:
            raise HTTPException(404, f"There is no event {event_id}.")
        operation(session, event, _zone(request), editor.user_id, fields.get("note", "").strip())
        return event_path(event)


def _next(fields: dict[str, str], default: str) -> RedirectResponse:
    target = safe_next(fields.get("next")) if fields.get("next") else default
    return RedirectResponse(target, status_code=303)


@router.post("/desk/events/{event_id:int}/publish")
def publish_event(request: Request, event_id: int, editor: Editor, fields: FormFields) -> Response:
    """Put a draft before readers."""
    path = _change(request, event_id, editor, fields, editing.publish_event)
    return _next(fields, f"{path}?done=published")


@router.post("/desk/events/{event_id:int}/unpublish")
def unpublish_event(
    request: Request, event_id: int, editor: Editor, fields: FormFields
) -> Response:
    """Take a published event back to the drafts."""
    _change(request, event_id, editor, fields, editing.unpublish_event)
    return _next(fields, f"/desk/events/{event_id}/edit?done=unpublished")


@router.post("/desk/events/{event_id:int}/delete")
def delete_event(request: Request, event_id: int, editor: Editor, fields: FormFields) -> Response:
    """Move an event to the trash: its public URL answers 410 until it is restored."""
    _change(request, event_id, editor, fields, editing.delete_event)
    return _next(fields, f"/desk?done=deleted&event={event_id}")


@router.post("/desk/events/{event_id:int}/restore")
def restore_event(request: Request, event_id: int, editor: Editor, fields: FormFields) -> Response:
    """Take an event out of the trash, published again if it was."""
    _change(request, event_id, editor, fields, editing.restore_event)
    return _next(fields, f"/desk?done=restored&event={event_id}")


@router.get("/desk/events/rows/{group}", response_class=HTMLResponse)
def form_row(
    request: Request, group: str, session: SessionDep, editor: Editor, index: int = 0
) -> Response:
    """One blank row of the event form (an actor, a source, a related event), for htmx's
    'Add another …'; the button comes along to count the next one."""
    if group not in desk.ROW_TYPES or not 0 <= index < ROW_LIMIT:
        raise HTTPException(404, "There is no such row.")
    context = {
        "group": group,
        "index": index,
        "row": desk.ROW_TYPES[group](),
        "errors": {},
        "related_titles": {},
        "source_options": desk.source_options(session) if group == "sources" else [],
        "vocabulary": _vocabulary(request),
        "focus": f"{group}-{index}-" + {"actors": "actor", "sources": "source"}.get(group, "event"),
        "limit": ROW_LIMIT,
    }
    return render(request, "_event_form_row.html", context)


@router.get("/desk/actor-suggestions", response_class=HTMLResponse)
def actor_suggestions(request: Request, session: SessionDep, editor: Editor) -> Response:
    """Datalist options for an actor field: actors whose name, alias or slug match what was
    typed (htmx sends the field under its own name, actors-<n>-actor)."""
    typed = request.query_params.get("q", "")
    for key, value in request.query_params.items():
        if key.startswith("actors-") and key.endswith("-actor"):
            typed = value
    options = desk.actor_suggestions(session, _zone(request), typed)
    return render(request, "_actor_options.html", {"options": options})
