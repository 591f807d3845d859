"""Links worth sharing: metadata, structured data, citations, embeds, framing."""

import json
from datetime import UTC, datetime

from app.db import write_session
from app.models import Event
from tests.html import soup, text_of


def meta(html: str) -> dict[str, str]:
    """<meta property|name=… content=…> as a dict."""
    found = {}
    for tag in soup(html).select("meta[content]"):
        key = tag.get("property") or tag.get("name")
        if key:
            found[key] = tag["content"]
    return found


def json_ld(html: str) -> dict:
    return json.loads(soup(html).select_one('script[type="application/ld+json"]').string)


def test_an_event_page_unfurls_into_a_card_with_absolute_links(client, make_event):
    event_id = make_event(
        title="Biden and Putin speak by phone",
        summary="An **hour-long** call: Biden warns of *severe costs*.",
        type_slug="call",
        start_at=datetime(2022, 2, 12, 16, 4, tzinfo=UTC),
        start_precision="minute",
    )
    url = f"http://testserver/events/{event_id}/biden-and-putin-speak-by-phone"

    html = client.get(url).text
    tags = meta(html)

    assert soup(html).select_one('link[rel="canonical"]')["href"] == url
    assert tags["og:url"] == url
    assert tags["og:type"] == "article"
    assert tags["og:title"] == tags["twitter:title"] == "Biden and Putin speak by phone"
    assert tags["description"] == tags["og:description"]
    assert tags["description"].startswith("12 Feb 2022, 18:04 EET. An hour-long call")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image"].startswith(f"http://testserver/previews/events/{event_id}.png")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    image = client.get(tags["og:image"].removeprefix("http://testserver"))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"


def test_an_event_page_has_schema_org_event_data(client, make_event):
    event_id = make_event(
        title="Ten days of drills",
        type_slug="drill",
        status="scheduled",
        start_at=datetime(2022, 2, 9, 22, tzinfo=UTC),
        end_at=datetime(2022, 2, 19, 22, tzinfo=UTC),
        place_name="Belarus",
        place_lat=53.9,
        place_lon=27.57,
    )

    data = json_ld(client.get(f"/events/{event_id}/ten-days-of-drills").text)

    assert data["@type"] == "Event"
    assert data["name"] == "Ten days of drills"
    assert (data["startDate"], data["endDate"]) == ("2022-02-10", "2022-02-20")
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["location"]["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 53.9,
        "longitude": 27.57,
    }
    assert data["url"] == f"http://testserver/events/{event_id}/ten-days-of-drills"


def test_structured_data_cannot_break_out_of_its_script_element(client, make_event):
    event_id = make_event(title="</script><script>alert(1)</script>", slug="script")

    html = client.get(f"/events/{event_id}/script").text

    assert json_ld(html)["name"] == "</script><script>alert(1)</script>"
    assert html.count("<script>alert(1)") == 0


def test_the_configured_base_url_is_used_for_every_absolute_link(engine, settings, make_event):
    from fastapi.testclient import TestClient

    from app.main import create_app

    event_id = make_event(title="Elsewhere")
    public = settings.model_copy(update={"base_url": "https://brink.example.org"})
    app = create_app(public)
    with TestClient(app) as client:
        html = client.get(f"/events/{event_id}/elsewhere").text
    app.state.engine.dispose()

    assert meta(html)["og:url"] == f"https://brink.example.org/events/{event_id}/elsewhere"
    assert meta(html)["og:image"].startswith("https://brink.example.org/previews/")
    assert f"https://brink.example.org/embed/events/{event_id}" in html


