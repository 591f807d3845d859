"""The data routes over HTTP: the same views as the timeline as JSON and CSV, one event, actors,
strict errors, CORS, OpenAPI, and a fixed number of queries."""

import csv
import io
import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event as sqlalchemy_event

from app.db import write_session
from app.models import Actor, ActorFormerSlug, EventRelation, Source
from tests.html import card_dates, soup
from tests.test_filtering import facet_counts, heading, notices, total

VIEWS = [
    "",
    "actor=france&type=call",
    "actor=russia",
    "actor=russia&only=1",
    "actor=joe-biden&actor=vladimir-putin&match=all",
    "status=scheduled",
    "verification=claimed",
    "from=2022-02-12&to=2022-02-12",
    "q=zelensky",
    "type=statement&order=oldest",
]
DATA_ROUTES = {
    "/events.json",
    "/events.csv",
    "/events.atom",
    "/events.ics",
    "/events/{event_id}.json",
    "/actors.json",
    "/actors/{slug}.json",
}


def card_ids(html: str) -> list[int]:
    return [int(card["id"].removeprefix("event-")) for card in soup(html).select(".event-card")]


def ids(data: dict) -> list[int]:
    return [event["id"] for event in data["events"]]


def as_grouped_by_day(event_ids: list[int], html: str) -> list[int]:
    """The ids in the order the page shows them: the page gathers events at the same instant
    under their day heading ('12 Feb' and 'around 12 Feb' both start at its midnight)."""
    heading_of = {
        int(card["id"].removeprefix("event-")): section.select_one(".day-heading").get_text()
        for section in soup(html).select("section.day")
        for card in section.select(".event-card")
    }
    first: dict[str, int] = {}
    for position, event_id in enumerate(event_ids):
        first.setdefault(heading_of[event_id], position)
    return sorted(event_ids, key=lambda event_id: first[heading_of[event_id]])


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def json_facets(data: dict, name: str) -> dict[str, int]:
    key = "slug" if name == "actor" else "value"
    return {option[key]: option["count"] for option in data["facets"][name]}


