"""Swimlanes (/?view=lanes) through HTTP: which lanes, which marks in each, how they are drawn,
the URL of the view and its zoom, and the cost at 10,000 events."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from app.models import Actor
from tests.html import soup

PUTIN_MACRON = "/?actor=vladimir-putin&actor=emmanuel-macron&view=lanes&zoom=day"
EVENT_LINK = re.compile(r"^/events/(\d+)/[a-z0-9-]+$")


def lanes_of(html: str) -> list[dict[str, Any]]:
    """Each lane: its label, count, the event ids of its marks, its aggregates' counts."""
    page = soup(html)
    labels = page.select(".lane-label")
    found = []
    for label, lane in zip(labels, page.select(".lanes-chart g.lane"), strict=True):
        marks = lane.select("a.mark")
        aggregates = lane.select("a.aggregate")
        found.append(
            {
                "name": label.a.get_text(strip=True),
                "count": int(
                    label.select_one(".lane-count").get_text().split()[0].replace(",", "")
                ),
                "ids": [int(EVENT_LINK.match(a["href"]).group(1)) for a in marks],
                "marks": marks,
                "aggregates": [int(a.select_one("text").get_text()) for a in aggregates],
                "aggregate_links": [a["href"] for a in aggregates],
                "element": lane,
            }
        )
    return found


def event_ids(client: TestClient, query: str) -> set[int]:
    ids: set[int] = set()
    url = f"/events.json?{query}"
    while url:
        data = client.get(url).json()
        ids |= {item["id"] for item in data["events"]}
        cursor = data["next_cursor"]
        url = f"/events.json?{query}&cursor={cursor}" if cursor else ""
    return ids


def test_a_lane_per_chosen_actor_holds_exactly_its_events(client: TestClient, sample: None):
    response = client.get(PUTIN_MACRON)
    assert response.status_code == 200
    lanes = lanes_of(response.text)
    assert [lane["name"] for lane in lanes] == ["Vladimir Putin", "Emmanuel Macron"]
    for lane, slug in zip(lanes, ["vladimir-putin", "emmanuel-macron"], strict=True):
        expected = event_ids(client, f"actor={slug}")
        assert not lane["aggregates"]  # the sample is small enough to draw one by one
        assert set(lane["ids"]) == expected
        assert len(lane["ids"]) == lane["count"] == len(expected)


def test_a_state_lane_includes_its_members_and_only_leaves_them_out(
    client: TestClient, sample: None
):
    russia = lanes_of(client.get("/?actor=russia&view=lanes&zoom=month").text)[0]
    putin = event_ids(client, "actor=vladimir-putin")
    assert russia["count"] == len(event_ids(client, "actor=russia"))
    assert putin < event_ids(client, "actor=russia")
    alone = lanes_of(client.get("/?actor=russia&only=1&view=lanes&zoom=month").text)[0]
    assert alone["count"] == len(event_ids(client, "actor=russia&only=1")) < russia["count"]


def test_filters_narrow_every_lane(client: TestClient, sample: None):
    url = "/?actor=vladimir-putin&actor=emmanuel-macron&type=call&view=lanes&zoom=day"
    lanes = lanes_of(client.get(url).text)
    for lane, slug in zip(lanes, ["vladimir-putin", "emmanuel-macron"], strict=True):
        assert set(lane["ids"]) == event_ids(client, f"actor={slug}&type=call")
        assert all("type-call" in mark["class"] for mark in lane["marks"])


