"""Every view as an Atom feed (/events.atom) and as a calendar (/events.ics), read back with
feedparser and icalendar, and the links that let readers and their software find them."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import feedparser
import pytest
from icalendar import Calendar

from app import editing, feeds
from app.db import write_session
from app.editing import EventInput
from tests.html import soup, text_of

BASE = "http://testserver"
DRILL = "Russia and Belarus begin their largest joint drills in years"  # 10–20 Feb 2022
CALL = "Biden and Putin speak by phone"  # 12 Feb 2022, day precision


def atom(client, query: str = "") -> Any:
    response = client.get(f"/events.atom{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def calendar(client, query: str = "") -> dict[str, Any]:
    """The VEVENTs of a calendar by title."""
    response = client.get(f"/events.ics{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert not response.headers["content-disposition"].startswith("attachment")
    parsed = Calendar.from_ical(response.content)
    events = parsed.walk("VEVENT")
    by_title = {str(event["SUMMARY"]): event for event in events}
    assert len(by_title) == len(events)
    return by_title


def listed(client, query: str = "") -> list[dict[str, Any]]:
    """The events the same view lists as JSON (one page)."""
    return client.get(f"/events.json{query}").json()["events"]


def edit(engine, settings, event_id: int, *, correction: bool = False, **changes: Any) -> None:
    """Save changed fields over an event, as an editor's form would."""
    with write_session(engine) as session:
        record = editing.load_event(session, event_id)
        data = editing.event_input(record, settings.zone).model_dump()
        data = editing.parse(EventInput, {**data, **changes})
        assert editing.update_event(
            session, record, data, settings.zone, None, expected_version=None, correction=correction
        )


def id_of(client, title: str) -> int:
    (found,) = [
        e["id"] for e in listed(client, f"?q={title.replace(' ', '+')}") if e["title"] == title
    ]
    return found


# Atom


def test_a_views_feed_is_named_and_linked_as_the_view(client, sample):
    feed = atom(client, "?actor=france&type=call")

    assert feed.version == "atom10"
    assert feed.feed.title == "Calls involving France — Brink test"
    assert feed.feed.id == f"{BASE}/?actor=france&type=call"
    links = {link.rel: link for link in feed.feed.links}
    assert links["self"].href == f"{BASE}/events.atom?actor=france&type=call"
    assert links["self"].type == "application/atom+xml"
    assert links["alternate"].href == f"{BASE}/?actor=france&type=call"
    assert links["alternate"].type == "text/html"
    expected = listed(client, "?actor=france&type=call")
    assert len(expected) == 3
    assert {entry.title for entry in feed.entries} == {event["title"] for event in expected}
    assert feed.feed.updated_parsed == max(entry.updated_parsed for entry in feed.entries)


def test_every_entry_is_an_event_with_its_permalink_dates_and_facts(client, sample):
    feed = atom(client, "?actor=france&type=call")
    events = {event["title"]: event for event in listed(client, "?actor=france&type=call")}

    for entry in feed.entries:
        event = events[entry.title]
        assert entry.id == f"{BASE}/events/{event['id']}"  # never changes, whatever the title
        assert entry.link == event["url"]
        assert (
            client.get(entry.id.removeprefix(BASE))
            .headers["location"]
            .endswith(event["url"].removeprefix(BASE))
        )
        published = datetime.fromisoformat(event["published_at"])
        assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == published.replace(microsecond=0)
        assert [tag.term for tag in entry.tags] == ["call"]
        assert [tag.label for tag in entry.tags] == ["Call"]
        content = soup(entry.content[0].value)
        assert entry.content[0].type == "text/html"
        facts = text_of(content)
        assert event["summary"].strip()[:40] in facts
        assert f"When: {event['when']}" in facts
        assert "Type: Call · Status: Occurred · Verification: Confirmed" in facts
        actors = {a["href"]: text_of(a) for a in content.select("a")}
        for actor in event["actors"]:
            assert actors[actor["url"]] == actor["name"]
            assert f"{actor['name']} ({actor['role']})" in facts


def test_entries_follow_publication_not_the_dates_of_the_events(client, make_event):
    published = datetime(2022, 2, 20, 12, tzinfo=UTC)
    # The oldest event was published last: a feed says what is new on the timeline.
    for n in range(3):
        make_event(
            title=f"Event {n}",
            start_at=datetime(2022, 2, 10 + n, tzinfo=UTC),
            published_at=published - timedelta(hours=n),
        )

    feed = atom(client)

    assert [entry.title for entry in feed.entries] == ["Event 0", "Event 1", "Event 2"]
    assert feed.feed.title == "All events — Brink test"
    assert feed.feed.id == f"{BASE}/"