def test_an_event_page_links_its_neighbours_in_time_and_its_place_in_the_timeline(
    client, make_event
):
    first = make_event(title="First", start_at=datetime(2022, 2, 1, tzinfo=UTC))
    middle = make_event(title="Middle", start_at=datetime(2022, 2, 2, tzinfo=UTC))
    last = make_event(title="Last", start_at=datetime(2022, 2, 3, tzinfo=UTC))

    page = soup(client.get(f"/events/{middle}/middle").text)
    first_page = soup(client.get(f"/events/{first}/first").text)

    assert page.select_one(".neighbours a.earlier")["href"] == f"/events/{first}/first"
    assert page.select_one(".neighbours a.later")["href"] == f"/events/{last}/last"
    assert first_page.select_one(".neighbours a.earlier") is None
    see = page.select_one("a.see-in-timeline")["href"]
    assert see == f"/?around={middle}#event-{middle}"
    timeline = soup(client.get(see.split("#")[0]).text)
    assert timeline.select_one(".is-around")["id"] == f"event-{middle}"


def test_an_event_page_offers_a_citation_a_permalink_and_embed_code(client, make_event):
    event_id = make_event(
        title="Scholz visits Kyiv", start_at=datetime(2022, 2, 13, 22, tzinfo=UTC)
    )
    url = f"http://testserver/events/{event_id}/scholz-visits-kyiv"

    page = soup(client.get(url).text)

    assert page.select_one("#permalink")["value"] == url
    citation = text_of(page.select_one("#citation"))
    assert citation.startswith(f"“Scholz visits Kyiv” (14 Feb 2022). Brink test. {url} (accessed ")
    embed = soup(page.select_one("#embed-code").get_text())
    assert embed.iframe["src"] == f"http://testserver/embed/events/{event_id}"
    # The copy button needs JavaScript (and a clipboard): hidden until the script shows it.
    assert page.select_one("button.copy-link").has_attr("hidden")
    assert page.select_one('link[rel="alternate"][type="application/json"]')["href"] == (
        f"http://testserver/events/{event_id}.json"
    )


def test_a_timeline_view_describes_its_filter_when_shared(client, sample):
    html = client.get("/?actor=france&type=call").text
    tags = meta(html)

    assert tags["og:title"] == "Calls involving France · 3 events"
    assert tags["description"].startswith("Calls involving France · 3 events on Brink test.")
    assert "Latest: " in tags["description"]
    assert tags["og:url"] == "http://testserver/?actor=france&type=call"
    assert tags["og:image"] == "http://testserver/previews/timeline.png?actor=france&type=call"
    alternates = {link["type"]: link["href"] for link in soup(html).select('link[rel="alternate"]')}
    assert alternates == {
        "application/json": "http://testserver/events.json?actor=france&type=call",
        "text/csv": "http://testserver/events.csv?actor=france&type=call",
        "application/atom+xml": "http://testserver/events.atom?actor=france&type=call",
        "text/calendar": "http://testserver/events.ics?actor=france&type=call",
    }
    data = json_ld(html)
    assert data["@type"] == "CollectionPage"
    assert len(data["mainEntity"]["itemListElement"]) == 3


def test_a_page_of_the_timeline_shares_the_view_not_the_page(client, make_event):
    for n in range(55):
        make_event(title=f"Event {n}", start_at=datetime(2022, 1, 1, n % 24, tzinfo=UTC))
    first = soup(client.get("/").text)
    second_url = first.select_one("#pager a.load-more")["href"]

    second = client.get(second_url).text

    assert meta(second)["og:url"] == "http://testserver/"


def test_the_timeline_offers_embed_code_for_its_current_view(client, sample):
    page = soup(client.get("/?type=call").text)

    embed = soup(page.select_one("#embed-code").get_text())
    assert embed.iframe["src"] == "http://testserver/embed?type=call"


def test_only_embeds_may_be_framed_by_other_sites(client, make_event):
    event_id = make_event(title="Framed")

    for path in ["/", f"/events/{event_id}/framed", "/nowhere"]:
        response = client.get(path)
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
    for path in ["/embed?type=statement", f"/embed/events/{event_id}"]:
        response = client.get(path)
        assert response.status_code == 200
        assert "x-frame-options" not in response.headers, path
        assert response.headers["content-security-policy"] == "frame-ancestors *", path


