"""Every view as an Atom feed and as an iCalendar calendar: two more writers over the timeline's
query (app/queries.py), beside the JSON and CSV of app/serialize.py.

A feed follows publication: its entries are the events that appeared last, whenever they
happened. A calendar follows the events themselves: each at its dates, as precisely as they are
known — a day-precision event is an all-day one, never "00:00".
"""

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from icalendar import Calendar, vDuration
from icalendar import Event as CalendarEvent

from app.filters import EventFilters
from app.history import LogEntry, public_log
from app.models import Event, Precision, Revision, Status
from app.present import EventCard, actor_roles, describe_view, event_card, event_path
from app.queries import View
from app.serialize import Site, csv_filename, when
from app.sharing import shorten
from app.templating import markdown_html, templates

FEED_ENTRIES = 50
# A calendar's events, at most: calendar apps give up on bigger files (this is about 1.5 MB),
# and each event costs the icalendar library about half a millisecond.
CALENDAR_EVENTS = 2_000
REFRESH = timedelta(hours=1)  # how often a subscribed calendar is asked to look again
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CALENDAR_STATUS = {
    Status.OCCURRED: "CONFIRMED",
    Status.SCHEDULED: "TENTATIVE",
    Status.POSTPONED: "TENTATIVE",
    Status.CANCELLED: "CANCELLED",
}
TIMED = (Precision.MINUTE, Precision.HOUR)
ATOM = "application/atom+xml"


def view_title(view: View, site_title: str) -> str:
    """'Calls involving France — Brink': the view's heading, without its count."""
    heading = describe_view(view, 0).rsplit(" · ", 1)[0]
    return f"{heading} — {site_title}"


def _listing(filters: EventFilters) -> EventFilters:
    """The view as a whole, in no particular order: what a feed or a calendar is of."""
    return replace(filters, order="newest", cursor=None, around=None, pinned=None)


def view_url(site: Site, filters: EventFilters, path: str = "/") -> str:
    """The view's canonical address on the timeline, or as the format at `path`."""
    return site.list_url(path, _listing(filters))


# Atom


def correction_lines(log: Sequence[LogEntry]) -> list[str]:
    """'Corrected 13 Feb 2022: Date corrected from 11 Feb 2022 to 12 Feb 2022.'"""
    lines = []
    for entry in log:
        word = "Corrected" if entry.is_correction else "Updated"
        note = f" ({entry.note})" if entry.note else ""
        lines.append(f"{word} {entry.day}: {entry.text}{note}")
    return lines


def _entry_html(site: Site, event: Event, card: EventCard, corrections: list[str]) -> str:
    template = templates.env.get_template("_feed_entry.html")
    return template.render(
        event=card,
        status=event.status.capitalize(),
        verification=event.verification.capitalize(),
        corrections=corrections,
        url=site.url,
    )


def atom_feed(
    site: Site,
    view: View,
    site_title: str,
    events: Sequence[Event],
    logs: dict[int, list[Revision]],
    fallback_updated: datetime | None,
) -> bytes:
    """The feed of a view: `events` latest published first (with types and actors loaded),
    `logs` their public corrections by event id."""
    feed = FeedGenerator()
    feed.id(view_url(site, view.filters))
    feed.title(view_title(view, site_title))
    feed.link(href=view_url(site, view.filters, "/events.atom"), rel="self", type=ATOM)
    feed.link(href=view_url(site, view.filters), rel="alternate", type="text/html")
    feed.author(name=site_title, uri=site.url("/"))
    feed.generator(site_title, uri=site.url("/"))
    feed.language("en")
    updates = []
    for event in events:
        card = event_card(event, site.zone)
        published = event.published_at or event.created_at
        updated = max(event.updated_at, published)  # an edit never predates the publication
        updates.append(updated)
        corrections = correction_lines(public_log(logs.get(event.id, []), site.zone))
        entry = feed.add_entry(order="append")
        # The short permalink: a corrected title changes the slug, never an entry's id.
        entry.id(site.url(f"/events/{event.id}"))
        entry.title(event.title)
        entry.link(href=site.url(card.path), rel="alternate", type="text/html")
        entry.published(published)
        entry.updated(updated)
        entry.summary(shorten(f"{card.when}. {event.summary}", 300))
        entry.content(_entry_html(site, event, card, corrections), type="html")
        entry.category(term=event.type_slug, label=card.type_label)
    feed.updated(max(updates, default=fallback_updated or EPOCH))
    return feed.atom_str(pretty=True)


# iCalendar