def test_a_feed_holds_the_fifty_published_last(client, make_event):
    start = datetime(2022, 2, 1, tzinfo=UTC)
    for n in range(55):
        make_event(title=f"Event {n}", published_at=start + timedelta(minutes=n))

    feed = atom(client, "?order=oldest")  # a feed has one order: publication

    assert len(feed.entries) == 50
    assert feed.entries[0].title == "Event 54"
    assert feed.entries[-1].title == "Event 5"


def test_an_edit_updates_its_entry_and_a_correction_is_noted(client, engine, settings, make_event):
    long_ago = datetime(2022, 2, 12, 12, tzinfo=UTC)  # when made; an edit is later
    event_id = make_event(
        title="Talks in Geneva", start_at=datetime(2022, 2, 11, tzinfo=UTC), updated_at=long_ago
    )
    make_event(title="Another event")
    before = {entry.title: entry for entry in atom(client).entries}["Talks in Geneva"]

    edit(
        engine, settings, event_id, title="Talks in Geneva end", start="2022-02-12", correction=True
    )

    entries = {entry.title: entry for entry in atom(client).entries}
    after = entries["Talks in Geneva end"]
    assert after.id == before.id == f"{BASE}/events/{event_id}"
    assert after.link == f"{BASE}/events/{event_id}/talks-in-geneva-end"
    assert after.published_parsed == before.published_parsed
    assert after.updated_parsed > before.updated_parsed
    notes = [text_of(item) for item in soup(after.content[0].value).select("li")]
    assert len(notes) == 1
    assert notes[0].startswith("Corrected ")
    assert "date corrected from 11 Feb 2022 to 12 Feb 2022" in notes[0]
    assert not soup(entries["Another event"].content[0].value).select("li")


def test_a_change_of_status_is_noted_as_an_update(client, engine, settings, make_event):
    event_id = make_event(title="Visit to Kyiv", status="scheduled")

    edit(engine, settings, event_id, status="postponed")

    (entry,) = atom(client).entries
    (note,) = [text_of(item) for item in soup(entry.content[0].value).select("li")]
    assert note.startswith("Updated ")
    assert "Status changed from scheduled to postponed" in note


def test_filters_give_exactly_the_events_of_the_view(client, sample):
    for query in ["?actor=france&type=call", "?actor=russia&status=scheduled", "?q=drills"]:
        expected = {event["url"] for event in listed(client, query)}
        assert expected, query
        assert {entry.link for entry in atom(client, query).entries} == expected, query
        uids = {str(e["UID"]) for e in calendar(client, query).values()}
        ids = {int(url.split("/")[4]) for url in expected}
        assert uids == {f"event-{n}@testserver" for n in ids}, query


def test_drafts_and_trashed_events_are_in_no_feed_or_calendar(client, engine, settings, make_event):
    make_event(title="Published")
    make_event(title="A draft", published=False, published_at=None)
    trashed = make_event(title="Trashed")
    with write_session(engine) as session:
        editing.delete_event(session, editing.load_event(session, trashed), settings.zone, None)

    assert [entry.title for entry in atom(client).entries] == ["Published"]
    assert list(calendar(client)) == ["Published"]


def test_a_view_without_events_is_still_a_valid_feed(client, make_event):
    make_event(title="Something")

    feed = atom(client, "?type=drill")

    assert feed.entries == []
    assert feed.feed.title == "Drills — Brink test"
    assert feed.feed.updated_parsed


@pytest.mark.parametrize("path", ["/events.atom", "/events.ics"])
def test_a_parameter_the_page_would_drop_is_a_400(client, sample, path):
    response = client.get(f"{path}?actor=atlantis&type=call&from=yesterday")

    assert response.status_code == 400
    assert response.json()["notices"] == [
        "'yesterday' is not a date (YYYY-MM-DD); the start date was left out.",
        "There is no actor 'atlantis'; it was left out.",
    ]


