"""What a shared link unfurls into: canonical URL, description, preview card, structured data,
the citation and the embed code."""

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from app.dates import short_date
from app.filters import EventFilters
from app.models import Actor, ActorKind, Event, Precision, Status
from app.present import EventCard
from app.previews import event_preview_path, view_preview_path

DESCRIPTION_LENGTH = 200
SCHEMA_STATUS = {
    Status.OCCURRED: "https://schema.org/EventScheduled",  # it happened as scheduled
    Status.SCHEDULED: "https://schema.org/EventScheduled",
    Status.POSTPONED: "https://schema.org/EventPostponed",
    Status.CANCELLED: "https://schema.org/EventCancelled",
}


@dataclass(frozen=True)
class Meta:
    """A page's sharing metadata; every URL absolute."""

    title: str
    description: str
    url: str
    image: str
    image_alt: str
    type: str = "website"
    json_ld: Markup | None = None
    alternates: tuple[tuple[str, str, str], ...] = ()  # (type, title, absolute URL)


def shorten(text: str, length: int = DESCRIPTION_LENGTH) -> str:
    """Plain text of at most `length` characters, cut at a word."""
    text = " ".join(text.replace("*", "").replace("_", " ").split())
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> element: no '<' can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S704 - escaped


def _schema_date(at: datetime, precision: str, zone: ZoneInfo) -> str:
    """As precise as it is known: an instant for a time, a local date for a day, YYYY-MM, YYYY."""
    if precision in (Precision.MINUTE, Precision.HOUR):
        return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    layout = {Precision.DAY: "%Y-%m-%d", Precision.WEEK: "%Y-%m-%d", Precision.MONTH: "%Y-%m"}
    return at.astimezone(zone).strftime(layout.get(precision, "%Y"))


def event_meta(
    event: Event,
    card: EventCard,
    absolute: Callable[[str], str],
    site_title: str,
    zone: ZoneInfo,
) -> Meta:
    url = absolute(card.path)
    description = shorten(f"{card.when}. {event.summary}")
    image = absolute(event_preview_path(event))
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": shorten(event.summary, 500),
        "startDate": _schema_date(event.start_at, event.start_precision, zone),
        "eventStatus": SCHEMA_STATUS[event.status],
        "url": url,
        "image": image,
        "about": [{"@type": "Thing", "name": actor.name} for actor in card.actors],
        "isPartOf": {"@type": "WebSite", "name": site_title, "url": absolute("/")},
    }
    if event.end_at is not None:
        end_precision = event.end_precision or event.start_precision
        data["endDate"] = _schema_date(event.end_at, end_precision, zone)
    if event.place_name:
        place: dict[str, Any] = {"@type": "Place", "name": event.place_name}
        if event.place_lat is not None and event.place_lon is not None:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": event.place_lat,
                "longitude": event.place_lon,
            }
        data["location"] = place
    return Meta(
        title=event.title,
        description=description,
        url=url,
        image=image,
        image_alt=f"{card.type_label}, {card.when}: {event.title}",
        type="article",
        json_ld=json_ld(data),
        alternates=(
            ("application/json", "This event as JSON", absolute(f"/events/{event.id}.json")),
            *site_feeds(absolute, site_title),
        ),
    )


@dataclass(frozen=True)
class ViewShare:
    """A timeline view's link, embed code and data, for its "Share" panel."""

    url: str
    embed_code: str
    json: str
    csv: str
    atom: str
    ics: str


def site_feeds(absolute: Callable[[str], str], site_title: str) -> tuple[tuple[str, str, str], ...]:
    """Autodiscovery of every event's feed and calendar, for pages that are not one view."""
    return (
        ("application/atom+xml", f"{site_title}: all events", absolute("/events.atom")),
        ("text/calendar", f"{site_title}: all events (calendar)", absolute("/events.ics")),
    )


def _unpinned_query(filters: EventFilters) -> str:
    """The view as / would show it: an actor page's view with its actor as a filter."""
    query = replace(filters, pinned=None).view_query
    return f"?{query}" if query else ""


def view_share(filters: EventFilters, heading: str, absolute: Callable[[str], str]) -> ViewShare:
    query = _unpinned_query(filters)
    return ViewShare(
        url=absolute(filters.link()),
        embed_code=embed_code(absolute(f"/embed{query}"), heading, 600),
        json=f"/events.json{query}",
        csv=f"/events.csv{query}",
        atom=f"/events.atom{query}",
        ics=f"/events.ics{query}",
    )