def test_an_embed_opens_every_link_on_the_canonical_page_in_a_new_tab(client, sample):
    page = soup(client.get("/embed?actor=france&type=call").text)

    assert page.select_one("base")["target"] == "_blank"
    assert text_of(page.select_one("h1")) == "Calls involving France · 3 events"
    assert page.select_one('link[rel="canonical"]')["href"] == (
        "http://testserver/?actor=france&type=call"
    )
    assert len(page.select(".event-card")) == 3
    assert page.select_one("#filters") is None  # compact: no filter panel
    hrefs = [a["href"] for a in page.select(".event-card .event-title a")]
    assert all(href.startswith("/events/") for href in hrefs)


def test_an_embed_pages_within_itself(client, make_event):
    for n in range(55):
        make_event(title=f"Event {n}", start_at=datetime(2022, 1, 1, n % 24, tzinfo=UTC))

    page = soup(client.get("/embed").text)
    more = page.select_one("#pager a.load-more")["href"]
    fragment = client.get(more, headers={"HX-Request": "true", "HX-Target": "pager"})

    assert more.startswith("/embed?cursor=")
    assert len(soup(fragment.text).select(".event-card")) == 5
    assert "<html" not in fragment.text


def test_an_embedded_event_is_a_single_card(client, make_event):
    event_id = make_event(title="Card")

    page = soup(client.get(f"/embed/events/{event_id}").text)

    assert [text_of(a) for a in page.select(".event-title a")] == ["Card"]
    assert client.get("/embed/events/999999").status_code == 404


def test_an_unknown_event_gets_a_404_page_with_a_search_box(client):
    response = client.get("/events/999999/whatever")

    assert response.status_code == 404
    form = soup(response.text).select_one('form[role="search"]')
    assert form["action"] == "/" and form.select_one('input[name="q"]') is not None


def test_a_changed_event_changes_its_preview_address(client, make_event, engine):
    event_id = make_event(title="Before")
    before = meta(client.get(f"/events/{event_id}/before").text)["og:image"]

    with write_session(engine) as session:
        event = session.get(Event, event_id)
        event.title = "After"
        event.updated_at = datetime(2030, 1, 1, tzinfo=UTC)

    after = meta(client.get(f"/events/{event_id}/before").text)["og:image"]
    assert after != before


def test_every_page_has_absolute_sharing_metadata_and_a_reachable_preview(client, sample):
    event_path = soup(client.get("/?q=hourlong").text).select_one(".event-title a")["href"]
    for path in ["/", "/?type=call", event_path, "/actors", "/actors/russia", "/actors?q=rus"]:
        html = client.get(path).text
        tags = meta(html)
        for key in ["og:url", "og:image", "twitter:image"]:
            assert tags[key].startswith("http://testserver/"), (path, key)
        assert soup(html).select_one('link[rel="canonical"]')["href"] == tags["og:url"], path
        assert tags["og:title"] and tags["description"], path
        assert json_ld(html)["@context"] == "https://schema.org", path
        image = client.get(tags["og:image"].removeprefix("http://testserver"))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png", path
        for link in soup(html).select('link[rel="alternate"]'):
            assert client.get(link["href"].removeprefix("http://testserver")).status_code == 200


def test_an_actor_page_unfurls_as_the_actor(client, sample):
    html = client.get("/actors/vladimir-putin").text
    tags = meta(html)
    data = json_ld(html)

    assert tags["og:title"] == "Vladimir Putin"
    assert tags["og:type"] == "profile"
    assert data["@type"] == "Person"
    assert "Putin" in data["alternateName"]
    assert data["affiliation"]["name"] == "Russia"
    # Filtered, the page shares the view it shows.
    assert meta(client.get("/actors/vladimir-putin?type=call").text)["og:title"].startswith(
        "Calls involving Vladimir Putin"
    )