def all_pages(client, url: str) -> list[dict]:
    """Every page of a view, following `next` links."""
    pages = [client.get(url).json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    return pages


# The same view as the timeline


@pytest.mark.parametrize("query", VIEWS)
def test_json_lists_the_timelines_events_totals_and_facet_counts(client, sample, query):
    html = client.get(f"/?{query}").text
    response = client.get(f"/events.json?{query}")

    assert response.status_code == 200
    data = response.json()
    assert as_grouped_by_day(ids(data), html) == card_ids(html)
    assert data["total"] == total(html)
    assert data["description"] == heading(html)
    assert data["view"] == query
    for name in ("type", "status", "verification", "actor"):
        assert json_facets(data, name) == facet_counts(html, name), name


def test_json_opens_around_an_event_like_the_timeline(client, sample):
    oldest = client.get("/events.json?order=oldest").json()
    event_id = ids(oldest)[30]

    data = client.get(f"/events.json?around={event_id}").json()

    html = client.get(f"/?around={event_id}").text
    assert data["around"] == event_id
    assert as_grouped_by_day(ids(data), html) == card_ids(html)
    assert event_id in ids(data)


def test_an_event_reads_as_on_its_card(client, sample):
    data = client.get("/events.json").json()
    shown = card_dates(client.get("/").text)

    for event in data["events"]:
        assert event["when"] == shown[event["title"]]
        assert urlsplit(event["url"]).path == f"/events/{event['id']}/{event['slug']}"
        assert event["start"]["text"] in event["when"] or event["end"] is not None
        assert datetime.fromisoformat(event["start"]["at"]).utcoffset().total_seconds() == 0


def test_a_dated_event_says_its_precision_in_every_field(client, make_event):
    make_event(
        title="Drills announced",
        start_at=datetime(2021, 12, 29, 22, 0, tzinfo=UTC),
        start_precision="month",
        start_approximate=True,
    )
    make_event(
        title="A call",
        start_at=datetime(2022, 2, 12, 16, 4, tzinfo=UTC),
        start_precision="minute",
        end_at=datetime(2022, 2, 12, 17, 6, tzinfo=UTC),
        end_precision="minute",
        place_name="Camp David",
        place_lat=39.648,
        place_lon=-77.465,
    )

    late, call = client.get("/events.json?order=oldest").json()["events"]

    assert late["start"] == {
        "at": "2021-12-29T22:00:00Z",
        "local": "2021-12-30T00:00:00+02:00",
        "precision": "month",
        "approximate": True,
        "text": "late December 2021",
    }
    assert late["end"] is None and late["place"] is None
    assert call["start"]["text"] == "12 Feb 2022, 18:04 EET"
    assert call["end"]["text"] == "12 Feb 2022, 19:06 EET"
    assert call["when"] == "12 Feb 2022, 18:04–19:06 EET"
    assert call["place"] == {"name": "Camp David", "lat": 39.648, "lon": -77.465, "timezone": None}


def test_one_event_has_its_actors_sources_and_related_events_both_ways(client, make_event, engine):
    claim = make_event(
        title="Claim of a plot",
        summary="A *claim*.",
        actors=[("russia", "initiator"), ("ukraine", "subject")],
    )
    denial = make_event(title="Kyiv denies the plot", actors=[("ukraine", "initiator")])
    with write_session(engine) as session:
        session.add(EventRelation(from_event_id=denial, to_event_id=claim, relation="denies"))

    denied = client.get(f"/events/{claim}.json").json()
    denying = client.get(f"/events/{denial}.json").json()

    assert denied["summary"] == "A *claim*."
    assert denied["summary_html"] == "<p>A <em>claim</em>.</p>\n"
    assert [(a["slug"], a["role"]) for a in denied["actors"]] == [
        ("russia", "initiator"),
        ("ukraine", "subject"),
    ]
    assert urlsplit(denied["actors"][0]["url"]).path == "/actors/russia"
    assert denied["sources"] == [
        {"publisher": "Test wire", "title": "A report", "url": None, "published": None,
         "quote": None}
    ]  # fmt: skip
    assert [(r["id"], r["relation"], r["direction"], r["label"]) for r in denied["related"]] == [
        (denial, "denies", "in", "Denied by")
    ]
    assert [(r["id"], r["direction"], r["label"]) for r in denying["related"]] == [
        (claim, "out", "Denies")
    ]
    assert denying == client.get("/events.json").json()["events"][0]


def test_next_and_previous_are_absolute_links_to_the_neighbouring_pages(big_client):
    first = big_client.get("/events.json?actor=viktor-moroz").json()
    second = big_client.get(first["next"]).json()
    back = big_client.get(second["previous"]).json()

    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/events.json?actor=viktor-moroz&cursor=")
    assert ids(back) == ids(first)
    html = big_client.get(f"/?{urlsplit(first['next']).query}").text
    assert as_grouped_by_day(ids(second), html) == card_ids(html)


@pytest.mark.parametrize(
    "query", ["actor=viktor-moroz", "actor=viktor-moroz&order=oldest", "q=ceasefire"]
)
def test_walking_next_links_gives_every_event_of_a_view_once(big_client, query):
    pages = all_pages(big_client, f"/events.json?{query}")

    seen = [event_id for page in pages for event_id in ids(page)]
    assert len(seen) == len(set(seen)) == pages[0]["total"] > 100
    assert all(page["total"] == pages[0]["total"] for page in pages)


# CSV


def test_csv_has_every_event_of_the_view_in_the_jsons_order(big_client):
    pages = all_pages(big_client, "/events.json?actor=viktor-moroz&order=oldest")
    events = [event for page in pages for event in page["events"]]

    response = big_client.get("/events.csv?actor=viktor-moroz&order=oldest")

    assert response.status_code == 200
    rows = csv_rows(response.text)
    assert [int(row["id"]) for row in rows] == [event["id"] for event in events]
    for row, event in zip(rows, events, strict=True):
        assert row["title"] == event["title"]
        assert row["url"] == event["url"]
        assert row["type"] == event["type"]
        assert row["when"] == event["when"]
        assert row["start_at"] == event["start"]["at"]
        assert row["start_text"] == event["start"]["text"]
        assert row["end_at"] == (event["end"]["at"] if event["end"] else "")
        assert row["start_approximate"] == str(event["start"]["approximate"]).lower()
        assert row["actors"] == "; ".join(f"{a['slug']}:{a['role']}" for a in event["actors"])
        assert row["actor_names"] == "; ".join(a["name"] for a in event["actors"])
        assert int(row["source_count"]) == len(event["sources"])
        assert row["updated_at"] == event["updated_at"]


def test_csv_flattens_actors_and_sources_into_documented_columns(client, make_event, engine):
    event_id = make_event(
        title='A "quoted", comma title',
        actors=[("joe-biden", "initiator"), ("vladimir-putin", "counterpart")],
    )
    with write_session(engine) as session:
        source = session.query(Source).filter_by(key="test-source").one()
        source.url = "https://example.org/report"

    response = client.get("/events.csv")

    [row] = csv_rows(response.text)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert row["id"] == str(event_id)
    assert row["title"] == 'A "quoted", comma title'
    assert row["actors"] == "joe-biden:initiator; vladimir-putin:counterpart"
    assert row["actor_names"] == "Joe Biden; Vladimir Putin"
    assert row["source_count"] == "1"
    assert row["sources"] == "Test wire — A report <https://example.org/report>"
    assert row["end_at"] == row["place_name"] == ""


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, make_event):
    make_event(title='=HYPERLINK("http://evil.example","click")', summary="@SUM(1)")

    [row] = csv_rows(client.get("/events.csv").text)

    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["summary"] == "'@SUM(1)"
    assert row["importance"] == "2"


