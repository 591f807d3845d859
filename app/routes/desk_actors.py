"""The desk for actors and sources: list them, add, edit and delete them, conflict-safe."""

import unicodedata
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from app import editing, history, queries
from app.db import SessionDep, write_session
from app.editing import ActorInput, Conflict, EditError, SourceInput
from app.models import Actor, ActorKind, Citation, EventActor, Source
from app.present import KIND_LABELS, actor_path
from app.routes.auth import Editor, FormFields
from app.templating import render

router = APIRouter(include_in_schema=False)

ACTOR_FIELDS = ("name", "slug", "kind", "parent", "aliases", "description", "version", "note")
SOURCE_FIELDS = ("publisher", "title", "url", "published", "version")
SOURCES_SHOWN = 500
NOTICES = {
    "added": "Added {name}.",
    "saved": "Saved {name}.",
    "unchanged": "Nothing changed in {name}.",
    "deleted": "Deleted.",
}
# Clearer words than the validator's for the mistakes people make in these forms.
FRIENDLY = {
    "slug": "Use lower-case letters, digits and single hyphens, like vladimir-putin.",
    "kind": "Choose a kind: state, person, organisation or agency.",
    "url": "Give a web address starting with http:// or https://, or leave it empty.",
    "published": "Give the date as YYYY-MM-DD, or leave it empty.",
}


# Reads


def actor_rows(session: Session, text: str) -> list[tuple[Actor, int]]:
    """Actors (those whose name, alias or slug has `text`), each with how many events name it."""
    uses = (
        select(EventActor.actor_id, func.count().label("n"))
        .group_by(EventActor.actor_id)
        .subquery()
    )
    query = (
        select(Actor, func.coalesce(uses.c.n, 0))
        .outerjoin(uses, uses.c.actor_id == Actor.id)
        .options(joinedload(Actor.parent))
        .order_by(Actor.name, Actor.id)
    )
    if text:
        query = query.where(or_(queries._named_like(text), Actor.slug.contains(text.lower())))
    return [(actor, n) for actor, n in session.execute(query)]


def source_rows(session: Session, text: str) -> tuple[list[tuple[Source, int]], int]:
    """Sources (those whose publisher, title or address has `text`), each with how many events
    cite it, the first SOURCES_SHOWN of them; and how many there are in all."""
    cites = (
        select(Citation.source_id, func.count().label("n")).group_by(Citation.source_id).subquery()
    )
    query = select(Source, func.coalesce(cites.c.n, 0)).outerjoin(
        cites, cites.c.source_id == Source.id
    )
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        columns = (Source.publisher, Source.title, Source.url)
        query = query.where(or_(*[func.lower(c).like(pattern + "%", escape="\\") for c in columns]))
    rows = [
        (source, n)
        for source, n in session.execute(
            query.order_by(Source.publisher, Source.title, Source.id).limit(SOURCES_SHOWN + 1)
        )
    ]
    total = len(rows)
    if total > SOURCES_SHOWN:
        counted = select(func.count()).select_from(query.subquery())
        total = session.scalar(counted) or 0
    return rows[:SOURCES_SHOWN], total


def actor_choices(session: Session) -> list[tuple[str, str]]:
    """Every actor's slug and name, for the parent field's suggestions."""
    return [(slug, name) for slug, name in session.execute(select(Actor.slug, Actor.name))]


def actor_uses(session: Session, actor_id: int) -> tuple[int, int]:
    """How many events name an actor, and how many actors belong to it."""
    events = session.scalar(select(func.count()).where(EventActor.actor_id == actor_id)) or 0
    members = session.scalar(select(func.count()).where(Actor.parent_id == actor_id)) or 0
    return events, members


def citing_events(session: Session, source_id: int) -> int:
    return session.scalar(select(func.count()).where(Citation.source_id == source_id)) or 0


# The list


@dataclass(frozen=True)
class KindGroup:
    kind: str
    label: str
    rows: list[tuple[Actor, int]]


@router.get("/desk/actors", response_class=HTMLResponse)
def desk_actors(request: Request, session: SessionDep, _: Editor) -> Response:
    """Every actor by kind and every source, with how much each is used, and links to edit."""
    text = " ".join(request.query_params.get("q", "").split())[:80]
    actors = actor_rows(session, text)
    sources, source_total = source_rows(session, text)
    actors.sort(key=lambda row: _reading_order(row[0].name))
    groups = [
        KindGroup(kind.value, label, [row for row in actors if row[0].kind == kind])
        for kind, label in KIND_LABELS.items()
    ]
    context: dict[str, Any] = {
        "title": "Actors and sources",
        "q": text,
        "groups": [group for group in groups if group.rows],
        "actor_count": len(actors),
        "sources": sources,
        "source_total": source_total,
        "notice": _list_notice(request, actors, sources),
    }
    return render(request, "desk_actors.html", context)


