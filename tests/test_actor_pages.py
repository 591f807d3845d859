"""Actor pages over HTTP: the index by kind, an actor's profile over its own timeline, former
slugs that redirect, and what each page costs."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import write_session
from app.models import Actor, ActorFormerSlug
from tests.html import card_dates, event_titles, soup, text_of
from tests.test_filtering import facet_counts, heading, notices, total

HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "results"}


def profile(html: str):
    found = soup(html).select_one(".actor-profile")
    assert found is not None
    return found


def facts(html: str) -> dict[str, str]:
    """The profile's facts: 'Part of' → 'Russia', 'Events' → '33 events (17 of them its own)'."""
    terms = profile(html).select(".actor-facts dt")
    return {text_of(dt): text_of(dt.find_next_sibling("dd")) for dt in terms}


def counted_links(html: str, section: str) -> list[tuple[str, str, int]]:
    """(label, href, count) of the links in a profile section: 'by-type' or 'counterparts'."""
    heading_tag = profile(html).select_one(f"#{section}-heading")
    assert heading_tag is not None
    links = []
    for link in heading_tag.find_parent("section").select("a"):
        count = link.select_one(".count")
        number = int(count.find(string=True, recursive=False).replace(",", ""))
        count.extract()
        links.append((text_of(link), link["href"], number))
    return links


def chips(html: str) -> dict[str, str]:
    """Each active filter's label → the link that removes it."""
    return {
        chip.find(string=True, recursive=False).strip(): chip["href"]
        for chip in soup(html).select(".chips .chip")
    }


def index_entries(html: str) -> dict[str, dict[str, object]]:
    """Actor name → its kind group, link, count and hints, as the index lists it."""
    entries = {}
    for group in soup(html).select("#actor-index .actor-group"):
        kind = text_of(group.select_one("h2")).rsplit(" ", 1)[0]
        for item in group.select(".actor-list li"):
            link = item.select_one("a")
            count = item.select_one(".count")
            entries[text_of(link)] = {
                "kind": kind,
                "href": link["href"],
                "count": int(count.find(string=True, recursive=False).replace(",", "")),
                "hints": [text_of(hint) for hint in item.select(".hint")],
            }
    return entries


# Who an actor is


def test_an_actor_page_says_who_it_is_with_aliases_and_members(client, sample):
    response = client.get("/actors/russia")
    html = response.text

    assert response.status_code == 200
    assert text_of(soup(html).select_one("h1")) == "Russia"
    assert text_of(soup(html).select_one("title")) == "Russia · Brink test"
    assert text_of(profile(html).select_one(".actor-kind")) == "Actors › State"
    aliases = [text_of(alias) for alias in profile(html).select(".aliases .alias")]
    assert aliases == ["Russian Federation", "Moscow", "Россия"]
    assert text_of(profile(html).select_one(".actor-description p")) == "The Russian Federation."
    members = {text_of(a): a["href"] for a in profile(html).select(".actor-facts .inline-list a")}
    assert members["Vladimir Putin"] == "/actors/vladimir-putin"
    assert members["Kremlin"] == "/actors/kremlin"
    assert "Part of" not in facts(html)


def test_a_member_links_to_its_parent_and_counts_its_own_events(client, sample):
    html = client.get("/actors/vladimir-putin").text

    parent = profile(html).select_one(".actor-facts dd a")
    assert (text_of(parent), parent["href"]) == ("Russia", "/actors/russia")
    assert "Members" not in facts(html)
    assert facts(html)["Events"] == f"{total(client.get('/?actor=vladimir-putin').text)} events"
    # A state counts its members' events too, and links to those that are its own.
    russia = client.get("/actors/russia").text
    assert facts(russia)["Events"].startswith("33 events (")
    own = profile(russia).select_one(".actor-facts dd a[href='/actors/russia?only=1']")
    assert text_of(own) == f"{total(client.get(own['href']).text)} of them its own"
    assert total(client.get(own["href"]).text) == total(client.get("/?actor=russia&only=1").text)