def test_marks_show_type_status_ranges_and_imprecise_dates(client: TestClient, sample: None):
    page = soup(client.get("/?actor=russia&actor=belarus&view=lanes&zoom=day").text)
    scheduled = [a for a in page.select("a.mark") if "scheduled" in a.title.get_text()]
    assert scheduled and all("is-ahead" in a["class"] for a in scheduled)
    occurred = [a for a in page.select("a.mark") if "scheduled" not in a.title.get_text()]
    assert all("is-ahead" not in a["class"] for a in occurred)
    for mark in page.select("a.mark"):
        slug = next(c for c in mark["class"] if c.startswith("type-"))[5:]
        assert mark.select_one("use.mark-icon")["href"] == f"/static/icons.svg#{slug}"
    drill = [a for a in page.select("a.mark") if "10–20 Feb 2022" in a.title.get_text()]
    assert drill and all(a.select_one("rect.mark-bar") for a in drill)
    bar = drill[0].select_one("rect.mark-bar")
    assert float(bar["width"]) > 5 * 48  # days, at day zoom (empty ones folded into a gap)
    # Known only to the month ("late December 2021"): a faint period, not a day.
    vague = [a for a in page.select("a.mark") if a.title.get_text().startswith("late December")]
    assert vague and all(a.select_one("rect.mark-period") for a in vague)
    assert all(not a.select_one("rect.mark-period") for a in drill)


def test_a_call_is_joined_across_the_lanes_of_both_sides(client: TestClient, sample: None):
    lanes = lanes_of(client.get(PUTIN_MACRON).text)
    call = soup(client.get(PUTIN_MACRON).text).select("polyline.lanes-link.type-call")
    assert len(call) == 1  # Putin and Macron spoke once in the sample
    points = [tuple(map(float, p.split(","))) for p in call[0]["points"].split()]
    ys = [y for _, y in points]
    putin_y = [float(m.circle["cy"]) for m in lanes[0]["marks"]]
    macron_y = [float(m.circle["cy"]) for m in lanes[1]["marks"]]
    assert ys[0] in putin_y and ys[-1] in macron_y
    shared = set(lanes[0]["ids"]) & set(lanes[1]["ids"])
    assert len(shared) == 1


def test_without_actors_the_most_active_get_lanes_and_the_page_says_so(
    client: TestClient, sample: None
):
    page = soup(client.get("/?view=lanes").text)
    names = [label.a.get_text(strip=True) for label in page.select(".lane-label")]
    assert names[:3] == ["Russia", "United States", "Ukraine"]
    assert len(names) == 12
    note = page.select_one(".lanes-note").get_text(" ", strip=True)
    assert "12 most active actors" in note and "Choose actors" in note
    # The text alternative says the same: each lane's count, by type, and its events.
    text = page.select_one("details.lanes-text")
    assert [h.get_text() for h in text.select("h3")][0] == "Russia: 33 events"
    assert "By type:" in text.get_text()


def test_an_actor_page_puts_its_actor_first(client: TestClient, sample: None):
    response = client.get("/actors/vladimir-putin?view=lanes")
    assert response.status_code == 200
    names = [lane["name"] for lane in lanes_of(response.text)]
    assert names[0] == "Vladimir Putin"
    assert {"Emmanuel Macron", "Joe Biden", "Alexander Lukashenko"} <= set(names)
    assert "Russia" not in names  # its own state shares everything with it


def test_zoom_is_in_the_url_and_the_url_is_canonical(client: TestClient, sample: None):
    assert client.get("/?view=list").headers["location"] == "/"
    assert client.get("/?zoom=day").headers["location"] == "/"  # zoom without lanes
    assert client.get("/?zoom=week&view=lanes").headers["location"] == "/?view=lanes&zoom=week"
    page = soup(client.get("/?view=lanes&zoom=week").text)
    current = page.select(".zoom-switch a[aria-current]")
    assert [a.get_text() for a in current] == ["Week"]
    axis = [t.get_text() for t in page.select("text.axis-label") if t.get_text() != "…"]
    assert "7 Feb" in axis
    page = soup(client.get("/?view=lanes&zoom=month").text)
    assert "Feb" in [t.get_text() for t in page.select("text.axis-label")]