def _reading_order(name: str) -> str:
    """'Élysée' among the Es, whatever the database's collation."""
    letters = unicodedata.normalize("NFKD", name)
    return "".join(c for c in letters if not unicodedata.combining(c)).casefold()


def _list_notice(
    request: Request, actors: list[tuple[Actor, int]], sources: list[tuple[Source, int]]
) -> str | None:
    done = request.query_params.get("done")
    if done not in NOTICES:
        return None
    name = "it"
    actor_id, source_id = request.query_params.get("actor"), request.query_params.get("source")
    if actor_id:
        name = next((a.name for a, _ in actors if str(a.id) == actor_id), "the actor")
    elif source_id:
        found = next((s.title for s, _ in sources if str(s.id) == source_id), None)
        name = f"“{found}”" if found else "the source"
    return NOTICES[done].format(name=name)


def _done(what: str, kind: str, record_id: int | None = None) -> RedirectResponse:
    query = f"done={what}" + (f"&{kind}={record_id}" if record_id is not None else "")
    return RedirectResponse(f"/desk/actors?{query}", status_code=303)


# Forms: what was typed, as input for app.editing


def _typed(fields: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: fields.get(name, "") for name in names}


def _version(form: dict[str, str]) -> int | None:
    value = form.get("version", "").strip()
    return int(value) if value.isdigit() else None


def _friendly(errors: dict[str, str]) -> dict[str, str]:
    """Errors by form field ('aliases.2' → 'aliases'), the validator's in plainer words."""
    shown: dict[str, str] = {}
    for path, message in errors.items():
        name, _, index = path.partition(".")
        if name in FRIENDLY and message.startswith(("String should match", "Input should be")):
            message = FRIENDLY[name]
        elif name == "aliases" and index.isdigit():
            message = f"Alias {int(index) + 1}: {message}"
        shown.setdefault(name if name in (*ACTOR_FIELDS, *SOURCE_FIELDS) else "form", message)
    return shown


def _actor_data(session: Session, form: dict[str, str]) -> dict[str, Any]:
    """The form as ActorInput's fields; the parent may be typed as a slug, a name or an alias."""
    parent: int | str | None = form["parent"].strip() or None
    if isinstance(parent, str):
        found = editing.find_actor(session, parent) or queries.actor_named(session, parent)
        parent = found.id if found else parent
    return {
        "name": form["name"],
        "slug": form["slug"].strip() or None,
        "kind": form["kind"],
        "parent": parent,
        "aliases": [line.strip() for line in form["aliases"].splitlines() if line.strip()],
        "description": form["description"],
    }


def _actor_form(actor: Actor) -> dict[str, str]:
    return {
        "name": actor.name,
        "slug": actor.slug,
        "kind": actor.kind,
        "parent": actor.parent.slug if actor.parent else "",
        "aliases": "\n".join(actor.alias_names),
        "description": actor.description,
        "version": str(actor.version),
        "note": "",
    }


def _source_form(source: Source) -> dict[str, str]:
    return {
        "publisher": source.publisher,
        "title": source.title,
        "url": source.url or "",
        "published": source.published_on.isoformat() if source.published_on else "",
        "version": str(source.version),
    }


def _source_data(form: dict[str, str]) -> dict[str, Any]:
    return {
        "publisher": form["publisher"],
        "title": form["title"],
        "url": form["url"].strip() or None,
        "published": form["published"].strip() or None,
    }


# Actors


def _load_actor(session: Session, actor_id: int) -> Actor:
    actor = editing.load_actor(session, actor_id)
    if actor is None:
        raise HTTPException(404, f"There is no actor {actor_id}.")
    return actor