def test_csv_is_an_attachment_named_after_the_view(client, sample):
    response = client.get("/events.csv?actor=france&type=call")

    assert response.headers["content-disposition"] == (
        'attachment; filename="brink-test-calls-involving-france.csv"'
    )
    assert len(csv_rows(response.text)) == 3
    empty = client.get("/events.csv?q=nothingmatchesthis")
    assert empty.status_code == 200
    assert empty.text.splitlines()[0].startswith("id,url,slug,title,")
    assert csv_rows(empty.text) == []


def test_csv_streams_all_ten_thousand_events_in_batches(big_client):
    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    engine = big_client.app.state.engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", record)
    try:
        with big_client.stream("GET", "/events.csv") as response:
            chunks = list(response.iter_text())
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", record)

    assert response.status_code == 200
    assert "content-length" not in response.headers
    rows = csv_rows("".join(chunks))
    assert len(rows) == len({row["id"] for row in rows}) == 10_000
    assert len(chunks) >= 10_000 // 500  # a chunk per batch, not one body built in memory
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 5 + 4 * 21  # a few per batch of 500, whatever the size


# Strict errors


@pytest.mark.parametrize(
    "query",
    [
        "actor=atlantis",
        "type=parade",
        "from=2022-02-30",
        "status=maybe",
        "verification=rumoured",
        "cursor=not-a-cursor",
        "around=abc",
        "around=99999",
        "order=sideways",
        "match=some&actor=russia",
        "from=2022-02-12&to=2022-02-01",
        "actor=Not%20A%20Slug",
    ],
)
def test_a_parameter_the_timeline_would_drop_is_a_400_with_its_notice(client, sample, query):
    shown = notices(client.get(f"/?{query}").text)

    response = client.get(f"/events.json?{query}")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"]
    assert body["notices"] == shown != []


def test_csv_refuses_the_same_parameters(client, sample):
    response = client.get("/events.csv?actor=atlantis&from=2022-13-01")

    assert response.status_code == 400
    assert len(response.json()["notices"]) == 2
    assert "content-disposition" not in response.headers


