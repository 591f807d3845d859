"""Filtering the timeline over HTTP: each filter, their combinations, facets, search, pages."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from tests.html import event_titles, soup, text_of


def heading(html: str) -> str:
    return text_of(soup(html).select_one("#view-heading"))


def notices(html: str) -> list[str]:
    return [text_of(li) for li in soup(html).select(".notice li")]


def total(html: str) -> int:
    """The event count the heading announces: 'Calls involving France · 3 events' → 3."""
    return int(heading(html).rsplit(" · ", 1)[1].split()[0].replace(",", ""))


def facet_counts(html: str, name: str) -> dict[str, int]:
    """Option value → the count shown next to it, for one facet of the filter panel."""
    counts = {}
    page = soup(html)
    for choice in page.select(f"#filters input[name={name}]"):
        label = page.select_one(f"label[for={choice['id']}]")
        counts[choice["value"]] = int(
            text_of(label.select_one(".count")).split()[0].replace(",", "")
        )
    return counts


def card_types(html: str) -> set[str]:
    return {text_of(label) for label in soup(html).select(".event-card .type-label")}


# Each filter, on the sample crisis


@pytest.mark.parametrize(
    ("url", "expected_heading"),
    [
        ("/", "All events · 50 events"),
        ("/?actor=france&type=call", "Calls involving France · 3 events"),
        ("/?actor=russia", "Events involving Russia · 33 events"),
        ("/?actor=russia&only=1", "Events involving Russia itself · 17 events"),
        (
            "/?actor=joe-biden&actor=vladimir-putin&match=all",
            "Events involving Joe Biden and Vladimir Putin · 4 events",
        ),
        ("/?status=scheduled", "Scheduled events · 4 events"),
        ("/?verification=claimed", "Claimed events · 4 events"),
        ("/?from=2022-02-12&to=2022-02-12", "Events on 12 Feb 2022 · 25 events"),
        ("/?q=zelensky", "Events matching “zelensky” · 1 event"),
    ],
)
def test_each_view_says_what_it_shows_in_its_heading_and_title(
    client, sample, url, expected_heading
):
    response = client.get(url)

    assert response.status_code == 200
    assert heading(response.text) == expected_heading
    assert text_of(soup(response.text).title) == f"{expected_heading} · Brink test"
    assert len(event_titles(response.text)) == total(response.text)


def test_an_actor_includes_its_members_unless_only_that_actor_is_asked_for(client, make_event):
    parents = {"vladimir-putin": "russia", "kremlin": "russia"}
    make_event(title="Putin calls Macron", actors=[("vladimir-putin", "initiator")],
               parents=parents)  # fmt: skip
    make_event(title="Russia recalls envoy", actors=[("russia", "initiator")])
    make_event(title="Japan advisory", actors=[("japan", "initiator")])

    with_members = event_titles(client.get("/?actor=russia").text)
    itself = event_titles(client.get("/?actor=russia&only=1").text)

    assert sorted(with_members) == ["Putin calls Macron", "Russia recalls envoy"]
    assert itself == ["Russia recalls envoy"]


def test_match_all_keeps_the_events_involving_every_chosen_actor(client, make_event):
    make_event(title="Biden calls Putin", actors=[("biden", "initiator"), ("putin", "counterpart")])
    make_event(
        title="Biden calls Macron", actors=[("biden", "initiator"), ("macron", "counterpart")]
    )
    make_event(
        title="Putin meets Macron", actors=[("putin", "initiator"), ("macron", "counterpart")]
    )

    any_of = event_titles(client.get("/?actor=biden&actor=putin").text)
    all_of = event_titles(client.get("/?actor=biden&actor=putin&match=all").text)

    assert sorted(any_of) == ["Biden calls Macron", "Biden calls Putin", "Putin meets Macron"]
    assert all_of == ["Biden calls Putin"]


def test_types_statuses_and_verifications_combine(client, make_event):
    make_event(title="Call held", type_slug="call")
    make_event(title="Call planned", type_slug="call", status="scheduled")
    make_event(title="Drill planned", type_slug="drill", status="scheduled")
    make_event(title="Claimed drill", type_slug="drill", verification="claimed")

    assert sorted(event_titles(client.get("/?type=call&type=drill&status=scheduled").text)) == [
        "Call planned",
        "Drill planned",
    ]
    assert event_titles(client.get("/?type=drill&verification=claimed").text) == ["Claimed drill"]
    assert event_titles(client.get("/?status=cancelled").text) == []


def test_dates_are_days_in_the_crisis_zone_and_ranges_count_on_every_day(client, make_event):
    # 23:30 UTC on the 11th is already the 12th in Kyiv (UTC+2).
    make_event(title="Late call", start_at=datetime(2022, 2, 11, 23, 30, tzinfo=UTC),
               start_precision="minute")  # fmt: skip
    make_event(title="Earlier", start_at=datetime(2022, 2, 10, 9, tzinfo=UTC))
    make_event(
        title="Ten-day drill",
        type_slug="drill",
        start_at=datetime(2022, 2, 1, 22, tzinfo=UTC),
        end_at=datetime(2022, 2, 19, 22, tzinfo=UTC),
    )

    on_the_12th = event_titles(client.get("/?from=2022-02-12&to=2022-02-12").text)
    until_the_11th = event_titles(client.get("/?to=2022-02-11").text)

    assert sorted(on_the_12th) == ["Late call", "Ten-day drill"]
    assert sorted(until_the_11th) == ["Earlier", "Ten-day drill"]


def test_oldest_first_reverses_the_list(client, make_event):
    make_event(title="First", start_at=datetime(2022, 1, 1, tzinfo=UTC))
    make_event(title="Second", start_at=datetime(2022, 1, 2, tzinfo=UTC))

    assert event_titles(client.get("/").text) == ["Second", "First"]
    assert event_titles(client.get("/?order=oldest").text) == ["First", "Second"]


# Search


def test_search_finds_actors_by_any_alias_in_any_script(client, sample):
    expected = event_titles(client.get("/?actor=volodymyr-zelenskiy&only=1").text)

    for alias in ["Zelensky", "zelenskyy", "Зеленський", "Volodymyr Zelensky"]:
        found = event_titles(client.get("/", params={"q": alias}).text)
        assert set(expected) <= set(found), alias
    assert expected


def test_search_matches_word_prefixes_and_highlights_them(client, make_event):
    make_event(title="Biden warns Putin of severe costs", summary="An hourlong call.")
    make_event(title="Scholz visits Kyiv", summary="Talks.")

    html = client.get("/?q=sever+cost").text

    assert event_titles(html) == ["Biden warns Putin of severe costs"]
    assert [text_of(m) for m in soup(html).select(".event-title mark")] == ["severe", "costs"]


def test_a_quoted_phrase_matches_only_those_words_in_that_order(client, make_event):
    make_event(title="Severe costs for Russia")
    make_event(title="Costs would be severe")

    assert event_titles(client.get('/?q="severe costs"').text) == ["Severe costs for Russia"]
    assert len(event_titles(client.get("/?q=severe costs").text)) == 2


def test_search_reaches_summaries_and_source_quotes(client, sample):
    assert total(client.get("/?q=hourlong").text) >= 1  # in a summary
    assert total(client.get("/?q=Pentagon").text) >= 1  # an actor's name


def test_relevance_ranks_title_matches_before_summary_matches(client, make_event):
    make_event(
        title="Minsk talks", summary="Nothing more.", start_at=datetime(2022, 1, 1, tzinfo=UTC)
    )
    make_event(
        title="A call", summary="They discussed Minsk.", start_at=datetime(2022, 2, 1, tzinfo=UTC)
    )

    assert event_titles(client.get("/?q=minsk").text) == ["A call", "Minsk talks"]
    assert event_titles(client.get("/?q=minsk&order=relevance").text) == ["Minsk talks", "A call"]


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced', 'a"b"c"', "AND", "OR NOT", "-", "*", "NEAR(a b)", "title:x", "a & b | !c",
        "'", "\\", "(", "🙂", "Путин 🙂 \"", "^", "{title}: x", "%_", "a" * 300, "x:* & y",
    ],
)  # fmt: skip
def test_no_search_text_makes_the_timeline_fail(client, sample, query):
    response = client.get("/", params={"q": query})

    assert response.status_code == 200
    assert heading(response.text)


def test_a_search_without_words_is_left_out_with_a_notice(client, sample):
    html = client.get("/", params={"q": '"" *** 🙂'}).text

    assert heading(html) == "All events · 50 events"
    assert any("no words to search for" in n for n in notices(html))


# Facets


def _views(client):
    return [
        "/",
        "/?type=call",
        "/?actor=russia",
        "/?actor=russia&type=call&type=statement",
        "/?actor=united-states&actor=russia&match=all",
        "/?actor=russia&only=1&status=occurred",
        "/?q=putin",
        "/?from=2022-02-11&verification=confirmed",
    ]


def test_type_and_actor_counts_say_what_each_choice_would_show(client, sample):
    """As Datasette's facets: an option's count is the size of the list that choice gives."""
    from app.filters import EventFilters

    for url in _views(client):
        html = client.get(url).text
        filters = EventFilters.from_query(urlsplit(url).query)
        for type_slug, count in facet_counts(html, "type").items():
            if type_slug in filters.types:
                continue
            chosen = client.get(filters.link(types=(type_slug,))).text
            assert total(chosen) == count, (url, type_slug)
        for actor_slug, count in facet_counts(html, "actor").items():
            if actor_slug in filters.actors:
                continue
            if filters.match == "all":
                chosen_url = filters.link(actors=(*filters.actors, actor_slug))
            else:
                chosen_url = filters.link(actors=(actor_slug,))
            assert total(client.get(chosen_url).text) == count, (url, actor_slug)


def test_status_counts_add_up_to_the_list_and_zero_options_are_dimmed(client, sample):
    html = client.get("/?actor=france").text

    statuses = facet_counts(html, "status")
    assert sum(statuses.values()) == total(html)
    empty = {
        choice.select_one("input")["value"]
        for choice in soup(html).select("#filters .choice.is-empty")
    }
    assert "cancelled" in empty
    assert statuses["cancelled"] == 0


def test_actors_are_grouped_by_kind_and_the_rest_found_by_typing(client, sample):
    html = client.get("/").text

    groups = [text_of(h) for h in soup(html).select("#filters .facet-group")]
    assert groups == ["States", "People", "Organisations", "Agencies"]
    assert any("type to find" in text_of(p) for p in soup(html).select("#filters .more"))

    found = client.get(
        "/?who=Zelen", headers={"HX-Request": "true", "HX-Target": "actor-suggestions"}
    )
    labels = [text_of(label) for label in soup(found.text).select("label")]
    assert "<html" not in found.text
    assert any(label.startswith("Volodymyr Zelenskiy") for label in labels)


def test_a_typed_name_or_alias_adds_its_actor_without_javascript(client, sample):
    response = client.get("/?type=call&who=Zelensky", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/?actor=volodymyr-zelenskiy&type=call"


def test_a_typed_fragment_with_several_actors_lists_them_to_choose(client, sample):
    html = client.get("/?who=russian").text

    choices = soup(html).select("#actor-suggestions input[name=actor]")
    assert len(choices) >= 2
    assert all(choice["form"] == "filter-form" for choice in choices)


def test_a_name_that_is_no_actor_gives_a_notice(client, sample):
    html = client.get("/?who=Napoleon").text

    assert "No actor is called “Napoleon”." in notices(html)


# The URL is the state


def test_every_view_has_one_canonical_url(client, sample):
    cases = {
        "/?type=evacuation&type=call": "/?type=call&type=evacuation",
        "/?q=&actor=&type=call&order=newest": "/?type=call",
        "/?order=oldest&actor=russia": "/?actor=russia&order=oldest",
        "/?only=1": "/",  # meaningless without an actor
        "/?actor=russia&match=all": "/?actor=russia",
        "/?q=++putin++warns": "/?q=putin+warns",
    }
    for url, canonical in cases.items():
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == canonical, url
        assert client.get(canonical, follow_redirects=False).status_code == 200


def test_chips_remove_one_filter_each_and_clear_all_goes_home(client, sample):
    html = client.get("/?actor=russia&type=call&q=putin").text

    chips = {text_of(a): a["href"] for a in soup(html).select(".chips a.chip")}
    assert chips == {
        "Actor: Russia , remove ✕": "/?type=call&q=putin",
        "Type: Call , remove ✕": "/?actor=russia&q=putin",
        "Search: putin , remove ✕": "/?actor=russia&type=call",
    }
    assert soup(html).select_one(".chips a.clear-all")["href"] == "/"


# Bad input


@pytest.mark.parametrize(
    ("url", "notice"),
    [
        ("/?from=2022-02-30", "'2022-02-30' is not a date (YYYY-MM-DD); the start date was "
                              "left out."),
        ("/?to=yesterday", "'yesterday' is not a date (YYYY-MM-DD); the end date was left out."),
        ("/?actor=nobody", "There is no actor 'nobody'; it was left out."),
        ("/?type=rumour", "There is no event type 'rumour'; it was left out."),
        ("/?status=imagined", "There is no status 'imagined'; it was left out."),
        ("/?cursor=garbage", "The page link was not valid; showing the first page."),
        ("/?around=abc", "'abc' is not an event number; it was left out."),
        ("/?around=999999", "There is no event 999999."),
        ("/?match=some", "Unknown match 'some': showing events involving any actor."),
    ],
)  # fmt: skip
def test_bad_parameters_give_a_notice_and_a_sensible_view(client, sample, url, notice):
    response = client.get(url)

    assert response.status_code == 200
    assert notice in notices(response.text)
    assert total(response.text) == 50


def test_a_flood_of_parameters_is_cut_not_fatal(client, sample):
    query = "&".join(f"actor=actor-{n}" for n in range(3_000))

    response = client.get(f"/?{query}&actor=russia")

    assert response.status_code == 200
    assert "Only the first 20 actor values were used." in notices(response.text)


def test_a_forged_cursor_is_refused(client, sample):
    import base64
    import json

    for payload in [["n", "a", "not a date", 1], ["n", "a", "2022-02-12T00:00:00", "1"], {"a": 1}]:
        forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        html = client.get(f"/?cursor={forged}").text
        assert "The page link was not valid; showing the first page." in notices(html)


def test_an_empty_view_says_so_and_offers_ways_out(client, sample):
    html = client.get("/?type=evacuation&from=2022-02-16").text

    ways = {text_of(a): a["href"] for a in soup(html).select(".ways-out a")}
    assert total(html) == 0
    assert ways == {
        "Widen the dates to the whole crisis": "/?type=evacuation",
        "Show all events": "/",
    }


# Pages


def _make_many(make_event, n, start=datetime(2022, 1, 1, 12, tzinfo=UTC)):
    # Some share a start time: the id breaks the tie, so pages never overlap.
    return [
        make_event(title=f"Event {i:03}", start_at=start + timedelta(hours=i // 2))
        for i in range(n)
    ]


def _follow(client, url):
    """Every page of a view, by its next links, as lists of titles."""
    pages = []
    while url:
        html = client.get(url).text
        pages.append(event_titles(html))
        nxt = soup(html).select_one("#pager a.load-more")
        url = nxt["href"] if nxt else None
    return pages


def test_pages_hold_fifty_and_meet_without_gaps_or_repeats(client, make_event):
    _make_many(make_event, 120)

    for order in ["newest", "oldest"]:
        pages = _follow(client, "/?order=oldest" if order == "oldest" else "/")
        titles = [title for page in pages for title in page]
        assert [len(page) for page in pages] == [50, 50, 20]
        assert len(set(titles)) == 120
        assert titles == sorted(titles, reverse=order == "newest")


def test_events_arriving_between_pages_neither_repeat_nor_hide_others(client, make_event):
    _make_many(make_event, 120)
    first = client.get("/").text
    next_url = soup(first).select_one("#pager a.load-more")["href"]

    # New events arrive: newer than everything, and inside the pages still to come.
    make_event(title="Breaking", start_at=datetime(2023, 1, 1, tzinfo=UTC))
    make_event(title="Late report", start_at=datetime(2022, 1, 1, 13, 30, tzinfo=UTC))
    rest = _follow(client, next_url)

    seen = event_titles(first) + [title for page in rest for title in page]
    assert len(seen) == len(set(seen))
    assert {f"Event {i:03}" for i in range(120)} <= set(seen)
    assert "Late report" in seen


def test_previous_links_walk_back_to_the_same_pages(client, make_event):
    _make_many(make_event, 120)
    first = client.get("/?order=oldest").text
    second_url = soup(first).select_one("#pager a.load-more")["href"]
    second = client.get(second_url).text

    previous = soup(second).select_one("#pager a.previous")

    assert previous is not None
    assert text_of(previous) == "← Earlier events"
    assert event_titles(client.get(previous["href"]).text) == event_titles(first)
    assert soup(first).select_one("#pager a.previous") is None


def test_load_more_with_htmx_sends_the_next_page_and_a_new_pager_only(client, make_event):
    _make_many(make_event, 60)
    next_url = soup(client.get("/").text).select_one("#pager a.load-more")["href"]

    response = client.get(next_url, headers={"HX-Request": "true", "HX-Target": "pager"})

    assert "<html" not in response.text and "<aside" not in response.text
    assert len(event_titles(response.text)) == 10
    assert soup(response.text).select_one("nav#pager") is not None
    assert soup(response.text).select_one("#pager a.previous") is None


def test_around_opens_the_page_holding_an_event_and_marks_it(client, make_event):
    ids = _make_many(make_event, 120)
    target = ids[30]  # the 90th newest: on the second page from the top

    html = client.get(f"/?around={target}").text

    cards = [card["id"] for card in soup(html).select(".event-card")]
    marked = soup(html).select(".event-card.is-around")
    assert [card["id"] for card in marked] == [f"event-{target}"]
    assert cards.index(f"event-{target}") == 10  # with ten before it, for context
    assert soup(html).select_one("#pager a.previous") is not None


def test_around_an_event_outside_the_view_says_so(client, make_event):
    call = make_event(title="A call", type_slug="call")
    make_event(title="A drill", type_slug="drill")

    html = client.get(f"/?type=drill&around={call}").text

    assert f"Event {call} is not among the events of this view." in notices(html)
    assert event_titles(html) == ["A drill"]


# htmx


def test_an_htmx_filter_change_gets_results_and_out_of_band_updates(client, sample):
    response = client.get(
        "/?type=call&actor=russia&who=",
        headers={"HX-Request": "true", "HX-Target": "results", "HX-Trigger": "facets"},
    )

    page = soup(response.text)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.headers["HX-Push-Url"] == "/?actor=russia&type=call"
    assert text_of(page.title) == "Calls involving Russia · 5 events · Brink test"
    assert {e["id"] for e in page.select("[hx-swap-oob]")} == {
        "view-state",
        "filters",
        "share-view",
        "q",
        "result-count",
    }
    assert text_of(page.select_one("#result-count")) == "Calls involving Russia · 5 events"
    assert len(event_titles(response.text)) == 5


def test_the_search_box_is_not_replaced_while_someone_types_in_it(client, sample):
    response = client.get(
        "/?q=putin", headers={"HX-Request": "true", "HX-Target": "results", "HX-Trigger": "q"}
    )

    assert soup(response.text).select_one("#q") is None


def test_history_restores_and_boosted_requests_get_the_whole_page(client, sample):
    for headers in [
        {"HX-Request": "true", "HX-History-Restore-Request": "true", "HX-Target": "results"},
        {"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "results"},
    ]:
        response = client.get("/?type=call", headers=headers)
        assert response.text.lstrip().startswith("<!doctype html>")
    assert "HX-Target" in client.get("/").headers["vary"]


# Fixed cost


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?actor=b&type=statement&q=event",
        "/?actor=a&actor=b&match=all&from=2022-01-01",
        "/?status=occurred&order=oldest",
    ],
)
def test_every_view_costs_the_same_number_of_queries_whatever_its_size(
    count_queries, make_event, url
):
    make_event(title="One event", actors=[("a", "initiator"), ("b", "counterpart")])
    few, _ = count_queries(url)
    for n in range(60):
        make_event(title=f"Event {n}", actors=[(f"actor-{n}", "initiator"), ("a", "initiator"),
                                                ("b", "subject")])  # fmt: skip
    many, response = count_queries(url)

    assert len(event_titles(response.text)) == 50
    assert many == few
