"""The actor index at /actors, and each actor's page: who it is, and its timeline."""

from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from app import changes, present, queries, relations, sharing
from app.db import SessionDep
from app.filters import EventFilters
from app.routes.timeline import timeline_response
from app.templating import absolute_url, fragment_target, render


class SlugConvertor(Convertor[str]):
    """A slug and nothing else, so /actors/russia.json is left to the data routes."""

    regex = "[a-z0-9]+(?:-[a-z0-9]+)*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("slug", SlugConvertor())
router = APIRouter()

INDEX_FRAGMENTS = {"actor-index": "_actor_index_update.html"}  # the list, filtered as one types


@router.get("/actors", response_class=HTMLResponse)
def actor_index(request: Request, session: SessionDep) -> Response:
    """Every actor by kind, with its events; `q` keeps those whose name or an alias has it."""
    text = " ".join(request.query_params.get("q", "").split())[:80]
    query = urlencode({"q": text}) if text else ""
    canonical = f"/actors?{query}" if query else "/actors"
    target = fragment_target(request)
    if target is None and urlencode(request.query_params.multi_items()) != query:
        return RedirectResponse(canonical, status_code=303)  # one URL per list, as on /
    zone = request.app.state.settings.zone
    everything = queries.resolve_view(session, EventFilters(), zone)
    rows = queries.actor_index(session, everything, text)
    context = {
        "q": text,
        "groups": present.actor_index_groups(rows, text),
        "summary": present.index_summary(len(rows), text),
        "title": f"Actors matching “{text}”" if text else "Actors",
    }
    site_title = request.app.state.settings.site_title
    context["meta"] = sharing.actor_index_meta(
        context["title"], context["summary"], canonical, partial(absolute_url, request), site_title
    )
    headers = {"HX-Push-Url": canonical} if target == "actor-index" else {}
    return render(request, "actors.html", context, fragments=INDEX_FRAGMENTS, headers=headers)


@router.get("/actors/{slug:slug}", response_class=HTMLResponse)
def actor_page(request: Request, slug: str, session: SessionDep) -> Response:
    """An actor's profile over its own timeline, filtered as / is; a former slug redirects."""
    actor = queries.find_actor_or_404(session, slug)
    if actor.slug != slug:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(present.actor_path(actor.slug) + query, status_code=301)
    zone = request.app.state.settings.zone

    def profile(view: queries.View) -> dict[str, Any]:
        past = view.past  # as it stood at a moment (?as_of=), or None
        found = queries.actor_profile(session, actor.slug, zone, present.COUNTERPARTS, past)
        page = present.actor_page(found, found.types, view.all_types, zone)
        if view.filters.as_of is not None:
            page = changes.profile_then(page, view.filters.as_of)
        # Whom it dealt with, as the page filters its events (app/relations.py).
        context: dict[str, Any] = {"profile": page, "relations": relations.relations(session, view)}
        if view.filters.link() == present.actor_path(actor.slug):  # the actor's page as such
            site_title = request.app.state.settings.site_title
            absolute = partial(absolute_url, request)
            context["meta"] = sharing.actor_meta(actor, page.event_count, absolute, site_title)
        return context

    filters = EventFilters.from_query(request.query_params).pinned_to(actor.slug)
    return timeline_response(request, session, filters, "actor.html", profile)