@pytest.mark.parametrize(
    "url",
    [
        "/events/9999.json",
        "/events/99999999999999999999.json",
        "/actors/atlantis.json",
        "/actors/Russia.json",
    ],
)
def test_unknown_events_and_actors_are_json_404s(client, sample, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response.json()["error"].startswith("There is no")


def test_an_unpublished_event_is_not_data(client, make_event):
    event_id = make_event(title="A draft", published=False)

    assert client.get(f"/events/{event_id}.json").status_code == 404
    assert client.get("/events.json").json()["total"] == 0


def test_a_bad_actor_page_size_is_a_400(client, sample):
    response = client.get("/actors.json?limit=0")

    assert response.status_code == 400
    assert response.json()["notices"]


# Actors


def test_actors_are_found_by_name_or_alias_with_their_event_counts(client, sample):
    found = client.get("/actors.json?q=zelensky").json()["actors"]

    assert [actor["slug"] for actor in found] == ["volodymyr-zelenskiy"]
    zelenskiy = found[0]
    assert "Zelensky" in zelenskiy["aliases"]
    assert zelenskiy["parent"]["slug"] == "ukraine"
    assert (
        zelenskiy["event_count"]
        == client.get("/events.json?actor=volodymyr-zelenskiy").json()["total"]
    )


def test_every_actor_is_listed_once_a_page_at_a_time(client, sample):
    pages = all_pages(client, "/actors.json?limit=7")
    slugs = [actor["slug"] for page in pages for actor in page["actors"]]

    assert len(pages) > 2
    assert slugs == sorted(set(slugs))
    russia = next(a for page in pages for a in page["actors"] if a["slug"] == "russia")
    assert russia["event_count"] == client.get("/events.json?actor=russia").json()["total"]
    with client.app.state.sessions() as session:
        assert len(slugs) == session.query(Actor).count()


def test_an_actor_has_its_family_counts_span_and_counterparts(client, sample):
    data = client.get("/actors/russia.json").json()
    events = client.get("/events.json?actor=russia").json()
    oldest = client.get("/events.json?actor=russia&order=oldest").json()

    assert data["kind"] == "state" and data["parent"] is None
    assert "vladimir-putin" in [member["slug"] for member in data["members"]]
    assert data["event_count"] == events["total"]
    assert data["own_event_count"] == client.get("/events.json?actor=russia&only=1").json()["total"]
    assert data["first_event"]["id"] == ids(oldest)[0]
    assert data["last_event"]["id"] == ids(events)[0]
    assert data["counterparts"]
    counts = [counterpart["count"] for counterpart in data["counterparts"]]
    assert counts == sorted(counts, reverse=True)
    for counterpart in data["counterparts"]:
        assert counterpart["slug"] not in {"russia", "vladimir-putin", "kremlin"}
        dyad = client.get(f"/events.json?{urlsplit(counterpart['timeline_url']).query}").json()
        assert dyad["total"] == counterpart["count"], counterpart["slug"]


def test_a_former_actor_slug_leads_to_the_current_one(client, sample, engine):
    with write_session(engine) as session:
        russia = session.query(Actor).filter_by(slug="russia").one()
        session.add(ActorFormerSlug(slug="russian-federation", actor=russia))

    response = client.get("/actors/russian-federation.json")

    assert response.status_code == 301
    assert response.headers["location"] == "/actors/russia.json"
    assert client.get("/events.json?actor=russian-federation").json()["view"] == "actor=russia"


def test_a_persons_counterparts_leave_out_the_state_it_belongs_to(client, sample):
    data = client.get("/actors/vladimir-putin.json").json()

    assert data["parent"]["slug"] == "russia"
    assert "russia" not in [counterpart["slug"] for counterpart in data["counterparts"]]
    assert "joe-biden" in [counterpart["slug"] for counterpart in data["counterparts"]]


# CORS, OpenAPI


def test_data_routes_may_be_read_from_any_origin_and_pages_may_not(client, sample):
    for url in [
        "/events.json",
        "/events.csv",
        "/events/1.json",
        "/actors.json?q=rus",
        "/actors/russia.json",
        "/events.json?actor=atlantis",
        "/events/9999.json",
    ]:
        assert client.get(url).headers["access-control-allow-origin"] == "*", url
    for url in ["/", "/events/1", "/docs", "/?actor=atlantis"]:
        assert "access-control-allow-origin" not in client.get(url).headers, url


def _schemas_used_by(spec: dict, paths: set[str]) -> set[str]:
    """The names of the schemas some of `paths` refer to, directly or through other schemas."""
    names: set[str] = set()
    todo = [spec["paths"][path] for path in paths]
    while todo:
        for name in re.findall(r'#/components/schemas/([^"]+)"', json.dumps(todo.pop())):
            if name not in names:
                names.add(name)
                todo.append(spec["components"]["schemas"][name])
    return names


def test_openapi_describes_the_data_routes_with_examples(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    # The rest is the write API, under /api (tests/test_api_write.py).
    assert {path for path in spec["paths"] if not path.startswith("/api/")} == DATA_ROUTES
    for path, operations in spec["paths"].items():
        if path.startswith("/api/"):
            continue
        operation = operations["get"]
        assert operation["summary"] and operation["description"], path
        assert "422" not in operation["responses"]
        content = operation["responses"]["200"]["content"]
        if path.endswith(".csv"):
            assert content["text/csv"]["example"].startswith("id,url,")
            continue
        if path.endswith((".atom", ".ics")):  # a feed and a calendar (tests/test_feeds.py)
            (media,) = content.values()
            assert media["example"], path
            continue
        schema = schemas[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
        assert schema["examples"], path
    for name in _schemas_used_by(spec, DATA_ROUTES):
        for field, prop in schemas[name].get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field}"
    parameters = {p["name"]: p for p in spec["paths"]["/events.json"]["get"]["parameters"]}
    assert list(parameters) == [
        "actor", "only", "match", "type", "status", "verification", "q", "from", "to", "order",
        "since", "as_of", "around", "cursor",
    ]  # fmt: skip
    assert all(parameter["description"] for parameter in parameters.values())
    assert schemas["Event"]["properties"]["start"]["$ref"].endswith("/Point")


def test_the_api_docs_load_only_from_this_site(client):
    response = client.get("/docs")

    assert response.status_code == 200
    page = soup(response.text)
    assets = [tag.get("src") or tag.get("href") for tag in page.select("script[src], link[href]")]
    assert assets and all(asset.startswith("/static/") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "http://" not in response.text and "https://" not in response.text
    assert "'/openapi.json'" in response.text


# Cost


def _cost(client, url: str) -> int:
    engine = client.app.state.engine
    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    sqlalchemy_event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (url, response.text[:200])
    return len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))])


