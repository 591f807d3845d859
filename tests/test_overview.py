"""The overview strip above the timeline: its SVG counts exactly the events of the view (by type,
as the facets count them), each bin links to its dates in this view, scheduled events are hollow,
ranges are bars, dates known only roughly are dashed periods, never a spike on one day."""

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import Tag

from tests.html import soup, text_of

HEADING_COUNT = re.compile(r"· ([\d,]+) events?$")


def heading_total(html: str) -> int:
    found = HEADING_COUNT.search(text_of(soup(html).select_one("#view-heading")))
    assert found
    return int(found.group(1).replace(",", ""))


def strip(html: str) -> Tag:
    found = soup(html).select_one("section.overview")
    assert found is not None, "no overview strip"
    return found


def type_facets(html: str) -> dict[str, int]:
    """Type slug → the count its facet shows (ticked types included)."""
    counts = {}
    for box in soup(html).select("input[name=type]"):
        label = soup(html).select_one(f"label[for={box['id']}] .count")
        counts[box["value"]] = int(text_of(label).split()[0].replace(",", ""))
    return counts


def marks_by_type(section: Tag) -> dict[str, int]:
    """Events the strip counts, by type: the bins' and the dashed periods' segments, and the
    events known only to a year before or after the chart."""
    counts: dict[str, int] = {}
    for rect in section.select("svg.ov-chart rect.ov-seg"):
        counts[rect["data-type"]] = counts.get(rect["data-type"], 0) + int(rect["data-count"])
    for note in section.select(".ov-outside, .ov-left-out"):
        for pair in note["data-types"].split():
            slug, count = pair.split(":")
            counts[slug] = counts.get(slug, 0) + int(count)
    return counts


def counted(section: Tag) -> int:
    """Every event the strip counts: in the chart, earlier or later than it, or said to be left
    out of the band under it."""
    total = sum(marks_by_type(section).values())
    outside = 0
    for note in section.select(".ov-outside a"):
        found = re.search(r"([\d,]+) (earlier|later) events?", text_of(note))
        assert found, text_of(note)
        outside += int(found.group(1).replace(",", ""))
    assert outside == sum(
        int(pair.split(":")[1]) for note in section.select(".ov-outside")
        for pair in note["data-types"].split()
    )  # fmt: skip
    return total


def bins(section: Tag) -> list[Tag]:
    return section.select("svg.ov-chart a.ov-bin")


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def assert_adds_up(html: str) -> None:
    section = strip(html)
    assert counted(section) == heading_total(html)
    by_type = marks_by_type(section)
    facets = type_facets(html)
    chosen = [box["value"] for box in soup(html).select("input[name=type][checked]")]
    for slug, count in facets.items():
        if not chosen or slug in chosen:
            assert by_type.get(slug, 0) == count, slug
    # Bins' own totals are their segments'.
    for link in bins(section):
        segments = sum(int(r["data-count"]) for r in link.select("rect.ov-seg"))
        assert int(link["data-count"]) == segments


# The sample crisis


def test_the_strip_counts_every_event_of_the_sample_by_type(client, sample):
    html = client.get("/").text
    section = strip(html)

    assert_adds_up(html)
    assert text_of(section.select_one(".ov-caption")).startswith("Events per day")
    # Days of the crisis zone, one link each, in order.
    starts = [date.fromisoformat(b["data-from"]) for b in bins(section)]
    assert starts == sorted(starts)
    assert all(b["data-from"] == b["data-to"] for b in bins(section))
    assert (starts[0], starts[-1]) == (date(2022, 2, 7), date(2022, 2, 20))  # to the drills' end
    # Events known only to the year (2014) or month (December…) are counted beside the chart.
    assert "5 earlier events (2014–2022)" in text_of(section.select_one(".ov-notes"))


