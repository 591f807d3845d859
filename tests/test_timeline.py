from datetime import UTC, datetime

from tests.html import card_dates, day_headings, event_titles, soup, text_of


def test_timeline_lists_events_newest_first_grouped_by_day(client, make_event):
    make_event(title="Drills begin", start_at=datetime(2022, 2, 10, 8, tzinfo=UTC))
    make_event(title="Leaders speak", start_at=datetime(2022, 2, 12, 16, 4, tzinfo=UTC))
    make_event(title="Embassy ordered out", start_at=datetime(2022, 2, 12, 9, tzinfo=UTC))

    response = client.get("/")

    assert response.status_code == 200
    assert event_titles(response.text) == ["Leaders speak", "Embassy ordered out", "Drills begin"]
    assert day_headings(response.text) == ["Saturday 12 February 2022", "Thursday 10 February 2022"]


def test_each_date_is_shown_at_its_precision_in_the_crisis_zone(client, make_event):
    make_event(
        title="Call at a known minute",
        start_at=datetime(2022, 2, 12, 16, 4, tzinfo=UTC),
        start_precision="minute",
    )
    make_event(
        title="Known to the day",
        start_at=datetime(2022, 2, 11, 22, tzinfo=UTC),  # midnight of 12 Feb in Kyiv
        start_precision="day",
    )
    make_event(
        title="Previous call",
        start_at=datetime(2021, 12, 29, 22, tzinfo=UTC),
        start_precision="month",
        start_approximate=True,
    )
    make_event(title="War in the east", start_at=datetime(2013, 12, 31, 22, tzinfo=UTC),
               start_precision="year")  # fmt: skip
    make_event(
        title="Joint drills",
        type_slug="drill",
        start_at=datetime(2022, 2, 9, 22, tzinfo=UTC),
        end_at=datetime(2022, 2, 19, 22, tzinfo=UTC),
    )

    html = client.get("/").text

    assert card_dates(html) == {
        "Call at a known minute": "12 Feb 2022, 18:04 EET",
        "Known to the day": "12 Feb 2022",
        "Joint drills": "10–20 Feb 2022",
        "Previous call": "late December 2021",
        "War in the east": "2014",
    }
    # Coarse dates are grouped under their period, never under an invented day.
    assert "Late December 2021" in day_headings(html)
    assert "2014" in day_headings(html)


def test_an_event_card_shows_type_actors_badges_and_sources(client, make_event):
    make_event(
        title="Russia claims a submarine was intercepted",
        type_slug="incident",
        verification="claimed",
        actors=[("russia", "initiator"), ("united-states", "subject")],
    )

    card = soup(client.get("/").text).select_one(".event-card")

    assert text_of(card.select_one(".type-label")) == "Incident"
    assert [text_of(b) for b in card.select(".badge")] == ["Claimed"]
    assert [a["href"] for a in card.select(".actors a")] == [
        "/?actor=russia",
        "/?actor=united-states",
    ]
    assert text_of(card.select_one(".source-count")) == "1 source"


def test_filtering_by_an_actor_includes_its_members(client, make_event):
    parents = {"vladimir-putin": "russia", "kremlin": "russia"}
    make_event(title="Putin calls Macron", actors=[("vladimir-putin", "initiator")],
               parents=parents)  # fmt: skip
    make_event(title="Kremlin statement", actors=[("kremlin", "initiator")], parents=parents)
    make_event(title="Japan advisory", actors=[("japan", "initiator")])

    response = client.get("/?actor=russia")

    assert sorted(event_titles(response.text)) == ["Kremlin statement", "Putin calls Macron"]
    assert text_of(soup(response.text).h1) == "Events involving Russia · 2 events"


def test_unknown_filter_values_give_a_notice_and_a_sensible_view(client, make_event):
    make_event(title="Something")

    response = client.get("/?actor=nobody&type=<script>&order=sideways")

    assert response.status_code == 200
    assert event_titles(response.text) == ["Something"]
    notices = [text_of(li) for li in soup(response.text).select(".notice li")]
    assert "There is no actor 'nobody'; it was left out." in notices
    assert any("type values were not valid" in n for n in notices)
    assert any("Unknown order" in n for n in notices)


def test_summaries_are_rendered_as_safe_markdown(client, make_event):
    make_event(
        title="Markdown",
        summary="**Bold** [ok](https://example.org) [bad](javascript:alert(1)) <script>x</script>",
    )

    summary = soup(client.get("/").text).select_one(".summary")

    assert summary.select_one("strong").get_text() == "Bold"
    assert [a.get("href") for a in summary.select("a")] == ["https://example.org"]
    assert "javascript:" not in str(summary.select("[href]"))
    assert summary.select("script") == []


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(count_queries, make_event):
    make_event(title="One", actors=[("a", "initiator"), ("b", "counterpart")])
    few, _ = count_queries("/")
    for n in range(30):
        make_event(title=f"Event {n}", actors=[(f"actor-{n}", "initiator"), ("b", "subject")])
    many, response = count_queries("/")

    assert len(event_titles(response.text)) == 31
    assert many == few