def test_a_feed_costs_the_same_queries_however_many_corrections(
    count_queries, engine, settings, make_event
):
    ids = [make_event(title=f"Event {n}") for n in range(6)]
    few, response = count_queries("/events.atom")
    assert response.status_code == 200
    for event_id in ids:
        edit(engine, settings, event_id, summary="A better summary.", correction=True)

    many, response = count_queries("/events.atom")

    assert response.status_code == 200
    assert response.text.count("Corrected ") == 6
    assert many == few


# iCalendar


def test_a_calendar_names_the_view_and_asks_to_be_refreshed(client, sample):
    response = client.get("/events.ics?actor=france&type=call")
    parsed = Calendar.from_ical(response.content)

    assert str(parsed["X-WR-CALNAME"]) == "Calls involving France — Brink test"
    assert str(parsed["PRODID"]) and str(parsed["VERSION"]) == "2.0"
    assert parsed["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert "brink-test-calls-involving-france.ics" in response.headers["content-disposition"]
    assert len(parsed.walk("VEVENT")) == 3


def test_a_big_view_gives_its_latest_events_and_says_so(client, make_event, monkeypatch):
    monkeypatch.setattr(feeds, "CALENDAR_EVENTS", 3)
    for day in range(1, 6):
        make_event(title=f"Day {day}", start_at=datetime(2022, 2, day, tzinfo=UTC))

    parsed = Calendar.from_ical(client.get("/events.ics?order=oldest").content)

    assert sorted(str(item["SUMMARY"]) for item in parsed.walk("VEVENT")) == [
        "Day 3",
        "Day 4",
        "Day 5",
    ]
    assert str(parsed["X-WR-CALDESC"]).startswith("The latest 3 of the 5 events of this view")
    small = Calendar.from_ical(client.get("/events.ics?type=statement&from=2022-02-04").content)
    assert str(small["X-WR-CALDESC"]) == (
        f"Statements since 4 Feb 2022 — Brink test: {BASE}/?type=statement&from=2022-02-04"
    )


def test_a_day_is_an_all_day_event_and_a_range_spans_its_days(client, sample):
    events = calendar(client)

    call = events[CALL]
    assert type(call["DTSTART"].dt) is date
    assert call["DTSTART"].dt == date(2022, 2, 12)
    assert call["DTEND"].dt == date(2022, 2, 13)  # exclusive: the one day
    drill = events[DRILL]
    assert (drill["DTSTART"].dt, drill["DTEND"].dt) == (date(2022, 2, 10), date(2022, 2, 21))
    assert str(drill["LOCATION"]) == "Belarus"
    assert len(events) == 50


def test_an_event_carries_its_link_description_place_and_status(client, sample):
    (event,) = [
        e for e in listed(client, "?q=scholz") if e["title"] == "Scholz to visit Putin in Moscow"
    ]

    item = calendar(client)[event["title"]]

    assert str(item["UID"]) == f"event-{event['id']}@testserver"
    assert str(item["URL"]) == event["url"]
    assert str(item["STATUS"]) == "TENTATIVE"
    assert str(item["LOCATION"]) == "Moscow"
    assert (item["GEO"].latitude, item["GEO"].longitude) == (55.7558, 37.6173)
    description = str(item["DESCRIPTION"])
    assert description.startswith(event["when"])
    assert event["url"] in description
    assert "Olaf Scholz (initiator)" in description
    assert "**" not in description and "<" not in description  # plain text, not Markdown


def test_times_are_utc_and_never_invented(client, make_event):
    make_event(title="A call at 18:04", start_at=datetime(2022, 2, 12, 16, 4, tzinfo=UTC),
               start_precision="minute")  # fmt: skip
    make_event(title="Talks in the afternoon hour", start_at=datetime(2022, 2, 12, 13, tzinfo=UTC),
               start_precision="hour")  # fmt: skip
    make_event(title="A two-hour meeting", start_at=datetime(2022, 2, 13, 9, tzinfo=UTC),
               start_precision="minute", end_at=datetime(2022, 2, 13, 11, tzinfo=UTC),
               end_precision="minute")  # fmt: skip

    events = calendar(client)

    call = events["A call at 18:04"]
    assert call["DTSTART"].dt == datetime(2022, 2, 12, 16, 4, tzinfo=UTC)
    assert call["DTSTART"].to_ical() == b"20220212T160400Z"
    assert "DTEND" not in call and "DURATION" not in call  # no invented duration
    hour = events["Talks in the afternoon hour"]
    assert (hour["DTSTART"].dt, hour["DTEND"].dt) == (
        datetime(2022, 2, 12, 13, tzinfo=UTC),
        datetime(2022, 2, 12, 14, tzinfo=UTC),
    )
    meeting = events["A two-hour meeting"]
    assert meeting["DTEND"].dt == datetime(2022, 2, 13, 11, tzinfo=UTC)


def test_coarse_dates_cover_the_period_they_stand_for(client, make_event, settings):
    def local(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=settings.zone).astimezone(UTC)

    make_event(title="Late December", start_at=local(date(2021, 12, 30)),
               start_precision="month", start_approximate=True)  # fmt: skip
    make_event(title="In January", start_at=local(date(2022, 1, 1)), start_precision="month")
    make_event(title="Week of 7 Feb", start_at=local(date(2022, 2, 7)), start_precision="week")

    events = calendar(client)

    def days(title: str) -> tuple[date, date]:
        return events[title]["DTSTART"].dt, events[title]["DTEND"].dt

    assert days("Late December") == (date(2021, 12, 21), date(2022, 1, 1))
    assert days("In January") == (date(2022, 1, 1), date(2022, 2, 1))
    assert days("Week of 7 Feb") == (date(2022, 2, 7), date(2022, 2, 14))


def test_statuses_map_to_calendar_statuses(client, make_event):
    for status in ["occurred", "scheduled", "postponed", "cancelled"]:
        make_event(title=f"A {status} visit", status=status)

    events = calendar(client)

    assert {title: str(event["STATUS"]) for title, event in events.items()} == {
        "A occurred visit": "CONFIRMED",
        "A scheduled visit": "TENTATIVE",
        "A postponed visit": "TENTATIVE",
        "A cancelled visit": "CANCELLED",
    }


def test_uids_stay_and_sequence_rises_with_each_edit(client, engine, settings, make_event):
    event_id = make_event(title="Summit planned", updated_at=datetime(2022, 2, 12, tzinfo=UTC))
    other = make_event(title="Another event")
    first = calendar(client)
    assert calendar(client) == first  # the same calendar, request after request

    edit(engine, settings, event_id, title="Summit cancelled", status="cancelled")
    edit(engine, settings, event_id, summary="Both sides say it is off.")

    events = calendar(client)
    assert str(events["Summit cancelled"]["UID"]) == str(first["Summit planned"]["UID"])
    assert str(events["Summit cancelled"]["UID"]) == f"event-{event_id}@testserver"
    assert first["Summit planned"]["SEQUENCE"] == 0
    assert events["Summit cancelled"]["SEQUENCE"] == 2
    assert str(events["Summit cancelled"]["STATUS"]) == "CANCELLED"
    assert events["Summit cancelled"]["LAST-MODIFIED"].dt > first["Summit planned"]["DTSTAMP"].dt
    assert events["Another event"] == first["Another event"]
    assert str(events["Another event"]["UID"]) == f"event-{other}@testserver"


# Finding them


def alternates(html: str, kind: str) -> list[str]:
    return [link["href"] for link in soup(html).select(f'link[rel="alternate"][type="{kind}"]')]


def test_pages_announce_the_feed_and_calendar_of_what_they_show(client, sample):
    event_url = listed(client, "?q=drills")[0]["url"].removeprefix(BASE)
    pages = {
        "/": "",
        "/?actor=france&type=call": "?actor=france&type=call",
        "/actors/france": "?actor=france",
        "/actors/france?type=call": "?actor=france&type=call",
        event_url: "",
        "/actors": "",
        "/login": "",
    }
    for path, query in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert alternates(response.text, "application/atom+xml") == [
            f"{BASE}/events.atom{query}"
        ], path
        if path != "/login":  # a page without sharing metadata names the site's feed alone
            assert alternates(response.text, "text/calendar") == [f"{BASE}/events.ics{query}"]
        for href in alternates(response.text, "application/atom+xml"):
            assert client.get(href.removeprefix(BASE)).status_code == 200


def test_the_share_panel_offers_to_follow_the_view(client, sample):
    for path, query in [("/?type=drill", "?type=drill"), ("/actors/russia", "?actor=russia")]:
        panel = soup(client.get(path).text).select_one("#share-view")
        follow = {text_of(a): a["href"] for a in panel.select(".data-links a")}
        assert follow["Atom feed"] == f"/events.atom{query}", path
        assert follow["Calendar"] == f"/events.ics{query}", path
