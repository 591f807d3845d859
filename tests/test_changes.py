"""Since a moment (?since=): the timeline narrowed to what was published or corrected since, the
"what changed" page at /changes, and the reader's last visit remembered by the browser."""

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.html import event_titles, soup, text_of
from tests.test_as_of import Desk, at, get_html, stamp


@pytest.fixture
def desk(engine: Engine, settings: Any) -> Desk:
    return Desk(engine, settings.zone)


@pytest.fixture
def story(desk: Desk) -> dict[str, int]:
    """From 06:00 to 09:00 on 13 Feb: some events untouched, one corrected, one edited quietly,
    one postponed, one published."""
    ids = {
        "untouched": desk.create(at(6), "Talks planned in Geneva"),
        "quiet": desk.create(at(6), "Navy leaves port", actors=("ukraine",)),
        "postponed": desk.create(at(6), "Summit in Paris", status="scheduled"),
        "corrected": desk.create(at(7), "Russia announces drills"),
    }
    desk.edit(at(8), ids["corrected"], correction=True, title="Russia announces naval drills")
    desk.edit(at(8, 30), ids["quiet"], summary="A typo fixed.")  # not a public correction
    desk.edit(at(8, 45), ids["postponed"], status="postponed")
    ids["new"] = desk.create(at(9), "Ukraine asks for talks", actors=("ukraine",))
    return ids


def marks(html: str) -> dict[str, str]:
    """Event title → its 'New' / 'Corrected' / 'Updated' mark."""
    return {
        text_of(card.select_one(".event-title a")): text_of(card.select_one(".since-mark"))
        for card in soup(html).select(".event-card")
        if card.select_one(".since-mark")
    }


def test_since_lists_the_new_and_the_corrected_events_only(
    client: TestClient, story: dict[str, int]
) -> None:
    html = get_html(client, f"/?since={stamp(at(7, 30))}")
    assert marks(html) == {
        "Ukraine asks for talks": "New",
        "Summit in Paris": "Updated",
        "Russia announces naval drills": "Corrected",
    }
    assert sorted(event_titles(html)) == sorted(marks(html))
    chip = soup(html).select_one(".chips .chip")
    assert text_of(chip).startswith("Published or corrected since 13 Feb 2022, 09:30 EET")
    assert chip["href"] == "/"
    field = soup(html).select_one("input[type=hidden][name=since]")
    assert (field["value"], field["form"]) == ("2022-02-13T07:30Z", "filter-form")

    data = client.get(f"/events.json?since={stamp(at(7, 30))}").json()
    assert {event["id"] for event in data["events"]} == {
        story["new"],
        story["postponed"],
        story["corrected"],
    }
    types = {option["value"]: option["count"] for option in data["facets"]["type"]}
    assert types["statement"] == 3
    rows = client.get(f"/events.csv?since={stamp(at(7, 30))}&actor=ukraine").text.splitlines()
    assert len(rows) == 2 and "Ukraine asks for talks" in rows[1]


def test_since_and_as_of_together_list_what_changed_between_them(
    client: TestClient, story: dict[str, int]
) -> None:
    html = get_html(client, f"/?since={stamp(at(7, 30))}&as_of={stamp(at(8, 30))}")
    assert marks(html) == {"Russia announces naval drills": "Corrected"}


def test_the_changes_page_lists_additions_corrections_and_status_changes(
    client: TestClient, story: dict[str, int]
) -> None:
    html = get_html(client, f"/changes?since={stamp(at(7, 30))}")
    document = soup(html)
    assert text_of(document.select_one("h1")) == "What changed since 13 Feb 2022, 09:30 EET"
    listed = [
        (
            text_of(item.select_one(".change-kind")),
            text_of(item.select_one(".change-title")),
            text_of(item.select_one(".change-text")),
        )
        for item in document.select(".change")
    ]
    assert listed == [
        ("Added", "Ukraine asks for talks", "Statement, 12 Feb 2022."),
        ("Status changed", "Summit in Paris", "Status changed from scheduled to postponed."),
        (
            "Corrected",
            "Russia announces naval drills",
            "Title corrected from Russia announces drills to Russia announces naval drills.",
        ),
    ]
    links = [a["href"] for a in document.select(".change-title a")]
    assert links[0] == f"/events/{story['new']}/ukraine-asks-for-talks"
    assert text_of(document.select_one(".changes-summary")).startswith(
        "1 addition, 1 correction, 1 status change"
    )
    assert document.select_one(".changes-summary a")["href"] == "/?since=2022-02-13T07%3A30Z"

    # The usual filters narrow it.
    ukraine = soup(get_html(client, f"/changes?actor=ukraine&since={stamp(at(7, 30))}"))
    assert [text_of(t) for t in ukraine.select(".change-title")] == ["Ukraine asks for talks"]
    assert "Changes to: Events involving Ukraine" in text_of(ukraine.select_one(".changes-scope"))


def test_the_changes_page_shows_the_last_24_hours_by_default(
    client: TestClient, desk: Desk, story: dict[str, int]
) -> None:
    with_now = desk.create(datetime.now(UTC), "Embassy staff leave Kyiv")
    document = soup(get_html(client, "/changes"))
    assert [text_of(t) for t in document.select(".change-title")] == ["Embassy staff leave Kyiv"]
    assert document.select_one(".change-title a")["href"].startswith(f"/events/{with_now}/")
    current = document.select_one(".changes-presets [aria-current]")
    assert text_of(current) == "Last 24 hours"
    assert document.select_one("#since")["type"] == "datetime-local"

    bad = soup(get_html(client, "/changes?since=last-week"))
    assert "'last-week' is not a date or time" in text_of(bad.select_one(".notice"))
    assert [text_of(t) for t in bad.select(".change-title")] == ["Embassy staff leave Kyiv"]
    nothing = soup(get_html(client, f"/changes?since={stamp(at(12))}&type=drill"))
    assert text_of(nothing.select_one(".empty")).startswith("Nothing was added")


def test_the_timeline_links_to_what_changed(client: TestClient, story: dict[str, int]) -> None:
    document = soup(get_html(client, "/"))
    links = document.select(".whats-new a")
    assert [a["href"] for a in links] == ["/changes", "/changes"]
    assert document.select_one(".whats-new .last-visit").has_attr("hidden")  # brink.js shows it


@pytest.mark.browser
def test_the_browser_offers_what_changed_since_the_last_visit(page: Any) -> None:
    page.goto("/")
    offer = page.locator(".last-visit")
    assert offer.is_hidden()  # a first visit: nothing to offer yet
    # An hour later (the visit before ended): the time of that visit is remembered.
    page.evaluate(
        "localStorage.setItem('brink-visit', JSON.stringify({seen: '2022-02-13T07:12:30.500Z'}))"
    )
    page.reload()
    link = offer.get_by_role("link")
    assert link.is_visible()
    assert link.text_content() == "What changed since your last visit (13 Feb, 09:12)"
    assert link.get_attribute("href") == "/changes?since=2022-02-13T07%3A12%3A30Z"
    page.reload()  # still the same visit: still the same offer
    assert link.text_content() == "What changed since your last visit (13 Feb, 09:12)"
    link.click()
    page.wait_for_url("**/changes?since=*")
    heading = page.get_by_role("heading", level=1).text_content()
    assert heading == "What changed since 13 Feb 2022, 09:12 EET"
    assert page.context.cookies() == []  # remembered without a cookie