def test_an_actor_description_is_safe_markdown(client, engine, make_event):
    make_event(actors=[("test-actor", "initiator")])
    with write_session(engine) as session:
        actor = session.scalars(select(Actor).where(Actor.slug == "test-actor")).one()
        actor.description = (
            "A **bold** claim, [a source](https://example.org/a) "
            "<script>alert(1)</script> [bad](javascript:alert(1))"
        )

    description = profile(client.get("/actors/test-actor").text).select_one(".actor-description")

    assert text_of(description.select_one("strong")) == "bold"
    assert [a["href"] for a in description.select("a")] == ["https://example.org/a"]
    assert description.select("script") == []
    assert not [a for a in soup(str(description)).select("[href]") if "javascript" in a["href"]]


def test_the_first_and_latest_events_are_linked_with_dates_at_their_precision(client, sample):
    html = client.get("/actors/russia").text
    oldest = client.get("/?actor=russia&order=oldest").text
    newest = client.get("/?actor=russia").text

    marks = {}
    for dt in profile(html).select(".actor-facts dt"):
        dd = dt.find_next_sibling("dd")
        link = dd.select_one("a")
        if link is not None and link["href"].startswith("/events/"):
            marks[text_of(dt)] = (text_of(link), text_of(dd.select_one("time")))
    first_title, latest_title = event_titles(oldest)[0], event_titles(newest)[0]
    assert marks == {
        "First event": (first_title, card_dates(oldest)[first_title]),
        "Latest event": (latest_title, card_dates(newest)[latest_title]),
    }
    assert marks["First event"][1] == "2014"  # known to the year, shown as the year


# Its counts, each agreeing with the view it links to


def test_counts_by_type_agree_with_the_filtered_views_they_link_to(client, sample):
    html = client.get("/actors/russia").text

    by_type = counted_links(html, "by-type")

    assert sum(count for _, _, count in by_type) == 33
    for label, href, count in by_type:
        assert urlsplit(href).path == "/actors/russia"
        type_slug = href.rsplit("type=", 1)[1]
        assert total(client.get(href).text) == count, label
        assert total(client.get(f"/?actor=russia&type={type_slug}").text) == count, label


def test_counterparts_counts_agree_with_the_dyad_views_they_link_to(client, sample):
    html = client.get("/actors/russia").text

    counterparts = counted_links(html, "counterparts")

    assert counterparts, "Russia has counterparts in the sample"
    counts = [count for _, _, count in counterparts]
    assert counts == sorted(counts, reverse=True)
    names = [label.split(" (")[0] for label, _, _ in counterparts]
    assert "Ukraine" in names and "United States" in names
    # Its own members share all their events with it: they are no counterparts.
    assert not {"Vladimir Putin", "Kremlin", "Russia"} & set(names)
    for label, href, count in counterparts:
        other = href.split("&actor=")[1].split("&")[0]
        assert href == f"/?actor=russia&actor={other}&match=all"
        dyad = client.get(href).text
        assert total(dyad) == count, label
        assert heading(dyad).startswith("Events involving Russia and ")


def test_a_member_has_no_parent_among_its_counterparts(client, sample):
    names = [label for label, _, _ in counted_links(client.get("/actors/vladimir-putin").text,
                                                    "counterparts")]  # fmt: skip

    assert names and not any(name.startswith("Russia") for name in names)
    assert any(name.startswith("Joe Biden") for name in names)


# Its timeline: the timeline of /?actor=<slug>, with the same filters, staying on the page


def test_the_actor_timeline_is_the_timeline_of_that_actor(client, sample):
    page = client.get("/actors/russia").text
    filtered = client.get("/?actor=russia").text

    assert heading(page) == heading(filtered) == "Events involving Russia · 33 events"
    assert event_titles(page) == event_titles(filtered)
    assert soup(page).select_one("#view-heading").name == "h2"  # under the actor's name
    assert soup(page).select(".chips") == []  # the actor is the page, not a filter to remove
    form = soup(page).select_one("#filter-form")
    assert form["action"] == form["hx-get"] == "/actors/russia"
    for element in soup(page).select("#filters [hx-get], #q"):
        assert element["hx-get"] == "/actors/russia", element.get("id")
    # The actor itself is no choice in the panel, and the dyad switch is not needed.
    assert "russia" not in facet_counts(page, "actor")
    assert soup(page).select("#f-match-any") == []


