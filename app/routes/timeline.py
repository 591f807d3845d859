"""The timeline at /: the filtered list, its facets, and the fragments htmx swaps. An actor's
page shows the same timeline, pinned to the actor (app/routes/actors.py)."""

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import changes, lanes, live, overview, present, queries, sharing
from app.db import SessionDep
from app.filters import EventFilters
from app.models import Status, Verification
from app.templating import absolute_url, fragment_target, render

router = APIRouter()

FRAGMENTS = {
    "results": "_update.html",  # the list, with heading, chips, facets and count out of band
    "pager": "_page.html",  # "Load more": the next page and a new pager
    "actor-suggestions": "_suggestions.html",  # the actor type-ahead
}


# What a page adds around its timeline (an actor's profile): asked for whole pages only.
PageContext = Callable[[queries.View], dict[str, Any]]


@router.get("/", response_class=HTMLResponse)
def timeline(request: Request, session: SessionDep) -> Response:
    """The timeline, filtered by the query string."""
    return timeline_response(request, session, EventFilters.from_query(request.query_params))


def timeline_response(
    request: Request,
    session: Session,
    filters: EventFilters,
    template: str = "timeline.html",
    page_context: PageContext | None = None,
) -> Response:
    """A view of the timeline: its page, the fragment htmx asked for, or a redirect to its
    canonical URL (at the filters' path: / or the pinned actor's page)."""
    zone = request.app.state.settings.zone
    target = fragment_target(request)
    who = " ".join(request.query_params.get("who", "").split())[:80]

    if target == "actor-suggestions":
        view = queries.resolve_view(session, filters, zone)
        found = queries.find_actors(session, view, who)
        context = {"view": view, "who": who, "suggestions": _options(found, view)}
        return render(request, template, context, fragments=FRAGMENTS)

    # The actor box, submitted (without JavaScript, or Enter pressed in it): a name, an alias or
    # a fragment that means one actor adds it; several candidates are listed to choose from.
    # With JavaScript, text left in the box is not a choice when another control changed.
    if target is not None and request.headers.get("HX-Trigger") != "filter-form":
        who = ""
    suggestions: list[queries.ActorCount] = []
    found = queries.actor_named(session, who) if who else None
    view = queries.resolve_view(session, _adding(filters, found), zone)
    if who and found is None:
        suggestions = queries.find_actors(session, view, who)
        if len(suggestions) == 1:
            view = queries.resolve_view(session, _adding(filters, suggestions[0].actor), zone)
            suggestions = []
        elif not suggestions:
            view = view.with_notice(f"No actor is called “{who}”.")

    if target is None and not view.filters.notices and not suggestions:
        # One URL per view: a form submission with empty fields, or parameters in another
        # order, lands on the canonical URL.
        wanted = view.filters.to_query()
        if urlencode(request.query_params.multi_items()) != wanted:
            return RedirectResponse(
                view.filters.link(cursor=view.filters.cursor, around=view.filters.around),
                status_code=303,
            )

    # Before the page's own queries: the stream reports anything newer (app/live.py).
    live_state = live.page_state(session, view.filters, zone) if target != "pager" else None
    lanes_view = view.filters.view == "lanes" and target != "pager"
    # The facets' counts give the total too; "Load more" shows no facets.
    counts = queries.view_counts(session, view) if target != "pager" else None
    if lanes_view and counts is not None:
        # The lanes draw every event of the view: no page of the list, only its total.
        page = queries.Page([], counts.total, None, None, None)
    else:
        view, page = queries.events_page(session, view, total=counts.total if counts else None)
    context: dict[str, Any] = {
        "view": view,
        "live": live_state,
        "filters": view.filters,
        "page": page,
        "who": who if suggestions else "",
        "suggestions": _options(suggestions, view),
        "days": present.group_by_day(page.events, zone, view.filters.search),
        "appending": target == "pager",
        "trigger": request.headers.get("HX-Trigger"),
        "list_path": view.filters.path,
    }
    context.update(_in_time(session, view, page, context["days"]))
    headers = {}
    if counts is not None:
        context.update(_surroundings(session, view, page, counts))
        context["overview"] = overview.overview(session, view)
    if lanes_view:
        context["lanes"] = lanes.build(session, view, context["actor_ranking"])
    if target != "pager":
        absolute = partial(absolute_url, request)
        context["share"] = sharing.view_share(view.filters, context["heading"], absolute)
    if target is None:
        site_title = request.app.state.settings.site_title
        cards = [card for day in context["days"] for card in day.events]
        context["meta"] = sharing.view_meta(
            view.filters, context["heading"], cards, absolute, site_title
        )
    if target in (None, "results") and page_context is not None:  # the relations swap too
        context.update(page_context(view))
    if target == "results":
        headers["HX-Push-Url"] = view.filters.link(around=view.filters.around)
    return render(request, template, context, fragments=FRAGMENTS, headers=headers)


def _options(rows: list[queries.ActorCount], view: queries.View) -> list[present.Option]:
    return [present.actor_option(row, view.filters.actors) for row in _choosable(rows, view)]


def _choosable(rows: list[queries.ActorCount], view: queries.View) -> list[queries.ActorCount]:
    """On an actor's page, the actor itself is no choice: it is always chosen."""
    return [row for row in rows if row.actor.slug != view.filters.pinned]


def _adding(filters: EventFilters, actor: Any) -> EventFilters:
    if actor is None or actor.slug in filters.actors:
        return filters
    return replace(filters, actors=(*filters.actors, actor.slug), cursor=None, around=None)


def _in_time(
    session: Session, view: queries.View, page: queries.Page, days: list[present.Day]
) -> dict[str, Any]:
    """What `since` and `as_of` add: marks on the events, the banner, the form's hidden fields;
    as it stood at a moment, the events' links keep the moment."""
    added: dict[str, Any] = {
        "since_marks": changes.since_marks(session, view, page.events),
        "as_of_banner": changes.timeline_banner(view),
        "time_inputs": changes.time_inputs(view.filters),
    }
    if view.filters.as_of is not None:
        added["days"] = changes.days_then(days, view.filters.as_of)
        added["live"] = None  # a view of the past does not change
    return added


def _surroundings(
    session: Session, view: queries.View, page: queries.Page, counts: queries.Counts
) -> dict[str, Any]:
    """Everything around the list: heading, chips, facets with their counts."""
    filters = view.filters
    active = present.chips(view)
    since = changes.since_chip(view)
    if since is not None:
        active.append(since)
    heading = present.describe_view(view, page.total)
    pinned = present.pinned_actor(view)
    actor_ranking = queries.actor_counts(session, view)
    return {
        "heading": heading,
        "title": present.page_title(view, heading),
        "chips": active,
        "actor_pages": present.actor_pages(view),
        "ways_out": present.ways_out(view, active) if not page.total else [],
        "type_options": [
            present.Option(t.slug, t.label, counts.types.get(t.slug, 0), t.slug in filters.types)
            for t in view.all_types
        ],
        "status_options": present.vocabulary_options(
            list(Status), counts.statuses, filters.statuses
        ),
        "verification_options": present.vocabulary_options(
            list(Verification), counts.verifications, filters.verifications
        ),
        "actor_legend": f"Together with {pinned.name}" if pinned else "Actors",
        "actor_groups": present.actor_groups(_choosable(actor_ranking, view), filters.actors),
        "actor_ranking": actor_ranking,  # the lanes' choice, with no actor chosen
    }
