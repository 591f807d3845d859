"""The timeline on 10,000 generated events: what holds on the sample must hold at scale."""

import pytest
from sqlalchemy import event

from app import queries
from app.filters import EventFilters
from tests.html import event_titles, soup
from tests.test_data import csv_rows
from tests.test_filtering import facet_counts, heading, notices, total

VIEWS = [
    "/",
    "/?actor=talonia",
    "/?actor=talonia&only=1&type=call",
    "/?actor=talonia&actor=astland&match=all",
    "/?type=drill&type=deployment&status=scheduled",
    "/?q=ceasefire",
    "/?from=2024-03-01&to=2024-03-31&verification=claimed",
]


def _cards(html: str) -> list[str]:
    return [card["id"] for card in soup(html).select(".event-card")]


def test_facet_counts_agree_with_the_lists_they_lead_to(big_client):
    for url in VIEWS:
        html = big_client.get(url).text
        assert not notices(html), url
        filters = EventFilters.from_query(url.partition("?")[2])
        for type_slug, count in facet_counts(html, "type").items():
            if type_slug not in filters.types:
                assert total(big_client.get(filters.link(types=(type_slug,))).text) == count
        for actor_slug, count in list(facet_counts(html, "actor").items())[:8]:
            if actor_slug in filters.actors:
                continue
            actors = (*filters.actors, actor_slug) if filters.match == "all" else (actor_slug,)
            assert total(big_client.get(filters.link(actors=actors)).text) == count, (
                url,
                actor_slug,
            )


def test_a_view_is_paged_through_without_gaps_or_repeats(big_client):
    for url in ["/?actor=viktor-moroz", "/?actor=viktor-moroz&order=oldest", "/?q=ceasefire"]:
        first = big_client.get(url).text
        expected = total(first)
        seen, html = [], first
        while True:
            seen += _cards(html)
            more = soup(html).select_one("#pager a.load-more")
            if more is None:
                break
            html = big_client.get(more["href"]).text
        assert len(seen) == len(set(seen)) == expected > 100, url


def test_the_actor_panel_shows_a_few_per_kind_and_finds_the_rest(big_client):
    html = big_client.get("/").text

    shown = soup(html).select("#facets input[name=actor]")
    assert len(shown) <= 4 * 6
    assert any("more" in p.get_text() for p in soup(html).select("#filters .more"))
    rare = big_client.get(
        "/?who=coast", headers={"HX-Request": "true", "HX-Target": "actor-suggestions"}
    )
    assert 1 <= len(soup(rare.text).select("input[name=actor]")) <= 10


def test_around_finds_an_event_deep_in_the_crisis(big_client):
    oldest = big_client.get("/?order=oldest").text
    deep = _cards(oldest)[20].removeprefix("event-")

    html = big_client.get(f"/?around={deep}").text

    assert [card["id"] for card in soup(html).select(".is-around")] == [f"event-{deep}"]
    assert soup(html).select_one("#pager a.previous") is not None


@pytest.mark.parametrize(
    "url",
    ["/?actor=talonia", "/?actor=astland&order=oldest", "/?q=talks"],
)
def test_big_views_walk_the_timeline_to_the_same_pages_as_small_ones_are_sorted(
    big_client, monkeypatch, url
):
    """Past WALK_FROM events a page is found by walking the timeline index and testing each
    event; below, by fetching the view's events and sorting them: the same pages either way."""
    first = big_client.get(url).text
    assert total(first) > queries.WALK_FROM  # this view is walked
    deeper = soup(first).select_one("#pager a.load-more")["href"]
    walked = [_cards(first), _cards(big_client.get(deeper).text)]

    monkeypatch.setattr(queries, "WALK_FROM", 10**9)
    # A session cookie (even a stale one) keeps the pages kept in memory out of it.
    fresh = {"Cookie": "brink_session=stale"}
    sorted_pages = [
        _cards(big_client.get(url, headers=fresh).text),
        _cards(big_client.get(deeper, headers=fresh).text),
    ]

    assert walked == sorted_pages
    assert len(walked[0]) == len(walked[1]) == queries.PAGE_SIZE


def test_a_page_costs_the_same_queries_on_ten_thousand_events(big_client, client, make_event):
    make_event(
        title="A ceasefire call",
        type_slug="call",
        actors=[("talonia", "initiator"), ("astland", "counterpart")],
    )

    def cost(test_client, url):
        engine = test_client.app.state.engine
        statements = []

        def record(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", record)
        try:
            response = test_client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    for url in ["/", "/?type=call&q=ceasefire", "/?actor=talonia&actor=astland&match=all"]:
        assert cost(big_client, url) == cost(client, url), url


def test_the_heading_counts_match_the_index_on_every_filter(big_client):
    everything = total(big_client.get("/").text)
    by_status = sum(
        total(big_client.get(f"/?status={status}").text)
        for status in ["occurred", "scheduled", "postponed", "cancelled"]
    )

    assert everything == by_status == 10_000
    assert heading(big_client.get("/?q=ceasefire&order=relevance").text).startswith(
        "Events matching “ceasefire”"
    )
    assert len(event_titles(big_client.get("/").text)) == 50


def test_a_big_actor_exports_every_event_once_as_a_small_one_would(big_client, monkeypatch):
    def exported(url: str, headers: dict[str, str]) -> list[str]:
        response = big_client.get(url, headers=headers)
        assert response.status_code == 200
        return [row["id"] for row in csv_rows(response.text)]

    walked = exported("/events.csv?actor=talonia", {})
    assert len(walked) == len(set(walked)) == total(big_client.get("/?actor=talonia").text)
    assert len(walked) > queries.WALK_FROM

    monkeypatch.setattr(queries, "WALK_FROM", 10**9)
    assert exported("/events.csv?actor=talonia", {"Cookie": "brink_session=stale"}) == walked