def test_filters_on_an_actor_page_stay_on_it_and_agree_with_the_timeline(client, sample):
    html = client.get("/actors/russia?type=call").text

    assert heading(html) == heading(client.get("/?actor=russia&type=call").text)
    assert heading(html) == "Calls involving Russia · 5 events"
    assert (
        text_of(soup(html).select_one("title")) == "Calls involving Russia · 5 events · Brink test"
    )
    assert chips(html) == {"Type: Call": "/actors/russia"}
    assert soup(html).select_one(".chips .clear-all")["href"] == "/actors/russia"
    assert facet_counts(html, "type")["statement"] == total(
        client.get("/?actor=russia&type=statement").text
    )


def test_another_actor_on_an_actor_page_narrows_it_to_the_events_they_share(client, sample):
    html = client.get("/actors/russia?actor=ukraine").text
    panel = facet_counts(client.get("/actors/russia").text, "actor")

    dyad = client.get("/?actor=russia&actor=ukraine&match=all").text
    assert heading(html) == heading(dyad) == "Events involving Russia and Ukraine · 5 events"
    assert panel["ukraine"] == 5  # the panel's counts are the shared events too
    assert chips(html) == {"Actor: Ukraine": "/actors/russia"}


def test_an_actor_page_has_one_canonical_url(client, sample):
    redirects = {
        "/actors/russia?actor=russia": "/actors/russia",
        "/actors/russia?q=&type=call&match=any": "/actors/russia?type=call",
        "/actors/russia?type=call&actor=ukraine": "/actors/russia?actor=ukraine&type=call",
    }
    for url, canonical in redirects.items():
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"] == canonical, url


def test_htmx_swaps_on_an_actor_page_send_the_results_and_push_its_url(client, sample):
    response = client.get("/actors/russia?type=call", headers=HTMX_RESULTS)

    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/actors/russia?type=call"
    html = response.text
    assert soup(html).select(".actor-profile") == []
    assert (
        text_of(soup(html).select_one("title")) == "Calls involving Russia · 5 events · Brink test"
    )
    assert soup(html).select_one("#view-state")["hx-swap-oob"] == "true"
    assert len(event_titles(html)) == 5


def test_pages_of_an_actor_timeline_stay_on_its_page(client, make_event):
    start = datetime(2022, 2, 1, tzinfo=UTC)
    for number in range(55):
        make_event(title=f"Statement {number}", start_at=start + timedelta(hours=number))

    html = client.get("/actors/test-actor").text
    more = soup(html).select_one("#pager a.load-more")["href"]

    assert urlsplit(more).path == "/actors/test-actor"
    second = client.get(more).text
    assert len(event_titles(second)) == 5
    assert soup(second).select_one("#pager a.previous")["href"].startswith("/actors/test-actor?")


def test_the_timeline_links_to_the_pages_of_its_actors(client, sample):
    html = client.get("/?actor=russia&actor=ukraine").text

    links = {text_of(a): a["href"] for a in soup(html).select(".actor-pages a")}

    assert links == {"Russia": "/actors/russia", "Ukraine": "/actors/ukraine"}
    assert soup(html).select_one(".all-actors a")["href"] == "/actors"


# Unknown actors and former slugs


def test_an_unknown_actor_is_a_not_found_page(client, sample):
    response = client.get("/actors/nobody")

    assert response.status_code == 404
    assert text_of(soup(response.text).select_one("h1")) == "Not found"
    assert "There is no actor 'nobody'." in text_of(soup(response.text).select_one("main"))
    assert client.get("/actors/Not_A_Slug").status_code == 404


@pytest.fixture
def renamed(engine, sample):
    """Kyiv's US embassy was once at the slug us-embassy-kiev."""
    with write_session(engine) as session:
        actor = session.scalars(select(Actor).where(Actor.slug == "us-embassy-kyiv")).one()
        session.add(ActorFormerSlug(slug="us-embassy-kiev", actor_id=actor.id))