def plain_text(markdown: str) -> str:
    """A summary as plain text: Markdown rendered and sanitised, links kept as 'text (url)'."""
    rendered = str(markdown_html(markdown))
    rendered = re.sub(r'<a href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", rendered, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period(at: datetime, precision: str, approximate: bool, zone: ZoneInfo) -> tuple[date, date]:
    """The days an instant known at a day or coarser stands for, the last one exclusive: a
    week, a month (or its early, mid or late part, for an approximate one), a year."""
    day = at.astimezone(zone).date()
    match precision:
        case Precision.WEEK:
            return day, day + timedelta(days=7)
        case Precision.MONTH if approximate:
            # The stored day says which part: 1–10 early, 11–20 mid, 21– late (app/dates.py).
            if day.day <= 10:
                return day.replace(day=1), day.replace(day=11)
            if day.day <= 20:
                return day.replace(day=11), day.replace(day=21)
            return day.replace(day=21), _first_of_next_month(day)
        case Precision.MONTH:
            return day.replace(day=1), _first_of_next_month(day)
        case Precision.YEAR:
            return date(day.year, 1, 1), date(day.year + 1, 1, 1)
        case _:
            return day, day + timedelta(days=1)


def calendar_span(
    event: Event, zone: ZoneInfo
) -> tuple[date, date] | tuple[datetime, datetime | None]:
    """DTSTART and DTEND (exclusive): whole days in the crisis's time zone unless both ends
    are known to the hour or minute, then UTC times — an hour for an hour, and no invented
    duration for a minute (no DTEND)."""
    end_precision = event.end_precision or event.start_precision
    if event.start_precision in TIMED and (event.end_at is None or end_precision in TIMED):
        start = event.start_at.astimezone(UTC)
        if event.end_at is None:
            one_hour = event.start_precision == Precision.HOUR
            return start, (start + timedelta(hours=1) if one_hour else None)
        end = event.end_at.astimezone(UTC)
        if end_precision == Precision.HOUR:
            end += timedelta(hours=1)  # to the end of the hour it is known to
        return start, (end if end > start else None)
    first, after = period(event.start_at, event.start_precision, event.start_approximate, zone)
    if event.end_at is not None:
        _, after = period(event.end_at, end_precision, event.end_approximate, zone)
    return first, max(after, first + timedelta(days=1))


def _description(site: Site, event: Event, dates: str, path: str) -> str:
    people = ", ".join(f"{actor.name} ({actor.role})" for actor in actor_roles(event))
    facts = f"{event.type.label} · {event.status.capitalize()} · {event.verification.capitalize()}"
    parts = [dates, plain_text(event.summary), people, facts, site.url(path)]
    return "\n\n".join(part for part in parts if part)


def calendar_event(site: Site, event: Event, host: str) -> CalendarEvent:
    """One VEVENT: its UID never changes, its SEQUENCE rises with every saved change."""
    path = event_path(event)
    item = CalendarEvent()
    item.add("uid", f"event-{event.id}@{host}")
    # No METHOD: DTSTAMP is when the event was last revised (RFC 5545, 3.8.7.2).
    item.add("dtstamp", event.updated_at)
    item.add("last-modified", event.updated_at)
    item.add("sequence", max(event.version - 1, 0))
    item.add("summary", event.title)
    start, end = calendar_span(event, site.zone)
    item.add("dtstart", start)
    if end is not None:
        item.add("dtend", end)
    item.add("status", CALENDAR_STATUS[Status(event.status)])
    item.add("transp", "TRANSPARENT")  # something to know about, not time taken
    item.add("categories", [event.type.label])
    item.add("description", _description(site, event, when(event, site.zone), path))
    item.add("url", site.url(path))
    if event.place_name:
        item.add("location", event.place_name)
    if event.place_lat is not None and event.place_lon is not None:
        item.add("geo", (event.place_lat, event.place_lon))
    return item


def calendar_view(view: View) -> View:
    """What a calendar lists: the view latest first by date, so that the cap keeps the latest."""
    return replace(view, filters=replace(view.filters, order="newest"))


def calendar_text(
    site: Site, view: View, site_title: str, batches: Iterable[Sequence[Event]], total: int
) -> Iterator[bytes]:
    """The calendar of a view (`calendar_view`) of `total` events, streamed a batch at a time:
    one VEVENT each, for the latest CALENDAR_EVENTS of them."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{site_title}//Brink//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = view_title(view, site_title)
    timeline = view_url(site, view.filters)
    about = f"{name}: {timeline}"
    if total > CALENDAR_EVENTS:
        about = (
            f"The latest {CALENDAR_EVENTS:,} of the {total:,} events of this view, by date: "
            f"narrow it (actors, types, dates) for the others. {about}"
        )
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("description", about)
    calendar.add("x-wr-caldesc", about)
    calendar.add("url", timeline)
    calendar.add("source", view_url(site, view.filters, "/events.ics"), parameters={"VALUE": "URI"})
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    head = calendar.to_ical()
    closing = b"END:VCALENDAR\r\n"
    assert head.endswith(closing)
    yield head.removesuffix(closing)
    host = urlsplit(site.base).hostname or "brink"
    left = CALENDAR_EVENTS
    for batch in batches:
        batch = batch[:left]
        yield b"".join(calendar_event(site, event, host).to_ical() for event in batch)
        left -= len(batch)
        if not left:
            break  # reads no further batch
    yield closing


def calendar_filename(view: View, site_title: str) -> str:
    """'brink-calls-involving-france.ics', named as the CSV is."""
    return csv_filename(view, site_title).removesuffix(".csv") + ".ics"