def test_links_keep_the_filters_and_the_lanes(client: TestClient, sample: None):
    page = soup(client.get("/?actor=russia&type=call&view=lanes&zoom=day").text)
    zooms = [a["href"] for a in page.select(".zoom-switch a")]
    assert zooms == [
        f"/?actor=russia&type=call&view=lanes&zoom={zoom}" for zoom in ("day", "week", "month")
    ]
    # The filter form carries the view, so ticking a facet keeps the lanes.
    hidden = {i["name"]: i["value"] for i in page.select("input[type=hidden][form=filter-form]")}
    assert hidden["view"] == "lanes" and hidden["zoom"] == "day"
    response = client.get("/?actor=russia&type=call&type=meeting&view=lanes&zoom=day")
    assert response.status_code == 200 and soup(response.text).select_one(".lanes-chart")
    chips = [a["href"] for a in page.select(".chips a.chip")]
    assert chips and all("view=lanes" in href for href in chips)
    clear = {a["href"] for a in page.select("a.clear-all")}
    assert clear == {"/?view=lanes"}
    switch = {a.get_text(): a["href"] for a in page.select(".view-switch a")}
    assert switch["List"] == "/?actor=russia&type=call"


def test_an_empty_view_says_so(client: TestClient, sample: None):
    page = soup(client.get("/?type=call&from=2022-02-16&view=lanes").text)
    assert "No event matches" in page.select_one(".lanes").get_text()
    assert not page.select(".lanes-chart a")


def test_as_of_shows_the_lanes_as_they_stood(client: TestClient, sample: None):
    response = client.get("/?actor=vladimir-putin&as_of=2030-01-01&view=lanes&zoom=day")
    assert response.status_code == 200
    lane = lanes_of(response.text)[0]
    assert set(lane["ids"]) == event_ids(client, "actor=vladimir-putin")


# At scale


def count_statements(client: TestClient, url: str) -> tuple[int, Any]:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    counted = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SELECT 1"))]
    return len(counted), response


@pytest.mark.parametrize("zoom", ["", "&zoom=day", "&zoom=month"])
def test_at_10k_events_aggregates_and_marks_add_up_to_the_lanes(big_client: TestClient, zoom):
    response = big_client.get(f"/?view=lanes{zoom}")
    assert response.status_code == 200
    lanes = lanes_of(response.text)
    assert len(lanes) == 12
    assert any(lane["aggregates"] for lane in lanes)
    for lane in lanes:
        assert len(lane["ids"]) + sum(lane["aggregates"]) == lane["count"]
        assert len(set(lane["ids"])) == len(lane["ids"])
    top = soup(response.text).select_one(".facet-actors input[name=actor]")
    facet = int(top.find_next("span", class_="count").get_text().split()[0].replace(",", ""))
    assert lanes[0]["count"] == facet


def test_an_aggregate_links_to_the_list_of_its_events(big_client: TestClient):
    lanes = lanes_of(big_client.get("/?view=lanes&zoom=month").text)
    lane = lanes[0]
    href = lane["aggregate_links"][0]
    assert "view=" not in href and re.search(r"from=\d{4}-\d{2}-01&to=\d{4}-\d{2}-\d{2}", href)
    listed = big_client.get(href.replace("/?", "/events.json?", 1)).json()["total"]
    # The list also holds ranges still running then; the box counts those starting in it.
    assert listed >= lane["aggregates"][0]


@pytest.mark.parametrize(
    "url",
    [
        "/?view=lanes",
        "/?view=lanes&zoom=day",
        "/?{three_actors}&view=lanes",
        "/?type=call&view=lanes&zoom=week",
    ],
)
def test_the_lanes_cost_the_same_statements_at_50_events_and_at_10k(
    big_client: TestClient, count_queries: Callable[[str], tuple[int, Any]], sample: None, url
):
    small, response = count_queries(
        url.format(three_actors="actor=vladimir-putin&actor=joe-biden&actor=russia")
    )
    assert response.status_code == 200
    # The generated crisis has none of the sample's actors: three of its own, a parent first.
    engine = big_client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        parent, member = connection.execute(
            select(Actor.parent_id, Actor.id).where(Actor.parent_id.is_not(None)).limit(1)
        ).one()
        slugs = connection.scalars(
            select(Actor.slug).where(Actor.id.in_([parent, member, member + 1])).order_by(Actor.id)
        ).all()
    three_actors = "&".join(f"actor={slug}" for slug in slugs)
    large, response = count_statements(big_client, url.format(three_actors=three_actors))
    assert response.status_code == 200
    assert large == small