def test_a_former_slug_redirects_permanently_to_the_actor_page(client, renamed):
    response = client.get("/actors/us-embassy-kiev")
    with_filters = client.get("/actors/us-embassy-kiev?type=evacuation")

    assert response.status_code == 301
    assert response.headers["location"] == "/actors/us-embassy-kyiv"
    assert with_filters.headers["location"] == "/actors/us-embassy-kyiv?type=evacuation"
    assert client.get("/actors/us-embassy-kyiv").status_code == 200


def test_a_former_slug_in_the_timeline_means_the_actor_under_its_new_slug(client, renamed):
    response = client.get("/?actor=us-embassy-kiev&type=evacuation")
    both = client.get("/?actor=us-embassy-kyiv&actor=us-embassy-kiev")
    on_a_page = client.get("/actors/russia?actor=us-embassy-kiev")

    assert response.status_code == 303
    assert response.headers["location"] == "/?actor=us-embassy-kyiv&type=evacuation"
    assert both.headers["location"] == "/?actor=us-embassy-kyiv"
    assert on_a_page.headers["location"] == "/actors/russia?actor=us-embassy-kyiv"
    # With JavaScript (no redirect), the view and its pushed URL use the new slug.
    swapped = client.get("/?actor=us-embassy-kiev", headers=HTMX_RESULTS)
    assert swapped.headers["HX-Push-Url"] == "/?actor=us-embassy-kyiv"
    assert not notices(swapped.text)


def test_a_current_slug_wins_over_another_actors_former_one(client, engine, sample):
    with write_session(engine) as session:
        putin = session.scalars(select(Actor).where(Actor.slug == "vladimir-putin")).one()
        session.add(ActorFormerSlug(slug="russia", actor_id=putin.id))

    assert client.get("/actors/russia").status_code == 200
    assert heading(client.get("/?actor=russia").text).startswith("Events involving Russia ·")


def test_deleting_an_actor_deletes_its_former_slugs(engine, renamed):
    with write_session(engine) as session:
        session.delete(session.scalars(select(Actor).where(Actor.slug == "us-embassy-kyiv")).one())
    with Session(engine) as session:
        assert session.scalars(select(ActorFormerSlug)).all() == []


# The index


def test_the_index_groups_actors_by_kind_with_the_counts_the_timeline_gives(client, sample):
    html = client.get("/actors").text

    groups = [text_of(h2).rsplit(" ", 1)[0] for h2 in soup(html).select(".actor-group h2")]
    assert groups == ["States", "People", "Organisations", "Agencies"]
    entries = index_entries(html)
    assert entries["Russia"]["kind"] == "States"
    assert entries["Vladimir Putin"]["kind"] == "People"
    assert entries["Vladimir Putin"]["hints"] == ["(Russia)"]
    assert entries["NATO"]["kind"] == "Organisations"
    assert entries["Kremlin"]["kind"] == "Agencies"
    assert text_of(soup(html).select_one(".index-summary")) == f"{len(entries)} actors"
    for name, entry in entries.items():
        slug = entry["href"].removeprefix("/actors/")
        assert entry["count"] == total(client.get(f"/?actor={slug}").text), name
    names = [name for name, entry in entries.items() if entry["kind"] == "People"]
    assert names == sorted(names, key=str.casefold)
    agencies = [name for name, entry in entries.items() if entry["kind"] == "Agencies"]
    assert agencies.index("Élysée Palace") < agencies.index("Japanese Foreign Ministry")


def test_the_index_filter_matches_names_and_aliases_in_any_case_and_script(client, sample):
    def names(q: str) -> list[str]:
        return list(index_entries(client.get(f"/actors?q={q}").text))

    assert names("putin") == ["Vladimir Putin"]
    assert names("KREML") == ["Kremlin"]
    assert names("Росс") == ["Russia"]
    zelensky = client.get("/actors?q=zelensky").text
    assert index_entries(zelensky)["Volodymyr Zelenskiy"]["hints"][0] == "also “Zelensky”"
    assert text_of(soup(zelensky).select_one(".index-summary")) == (
        "1 actor matching “zelensky” Show all actors"
    )
    nothing = client.get("/actors?q=nobody-at-all").text
    assert index_entries(nothing) == {}
    assert "No actor’s name or alias contains “nobody-at-all”." in text_of(
        soup(nothing).select_one(".index-summary")
    )


