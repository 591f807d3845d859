"""An event's canonical page, and the redirects that lead to it."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import editing, history, queries, sharing
from app.accounts import Account
from app.db import SessionDep
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


@router.get("/events/{event_id:int}", response_class=RedirectResponse, status_code=301)
def event_by_id(
    request: Request, event_id: int, session: SessionDep, account: CurrentUser
) -> Response:
    """A short permalink: redirects to the canonical URL with the current slug."""
    event = _event_or_gone(request, session, event_id, account)
    if isinstance(event, Response):
        return event
    return RedirectResponse(event_path(event), status_code=301)


@router.get("/events/{event_id:int}/{slug}", response_class=HTMLResponse)
def event_page(
    request: Request, event_id: int, slug: str, session: SessionDep, account: CurrentUser
) -> Response:
    """An event's canonical page; a stale slug redirects to the current one. Editors also see
    drafts, marked as such."""
    event = _event_or_gone(request, session, event_id, account)
    if isinstance(event, Response):
        return event
    if slug != event.slug:
        return RedirectResponse(event_path(event), status_code=301)
    settings = request.app.state.settings
    zone = settings.zone
    card = event_card(event, zone)
    earlier, later = queries.neighbours(session, event)
    corrections = history.public_log(editing.corrections(session, event.id), zone)
    url = absolute_url(request, card.path)
    embed_src = absolute_url(request, f"/embed/events/{event.id}")
    notice = EDITOR_NOTICES.get(request.query_params.get("done", "")) if account else None
    context = {
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
    }
    return render(request, "event.html", context)
