"""An event's canonical page, and the redirects that lead to it."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import changes, editing, history, queries, sharing
from app.accounts import Account
from app.db import SessionDep
from app.filters import EventFilters
from app.models import Event
from app.present import (
    actor_roles,
    event_card,
    event_path,
    link_to,
    related_events,
    source_refs,
)
from app.routes.auth import CurrentUser
from app.templating import absolute_url, render

router = APIRouter(include_in_schema=False)


# What the desk says on the event page after an editor's save (?done=…).
EDITOR_NOTICES = {
    "published": "Published: readers see it now.",
    "saved": "Saved.",
    "unchanged": "Nothing had changed, so nothing was saved.",
}


def _event_or_gone(
    request: Request, session: Session, event_id: int, account: Account | None
) -> Event | Response:
    """The event (drafts too, for editors), or the 410 page of an event in the trash."""
    zone = request.app.state.settings.zone
    try:
        return queries.get_event_or_404(session, event_id, drafts=account is not None, zone=zone)
    except queries.EventGone as gone:
        context = {"title": "Gone", "message": gone.detail, "event_id": gone.event_id}
        return render(request, "event_gone.html", context, status_code=410)


def moment_view(request: Request, session: Session) -> queries.View:
    """The view of `?as_of=` alone: with `past` set when the page shows an earlier state."""
    filters = EventFilters.from_query({"as_of": request.query_params.get("as_of", "")})
    return queries.resolve_view(session, filters, request.app.state.settings.zone)


def event_then(view: queries.View, event_id: int) -> Event:
    """An event as it stood at the view's moment, or a 404 if it was not on the timeline then."""
    assert view.past is not None and view.as_of is not None
    event = view.past.event(event_id)
    if event is None:
        when = changes.moment(view.as_of, view.zone)
        raise HTTPException(404, f"Event {event_id} was not on the timeline on {when}.")
    return event


@router.get("/events/{event_id:int}", response_class=RedirectResponse, status_code=301)
def event_by_id(
    request: Request, event_id: int, session: SessionDep, account: CurrentUser
) -> Response:
    """A short permalink: redirects to the canonical URL with the current slug (or, with
    `as_of`, the slug it had then)."""
    moment = moment_view(request, session)
    if moment.past is not None and moment.filters.as_of is not None:
        then = event_then(moment, event_id)
        return RedirectResponse(changes.at_moment(event_path(then), moment.filters.as_of), 301)
    event = _event_or_gone(request, session, event_id, account)
    if isinstance(event, Response):
        return event
    return RedirectResponse(event_path(event), status_code=301)


@router.get("/events/{event_id:int}/{slug}", response_class=HTMLResponse)
def event_page(
    request: Request, event_id: int, slug: str, session: SessionDep, account: CurrentUser
) -> Response:
    """An event's canonical page; a stale slug redirects to the current one. Editors also see
    drafts, marked as such. With `as_of`, the event as it stood then (its slug then)."""
    # Without ?as_of= there is no view to resolve: the page is the event as it stands.
    moment = moment_view(request, session) if "as_of" in request.query_params else None
    past = moment.past if moment is not None else None
    as_of = moment.filters.as_of if moment is not None else None
    event = (
        event_then(moment, event_id)
        if moment is not None and past is not None
        else _event_or_gone(request, session, event_id, account)
    )
    if isinstance(event, Response):
        return event
    if slug != event.slug:
        path = changes.at_moment(event_path(event), as_of) if as_of else event_path(event)
        return RedirectResponse(path, status_code=301)
    settings = request.app.state.settings
    zone = settings.zone
    card = event_card(event, zone)
    # Every public revision is an edit, so version 1 has none: no query for most events.
    log = editing.corrections(session, event.id) if event.version > 1 else []
    if past is not None and moment is not None and moment.as_of is not None:
        earlier, later = past.neighbours(event.id)
        log = [revision for revision in log if revision.created_at <= moment.as_of]
    else:
        earlier, later = queries.neighbours(session, event)
    corrections = history.public_log(log, zone)
    url = absolute_url(request, card.path)
    embed_src = absolute_url(request, f"/embed/events/{event.id}")
    notice = EDITOR_NOTICES.get(request.query_params.get("done", "")) if account else None
    context: dict[str, Any] = {
        "event": card,
        "draft": not event.published,
        "notice": notice,
        "actors": actor_roles(event),
        "sources": source_refs(event),
        "related": related_events(event, zone),
        "corrections": corrections,
        "correction_mark": history.correction_mark(corrections),
        "earlier": link_to(earlier, "Earlier", zone) if earlier else None,
        "later": link_to(later, "Later", zone) if later else None,
        "url": url,
        "citation": sharing.citation(
            event, card, url, settings.site_title, datetime.now(UTC).astimezone(zone).date()
        ),
        "embed_code": sharing.embed_code(embed_src, event.title, 320),
        "meta": sharing.event_meta(
            event, card, lambda path: absolute_url(request, path), settings.site_title, zone
        ),
        "timeline_href": f"/?around={event.id}",
        "json_href": f"/events/{event.id}.json",
        "time_notices": moment.filters.notices if moment is not None else [],
    }
    if as_of is not None and moment is not None and moment.as_of is not None:
        context.update(_then(context, as_of))
        context["as_of_banner"] = changes.event_banner(moment.as_of, zone, event_path(event))
    return render(request, "event.html", context)


def _then(context: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    """An event page as it stood at a moment: its links keep the moment."""
    earlier, later = context["earlier"], context["later"]
    return {
        "event": changes.card_then(context["event"], as_of),
        "actors": changes.actors_then(context["actors"], as_of),
        "related": [changes.related_then(item, as_of) for item in context["related"]],
        "earlier": changes.related_then(earlier, as_of) if earlier else None,
        "later": changes.related_then(later, as_of) if later else None,
        "timeline_href": changes.at_moment(context["timeline_href"], as_of),
        "json_href": changes.at_moment(context["json_href"], as_of),
    }