def view_meta(
    filters: EventFilters,
    heading: str,
    events: list[EventCard],
    absolute: Callable[[str], str],
    site_title: str,
) -> Meta:
    """A timeline view: its description says what it shows and what is newest in it."""
    url = absolute(filters.link())
    newest = f" Latest: {events[0].title} ({events[0].when})." if events else ""
    query = _unpinned_query(filters)
    data = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": heading,
        "url": url,
        "isPartOf": {"@type": "WebSite", "name": site_title, "url": absolute("/")},
        "mainEntity": {
            "@type": "ItemList",
            "itemListElement": [
                {"@type": "ListItem", "position": n, "url": absolute(card.path), "name": card.title}
                for n, card in enumerate(events, 1)
            ],
        },
    }
    return Meta(
        title=heading,
        description=shorten(f"{heading} on {site_title}.{newest}"),
        url=url,
        image=absolute(view_preview_path(replace(filters, pinned=None))),
        image_alt=heading,
        json_ld=json_ld(data),
        alternates=(
            ("application/json", "This view as JSON", absolute(f"/events.json{query}")),
            ("text/csv", "This view as CSV", absolute(f"/events.csv{query}")),
            ("application/atom+xml", "This view as a feed", absolute(f"/events.atom{query}")),
            ("text/calendar", "This view as a calendar", absolute(f"/events.ics{query}")),
        ),
    )


def citation(event: Event, card: EventCard, url: str, site_title: str, accessed: date) -> str:
    """A plain-text citation: what, when, where to find it, and when it was read."""
    return f"“{event.title}” ({card.when}). {site_title}. {url} (accessed {short_date(accessed)})."


def embed_code(src: str, title: str, height: int) -> str:
    """Copy-paste HTML for an iframe of an embed page."""
    safe_title = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (
        f'<iframe src="{src}" title="{safe_title}" width="100%" height="{height}" '
        'style="border:1px solid #ccc;border-radius:4px" loading="lazy"></iframe>'
    )


SCHEMA_KINDS = {
    ActorKind.STATE: "Country",
    ActorKind.PERSON: "Person",
    ActorKind.ORGANISATION: "Organization",
    ActorKind.AGENCY: "GovernmentOrganization",
}


def actor_meta(
    actor: Actor, event_count: int, absolute: Callable[[str], str], site_title: str
) -> Meta:
    """An actor's page: who it is, how many events, and its events as data."""
    url = absolute(f"/actors/{actor.slug}")
    events = f"{event_count:,} event{'' if event_count == 1 else 's'}"
    about = f" {actor.description}" if actor.description else ""
    filters = EventFilters(actors=(actor.slug,))
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_KINDS[actor.kind],
        "name": actor.name,
        "url": url,
    }
    if actor.aliases:
        data["alternateName"] = [alias.name for alias in actor.aliases]
    if actor.description:
        data["description"] = shorten(actor.description, 500)
    if actor.parent is not None:
        relation = {ActorKind.PERSON: "affiliation", ActorKind.STATE: "containedInPlace"}
        data[relation.get(ActorKind(actor.kind), "parentOrganization")] = {
            "@type": SCHEMA_KINDS[actor.parent.kind],
            "name": actor.parent.name,
            "url": absolute(f"/actors/{actor.parent.slug}"),
        }
    return Meta(
        title=actor.name,
        description=shorten(f"{actor.name}: {events} on {site_title}.{about}"),
        url=url,
        image=absolute(view_preview_path(filters)),
        image_alt=f"Events involving {actor.name}",
        type="profile" if actor.kind == ActorKind.PERSON else "website",
        json_ld=json_ld(data),
        alternates=(
            ("application/json", f"{actor.name} as JSON", absolute(f"/actors/{actor.slug}.json")),
            (
                "text/csv",
                f"Events involving {actor.name} as CSV",
                absolute(f"/events.csv?actor={actor.slug}"),
            ),
            (
                "application/atom+xml",
                f"Events involving {actor.name}",
                absolute(f"/events.atom?actor={actor.slug}"),
            ),
            (
                "text/calendar",
                f"Events involving {actor.name} (calendar)",
                absolute(f"/events.ics?actor={actor.slug}"),
            ),
        ),  # fmt: skip
    )


def actor_index_meta(
    title: str, summary: str, path: str, absolute: Callable[[str], str], site_title: str
) -> Meta:
    data = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": title,
        "url": absolute(path),
        "isPartOf": {"@type": "WebSite", "name": site_title, "url": absolute("/")},
    }
    return Meta(
        title=title,
        description=shorten(f"{title} in {site_title}: {summary}."),
        url=absolute(path),
        json_ld=json_ld(data),
        image=absolute(view_preview_path(EventFilters())),
        image_alt=f"{site_title}: all events",
        alternates=(
            ("application/json", "Actors as JSON", absolute("/actors.json")),
            *site_feeds(absolute, site_title),
        ),
    )