def test_the_index_has_one_canonical_url(client, sample):
    for url, canonical in {
        "/actors?q=": "/actors",
        "/actors?q=++putin+": "/actors?q=putin",
        "/actors?other=1": "/actors",
    }.items():
        response = client.get(url)
        assert (response.status_code, response.headers["location"]) == (303, canonical), url


def test_the_index_filter_with_htmx_swaps_the_list_and_pushes_its_url(client, sample):
    response = client.get(
        "/actors?q=+putin", headers={"HX-Request": "true", "HX-Target": "actor-index"}
    )

    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/actors?q=putin"
    html = response.text
    assert soup(html).select("h1, #actor-q") == []
    assert list(index_entries(f'<div id="actor-index">{html}</div>')) == ["Vladimir Putin"]
    assert text_of(soup(html).select_one("#actor-count")) == "1 actor matching “putin”"
    assert text_of(soup(html).select_one("title")) == "Actors matching “putin” · Brink test"


# Cost


def test_an_actor_page_costs_the_same_queries_however_busy_the_actor(count_queries, make_event):
    make_event(
        title="Alone", type_slug="meeting",
        actors=[("quiet-actor", "initiator"), ("counterpart-1", "counterpart")],
    )  # fmt: skip
    few, response = count_queries("/actors/quiet-actor")
    assert response.status_code == 200

    parents = {"busy-actor-member": "busy-actor"}
    for number in range(60):
        make_event(
            title=f"Busy {number}",
            type_slug=["call", "meeting", "statement"][number % 3],
            start_at=datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=number),
            actors=[
                ("busy-actor", "initiator"),
                (f"counterpart-{number % 12}", "counterpart"),
                ("busy-actor-member", "participant"),
            ],
            parents=parents,
        )
    many, response = count_queries("/actors/busy-actor")
    assert response.status_code == 200
    assert len(counted_links(response.text, "counterparts")) == 10

    assert many == few
    # A change before each: counts kept for the data version would otherwise save statements.
    make_event(title="Alone again", actors=[("quiet-actor", "initiator")])
    filtered_few, _ = count_queries("/actors/quiet-actor?actor=counterpart-1&type=meeting")
    make_event(title="Alone once more", actors=[("quiet-actor", "initiator")])
    filtered, response = count_queries("/actors/busy-actor?actor=counterpart-1&type=meeting")
    assert heading(response.text) == ("Meetings involving Busy Actor and Counterpart 1 · 5 events")
    assert filtered == filtered_few


def test_the_index_costs_the_same_queries_however_many_actors(count_queries, make_event):
    make_event(actors=[("one-actor", "initiator")])
    few, _ = count_queries("/actors")
    for number in range(40):
        make_event(
            actors=[(f"actor-{number}", "initiator")], parents={f"actor-{number}": "one-actor"}
        )
    many, response = count_queries("/actors")

    assert len(index_entries(response.text)) == 41
    assert many == few <= 3


def test_the_index_and_a_busy_actor_page_agree_with_the_timeline_at_scale(big_client):
    index = index_entries(big_client.get("/actors").text)
    page = big_client.get("/actors/talonia").text

    assert len(index) == 500
    busiest = sorted(index.items(), key=lambda item: -item[1]["count"])[:3]
    for name, entry in [*busiest, *list(index.items())[::97]]:
        slug = entry["href"].removeprefix("/actors/")
        assert entry["count"] == total(big_client.get(f"/?actor={slug}").text), name
    assert heading(page) == heading(big_client.get("/?actor=talonia").text)
    for label, href, count in counted_links(page, "counterparts")[:3]:
        assert total(big_client.get(href).text) == count, label
    for label, href, count in counted_links(page, "by-type")[:3]:
        assert total(big_client.get(href).text) == count, label