@pytest.mark.parametrize(
    "url",
    [
        "/?actor=russia",
        "/?type=call&type=meeting",
        "/?from=2022-02-10&to=2022-02-13",
        "/?q=putin",
        "/?actor=vladimir-putin&actor=joe-biden&match=all",
        "/actors/vladimir-putin",
        "/?status=scheduled",
    ],
)
def test_filtered_views_add_up_too(client, sample, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_adds_up(response.text)


def test_a_bin_links_to_its_day_in_this_view(client, sample):
    html = client.get("/?actor=russia&type=call").text
    section = strip(html)
    link = next(b for b in bins(section) if b["data-from"] == "2022-02-12")
    query = query_of(link["href"])

    assert query["from"] == query["to"] == ["2022-02-12"]
    assert query["actor"] == ["russia"] and query["type"] == ["call"]
    label = link["aria-label"]
    assert re.fullmatch(r"Sat 12 Feb 2022: \d+ events? — \d+ calls?", label), label
    assert text_of(link.select_one("title")) == label
    # Following it lists only that day, and the strip then spans that day only.
    day = client.get(link["href"])
    assert day.status_code == 200
    assert heading_total(day.text) == int(link["data-count"])
    assert [b["data-from"] for b in bins(strip(day.text))] == ["2022-02-12"]


def test_bins_keep_the_view_mode_and_every_other_filter(client, sample):
    html = client.get("/?actor=ukraine&verification=confirmed&view=lanes").text
    for link in bins(strip(html)):
        query = query_of(link["href"])
        assert query["view"] == ["lanes"]
        assert query["actor"] == ["ukraine"] and query["verification"] == ["confirmed"]


def test_chosen_dates_offer_the_way_back_to_the_whole_crisis(client, sample):
    section = strip(client.get("/?type=call&from=2022-02-10&to=2022-02-13").text)
    whole = section.select_one(".ov-whole a")

    assert text_of(whole) == "Whole crisis"
    assert whole["href"] == "/?type=call"
    assert [b["data-from"] for b in bins(section)] == [
        "2022-02-10", "2022-02-11", "2022-02-12", "2022-02-13"
    ]  # fmt: skip
    assert strip(client.get("/").text).select_one(".ov-whole") is None


def test_the_chart_is_one_tab_stop_with_a_text_alternative(client, sample):
    section = strip(client.get("/").text)
    svg = section.select_one("svg.ov-chart")
    assert svg["role"] == "group" and svg["aria-label"]
    stops = [b for b in bins(section) if b["tabindex"] == "0"]
    assert len(stops) == 1
    assert all(a["tabindex"] == "-1" for a in section.select("a.ov-bar"))
    assert not section.select("[style]")

    table = section.select_one("details.ov-table table")
    rows = table.select("tbody tr")
    assert sum(int(text_of(r.select_one("td"))) for r in rows) == heading_total(
        client.get("/").text
    )
    row = next(r for r in rows if text_of(r.select_one("th")).startswith("Sat 12 Feb 2022"))
    assert re.search(r"\d+ calls?", text_of(row))
    # The key lists the types present, with their icons.
    legend = [text_of(li) for li in section.select(".ov-legend li[class^=type-]")]
    assert "Call" in legend and "Sanctions" not in legend or "Sanctions" in legend
    for item in section.select(".ov-legend li[class^=type-]"):
        assert item.select_one("use")["href"].startswith("/static/icons.svg#")


def test_the_list_fragment_carries_the_strip_and_the_pager_does_not(client, sample):
    results = client.get("/?type=call", headers={"HX-Request": "true", "HX-Target": "results"})
    assert_adds_up_fragment = counted(strip(results.text))
    assert assert_adds_up_fragment == heading_total(client.get("/?type=call").text)


# Made-up events: scheduled, ranges, rough dates, long spans


def day_at(day: int, hour: int = 10) -> datetime:
    return datetime(2022, 3, day, hour, tzinfo=UTC)


def test_scheduled_events_are_hollow_and_ranges_are_bars(client, make_event):
    make_event(title="Talks", type_slug="meeting", start_at=day_at(1), start_precision="minute")
    make_event(title="Summit", type_slug="meeting", start_at=day_at(20), status="scheduled")
    make_event(title="Put off", type_slug="meeting", start_at=day_at(21), status="postponed")
    drill = make_event(
        title="Ten-day drill",
        type_slug="drill",
        start_at=day_at(5, 0),
        end_at=day_at(15, 0),
        end_precision="day",
    )
    html = client.get("/").text
    section = strip(html)
    assert_adds_up(html)

    summit = next(b for b in bins(section) if b["data-from"] == "2022-03-20")
    assert summit.select("rect.ov-seg.is-ahead") and "1 scheduled" in summit["aria-label"]
    talks = next(b for b in bins(section) if b["data-from"] == "2022-03-01")
    assert talks.select("rect.ov-seg") and not talks.select("rect.is-ahead")
    # The drill counts on its first day and is a bar over its ten days, linking to it.
    assert next(b for b in bins(section) if b["data-from"] == "2022-03-05")["data-count"] == "1"
    bar = section.select_one("a.ov-range")
    assert bar["href"] == f"/events/{drill}/ten-day-drill" and "type-drill" in bar["class"]
    day_width = float(talks.select_one("rect.ov-hit")["width"])
    assert float(bar.select_one("rect")["width"]) == pytest.approx(10 * day_width, rel=0.01)
    assert "Ten-day drill" in text_of(section.select_one(".ov-ranges"))
    assert "Scheduled (hollow)" in text_of(section.select_one(".ov-legend"))


def test_a_date_known_only_to_the_week_is_a_dashed_period_not_a_spike(client, make_event):
    make_event(title="Known day", start_at=day_at(1), start_precision="day")
    make_event(title="Later day", start_at=day_at(28), start_precision="day")
    # Stored at the Monday of its week, 7 Mar 2022 (Kyiv), and at 1 Mar for the month.
    make_event(title="Some day that week", start_at=datetime(2022, 3, 6, 22, tzinfo=UTC),
               start_precision="week")  # fmt: skip
    make_event(title="Late March", start_at=datetime(2022, 3, 24, 22, tzinfo=UTC),
               start_precision="month", start_approximate=True)  # fmt: skip
    html = client.get("/").text
    section = strip(html)
    assert_adds_up(html)

    counts = {b["data-from"]: int(b["data-count"]) for b in bins(section)}
    assert counts["2022-03-07"] == 0 and counts["2022-03-25"] == 0
    assert sum(counts.values()) == 2
    periods = section.select("a.ov-period")
    labels = sorted(p["aria-label"] for p in periods)
    assert labels == [
        "late March 2022 (no more precise date): 1 event — 1 statement",
        "week of 7 Mar 2022 (no more precise date): 1 event — 1 statement",
    ]
    week = next(p for p in periods if "week" in p["aria-label"])
    assert query_of(week["href"])["from"] == ["2022-03-07"]
    assert query_of(week["href"])["to"] == ["2022-03-13"]
    assert float(week.select_one("rect.ov-frame")["width"]) == pytest.approx(
        7 * float(bins(section)[0].select_one("rect.ov-hit")["width"]), rel=0.01
    )


def test_a_long_span_is_shown_by_week_then_by_month(client, make_event):
    for number in range(12):
        make_event(title=f"Event {number}", start_at=datetime(2021, 1, 4, tzinfo=UTC)
                   + timedelta(days=40 * number))  # fmt: skip
    html = client.get("/").text  # 4 Jan 2021 to 6 Mar 2022: weeks
    section = strip(html)
    assert_adds_up(html)
    assert text_of(section.select_one(".ov-caption")).startswith("Events per week")
    whole = [b for b in bins(section) if b["data-label"].startswith("Week of")]
    assert all(date.fromisoformat(b["data-from"]).weekday() == 0 for b in whole)
    assert all(
        (date.fromisoformat(b["data-to"]) - date.fromisoformat(b["data-from"])).days == 6
        for b in whole
    )

    make_event(title="Much later", start_at=datetime(2024, 6, 1, 10, tzinfo=UTC))
    html = client.get("/").text
    section = strip(html)
    assert_adds_up(html)
    assert text_of(section.select_one(".ov-caption")).startswith("Events per month")
    labels = [b["data-label"] for b in bins(section)]
    assert "February 2022" in labels and labels[-1] == "1 Jun 2024"
    february = next(b for b in bins(section) if b["data-label"] == "February 2022")
    assert (query_of(february["href"])["from"], query_of(february["href"])["to"]) == (
        ["2022-02-01"], ["2022-02-28"]
    )  # fmt: skip
    # A month known only to the month is in its month bin now: that is its precision.
    make_event(title="Some day in May", start_at=datetime(2022, 4, 30, 21, tzinfo=UTC),
               start_precision="month")  # fmt: skip
    section = strip(client.get("/").text)
    may = next(b for b in bins(section) if b["data-label"] == "May 2022")
    assert may["data-count"] == "1" and not section.select("a.ov-period")


def test_days_are_days_of_the_crisis_zone(client, make_event):
    # 23:30 UTC on 1 March is 01:30 on 2 March in Kyiv.
    make_event(title="Late call", start_at=datetime(2022, 3, 1, 23, 30, tzinfo=UTC),
               start_precision="minute")  # fmt: skip
    make_event(title="Early call", start_at=datetime(2022, 3, 1, 8, tzinfo=UTC),
               start_precision="minute")  # fmt: skip
    section = strip(client.get("/").text)
    assert {b["data-from"]: b["data-count"] for b in bins(section)} == {
        "2022-03-01": "1", "2022-03-02": "1"
    }  # fmt: skip


def test_no_strip_without_events(client, sample):
    html = client.get("/?type=call&from=2022-02-16").text
    assert soup(html).select_one("section.overview") is None


# At scale


def test_ten_thousand_events_add_up_in_a_fixed_number_of_queries(big_client):
    for url in ["/", "/?type=call&type=drill", "/?from=2023-03-01&to=2023-04-15"]:
        response = big_client.get(url)
        assert response.status_code == 200
        assert_adds_up(response.text)


def test_the_strip_costs_a_fixed_number_of_queries(count_queries, make_event):
    make_event(title="One", start_at=day_at(1))
    few, response = count_queries("/")
    assert strip(response.text)
    for number in range(40):
        start = day_at(1) + timedelta(days=number * 3, hours=number)
        make_event(
            title=f"Event {number}",
            type_slug=["call", "drill", "statement"][number % 3],
            start_at=start,
            start_precision=["minute", "day", "week", "month"][number % 4],
            end_at=start + timedelta(days=2) if number % 5 == 0 else None,
            status="scheduled" if number % 7 == 0 else "occurred",
        )
    many, response = count_queries("/")
    assert_adds_up(response.text)
    assert many == few


def test_a_view_as_it_stood_adds_up_from_the_past(client, make_event):
    make_event(title="Then", start_at=day_at(1), start_precision="minute")
    make_event(title="Rough", start_at=datetime(2022, 3, 6, 22, tzinfo=UTC), start_precision="week")
    make_event(title="Drill", type_slug="drill", start_at=day_at(3), end_at=day_at(9))
    make_event(title="Not yet", start_at=day_at(4), published_at=datetime(2024, 1, 1, tzinfo=UTC))
    html = client.get("/?as_of=2023-01-01").text
    section = strip(html)

    assert_adds_up(html)
    assert heading_total(html) == 3
    assert {b["data-from"]: b["data-count"] for b in bins(section) if b["data-count"] != "0"} == {
        "2022-03-01": "1", "2022-03-03": "1"
    }  # fmt: skip
    assert len(section.select("a.ov-period")) == 1 and len(section.select("a.ov-range")) == 1
    assert all("as_of=2023-01-01" in b["href"] for b in bins(section))