def test_data_routes_cost_the_same_queries_on_ten_thousand_events(big_client, client, make_event):
    first = make_event(
        title="A ceasefire call",
        type_slug="call",
        actors=[("talonia", "initiator"), ("astland", "counterpart")],
    )
    with big_client.app.state.sessions() as session:
        busy = session.query(Actor.slug).filter_by(slug="viktor-moroz").scalar()
    assert busy
    make_event(title="Moroz speaks", actors=[("viktor-moroz", "initiator")])

    for url in [
        "/events.json",
        "/events.json?type=call&q=ceasefire",
        "/events.json?actor=talonia&actor=astland&match=all",
        "/actors.json",
        "/actors.json?q=tal",
        "/actors/talonia.json",
        "/actors/viktor-moroz.json",
    ]:
        assert _cost(big_client, url) == _cost(client, url), url
    assert _cost(big_client, "/events/1.json") == _cost(client, f"/events/{first}.json")


def test_a_page_of_events_costs_the_same_queries_whatever_it_holds(count_queries, make_event):
    make_event(title="Alone")
    one, _ = count_queries("/events.json")
    for number in range(60):
        make_event(
            title=f"Event {number}",
            actors=[(f"actor-{number}", "initiator"), ("russia", "subject")],
        )

    many, response = count_queries("/events.json")

    assert len(response.json()["events"]) == 50
    assert many == one


# In a browser


@pytest.mark.browser
def test_the_api_docs_render_every_data_route_from_this_site_alone(page, live_server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    operations = sum(len(ops) for ops in page.request.get("/openapi.json").json()["paths"].values())
    page.goto("/docs")

    page.locator(".opblock").nth(operations - 1).wait_for()
    assert page.locator(".opblock").count() == operations
    assert requested and all(url.startswith(live_server) for url in requested), requested


@pytest.mark.browser
def test_another_site_can_read_the_data_but_not_the_pages(page, live_server):
    page.goto("/static/brink.css")  # a page of this site, under no page's CSP
    other = live_server.replace("127.0.0.1", "localhost")  # the same server, another origin
    read = """async url => {
        try { const response = await fetch(url); return response.status; }
        catch (error) { return "blocked"; }
    }"""

    assert page.evaluate(read, f"{other}/events.json?actor=russia") == 200
    assert page.evaluate(read, f"{other}/events.csv") == 200
    assert page.evaluate(read, f"{other}/events.json?actor=atlantis") == 400
    assert page.evaluate(read, f"{other}/") == "blocked"