def _actor_page(
    request: Request,
    session: Session,
    actor: Actor | None,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    conflict: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    uses = actor_uses(session, actor.id) if actor else (0, 0)
    context: dict[str, Any] = {
        "title": f"Edit {actor.name}" if actor else "New actor",
        "actor": actor,
        "action": f"/desk/actors/{actor.id}/edit" if actor else "/desk/actors/new",
        "public_path": actor_path(actor.slug) if actor else None,
        "form": form,
        "errors": errors or {},
        "error": error,
        "conflict": conflict,
        "kinds": [kind.value for kind in ActorKind],
        "choices": [c for c in actor_choices(session) if not actor or c[0] != actor.slug],
        "event_uses": uses[0],
        "member_count": uses[1],
    }
    return render(request, "desk_actor_form.html", context, status_code=status_code)


@router.get("/desk/actors/new", response_class=HTMLResponse)
def new_actor(request: Request, session: SessionDep, _: Editor) -> Response:
    """The form for a new actor."""
    form = dict.fromkeys(ACTOR_FIELDS, "") | {"kind": ActorKind.PERSON.value}
    return _actor_page(request, session, None, form)


@router.post("/desk/actors/new", response_class=HTMLResponse)
def create_actor(request: Request, editor: Editor, fields: FormFields) -> Response:
    """Add an actor; the form again with every problem named, nothing saved, if any."""
    form = _typed(fields, ACTOR_FIELDS)
    try:
        with write_session(request.app.state.engine) as session:
            data = editing.parse(ActorInput, _actor_data(session, form))
            actor = editing.create_actor(session, data, editor.user_id, note=form["note"])
            actor_id = actor.id
    except EditError as problem:
        with request.app.state.sessions() as session:
            errors = _friendly(problem.errors)
            return _actor_page(request, session, None, form, errors=errors, status_code=400)
    return _done("added", "actor", actor_id)


@router.get("/desk/actors/{actor_id:int}/edit", response_class=HTMLResponse)
def edit_actor(request: Request, actor_id: int, session: SessionDep, _: Editor) -> Response:
    """An actor's form, holding the version it shows so a later save can tell what changed."""
    actor = session.get(Actor, actor_id)
    if actor is None:
        raise HTTPException(404, f"There is no actor {actor_id}.")
    return _actor_page(request, session, actor, _actor_form(actor))


@router.post("/desk/actors/{actor_id:int}/edit", response_class=HTMLResponse)
def update_actor(request: Request, actor_id: int, editor: Editor, fields: FormFields) -> Response:
    """Save an actor; a save over a newer version is a 409 showing both, nothing overwritten."""
    form = _typed(fields, ACTOR_FIELDS)
    try:
        with write_session(request.app.state.engine) as session:
            actor = _load_actor(session, actor_id)
            data = editing.parse(ActorInput, _actor_data(session, form))
            changed = editing.update_actor(
                session,
                actor,
                data,
                editor.user_id,
                expected_version=_version(form),
                note=form["note"],
            )
    except Conflict as conflict:
        with request.app.state.sessions() as session:
            return _actor_conflict(request, session, actor_id, form, conflict)
    except EditError as problem:
        with request.app.state.sessions() as session:
            actor = session.get(Actor, actor_id)
            errors = _friendly(problem.errors)
            return _actor_page(request, session, actor, form, errors=errors, status_code=400)
    return _done("saved" if changed else "unchanged", "actor", actor_id)


def _actor_conflict(
    request: Request, session: Session, actor_id: int, form: dict[str, str], conflict: Conflict
) -> HTMLResponse:
    """The form again with the editor's values, now based on the stored version (so saving it
    again is "save mine over it"), and the fields where the two differ side by side."""
    actor = session.get(Actor, actor_id)
    if actor is None:
        raise HTTPException(404, f"There is no actor {actor_id}.")
    zone = request.app.state.settings.zone
    data = editing.parse(ActorInput, _actor_data(session, form))
    mine = data.model_dump(mode="json")
    mine["slug"] = data.slug or editing.slugify(data.name)
    mine["description"] = data.description.strip()
    theirs = editing.actor_input(actor).model_dump(mode="json")
    names = history.load_names(session, [mine, theirs])
    form = {**form, "version": str(actor.version)}
    details = {
        "message": history.conflict_message(conflict, zone),
        "rows": history.differences(theirs, mine, names, zone),
        "history": f"/desk/actors/{actor_id}/history",
    }
    return _actor_page(request, session, actor, form, conflict=details, status_code=409)


@router.post("/desk/actors/{actor_id:int}/delete", response_class=HTMLResponse)
def delete_actor(request: Request, actor_id: int, _: Editor) -> Response:
    """Remove an actor no event names and no actor belongs to; otherwise say why not."""
    try:
        with write_session(request.app.state.engine) as session:
            editing.delete_actor(session, _load_actor(session, actor_id))
    except EditError as problem:
        with request.app.state.sessions() as session:
            actor = session.get(Actor, actor_id)
            if actor is None:
                raise HTTPException(404, f"There is no actor {actor_id}.") from problem
            message = (
                f"Not deleted: {' '.join(problem.errors.values())} "
                "Take it out of those events and give its members another parent first."
            )
            return _actor_page(
                request, session, actor, _actor_form(actor), error=message, status_code=409
            )
    return _done("deleted", "actor")


# Sources


def _source_page(
    request: Request,
    session: Session,
    source: Source | None,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    conflict: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "title": "Edit source" if source else "New source",
        "source": source,
        "action": f"/desk/sources/{source.id}/edit" if source else "/desk/sources/new",
        "form": form,
        "errors": errors or {},
        "error": error,
        "conflict": conflict,
        "cited_by": citing_events(session, source.id) if source else 0,
    }
    return render(request, "desk_source_form.html", context, status_code=status_code)


def _get_source(session: Session, source_id: int, *, lock: bool = False) -> Source:
    query = select(Source).where(Source.id == source_id)
    source = session.scalars(query.with_for_update() if lock else query).first()
    if source is None:
        raise HTTPException(404, f"There is no source {source_id}.")
    return source


@router.get("/desk/sources/new", response_class=HTMLResponse)
def new_source(request: Request, session: SessionDep, _: Editor) -> Response:
    """The form for a new source."""
    return _source_page(request, session, None, dict.fromkeys(SOURCE_FIELDS, ""))


@router.post("/desk/sources/new", response_class=HTMLResponse)
def create_source(request: Request, _: Editor, fields: FormFields) -> Response:
    """Add a source events can cite."""
    form = _typed(fields, SOURCE_FIELDS)
    try:
        data = editing.parse(SourceInput, _source_data(form))
        with write_session(request.app.state.engine) as session:
            source_id = editing.create_source(session, data).id
    except EditError as problem:
        with request.app.state.sessions() as session:
            errors = _friendly(problem.errors)
            return _source_page(request, session, None, form, errors=errors, status_code=400)
    return _done("added", "source", source_id)


@router.get("/desk/sources/{source_id:int}/edit", response_class=HTMLResponse)
def edit_source(request: Request, source_id: int, session: SessionDep, _: Editor) -> Response:
    """A source's form, holding the version it shows."""
    source = _get_source(session, source_id)
    return _source_page(request, session, source, _source_form(source))


@router.post("/desk/sources/{source_id:int}/edit", response_class=HTMLResponse)
def update_source(request: Request, source_id: int, _: Editor, fields: FormFields) -> Response:
    """Save a source; a save over a newer version is a 409, nothing overwritten."""
    form = _typed(fields, SOURCE_FIELDS)
    try:
        data = editing.parse(SourceInput, _source_data(form))
        with write_session(request.app.state.engine) as session:
            source = _get_source(session, source_id, lock=True)
            changed = editing.update_source(session, source, data, expected_version=_version(form))
    except Conflict as conflict:
        with request.app.state.sessions() as session:
            source = _get_source(session, source_id)
            zone = request.app.state.settings.zone
            theirs = editing.source_input(source).model_dump(mode="json")
            details = {
                "message": history.conflict_message(conflict, zone),
                "rows": history.differences(
                    theirs, data.model_dump(mode="json"), history.Names(), zone
                ),
            }
            form = {**form, "version": str(source.version)}
            return _source_page(request, session, source, form, conflict=details, status_code=409)
    except EditError as problem:
        with request.app.state.sessions() as session:
            source = _get_source(session, source_id)
            errors = _friendly(problem.errors)
            return _source_page(request, session, source, form, errors=errors, status_code=400)
    return _done("saved" if changed else "unchanged", "source", source_id)


@router.post("/desk/sources/{source_id:int}/delete", response_class=HTMLResponse)
def delete_source(request: Request, source_id: int, _: Editor) -> Response:
    """Remove a source no event cites; otherwise say why not."""
    try:
        with write_session(request.app.state.engine) as session:
            editing.delete_source(session, _get_source(session, source_id, lock=True))
    except EditError as problem:
        with request.app.state.sessions() as session:
            source = _get_source(session, source_id)
            message = (
                f"Not deleted: {' '.join(problem.errors.values())} Remove those citations first."
            )
            return _source_page(
                request, session, source, _source_form(source), error=message, status_code=409
            )
    return _done("deleted", "source")
