"""Relations on an actor's page: whom it dealt with, how often, by type and on which days."""

import re
from datetime import UTC, datetime

from bs4 import Tag

from tests.html import soup, text_of

PUTIN = "/actors/vladimir-putin"
HEADING = re.compile(r"· ([\d,]+) events?$")


def rows(html: str) -> list[Tag]:
    return soup(html).select("#relations tbody tr")


def row_named(html: str, name: str) -> Tag:
    for row in rows(html):
        if text_of(row.select_one("th a")) == name:
            return row
    raise AssertionError(f"no relations row for {name}")


def names(html: str) -> list[str]:
    return [text_of(row.select_one("th a")) for row in rows(html)]


def heading_count(html: str) -> int:
    found = HEADING.search(text_of(soup(html).select_one("#view-heading")))
    assert found, text_of(soup(html).select_one("#view-heading"))
    return int(found.group(1).replace(",", ""))


def row_count(row: Tag) -> int:
    return int(text_of(row.select_one(".relations-count .count")).split()[0].replace(",", ""))


def type_breakdown(row: Tag) -> dict[str, int]:
    """Type slug → count, from the icons next to the bar (the bar's segments say the same)."""
    counts = {}
    for part in row.select(".relations-types > span"):
        (slug,) = [c.removeprefix("type-") for c in part["class"] if c.startswith("type-")]
        counts[slug] = int(text_of(part))
    return counts


def days_of(row: Tag) -> dict[str, float]:
    """Day (ISO) → the x of its dots in the row's strip."""
    found = {}
    for link in row.select(".relations-strip a"):
        xs = {float(circle["cx"]) for circle in link.select("circle")}
        assert len(xs) == 1, "a day's dots stack in one column"
        found[link["data-day"]] = xs.pop()
    return found


def test_putin_dealt_with_lukashenko_macron_and_biden_on_the_same_day(client, sample):
    html = client.get(PUTIN).text
    listed = names(html)
    for name in ["Alexander Lukashenko", "Emmanuel Macron", "Joe Biden"]:
        assert name in listed
    # Russia shares every one of his events: no counterpart. Belarus only repeats Lukashenko.
    assert "Russia" not in listed and "Belarus" not in listed
    assert "France" in listed  # Macron and the Élysée together: more than either

    people = ["Alexander Lukashenko", "Emmanuel Macron", "Joe Biden"]
    xs = {name: days_of(row_named(html, name)) for name in people}
    assert {x["2022-02-12"] for x in xs.values()} == {xs["Joe Biden"]["2022-02-12"]}
    # The strip's accessible name says it in words.
    strip = row_named(html, "Alexander Lukashenko").select_one(".relations-strip")
    assert strip["aria-label"] == "12 Feb 2022: 1 call"


def test_counts_and_types_are_the_dyad_views_they_link_to(client, sample):
    html = client.get(PUTIN).text
    counts = [row_count(row) for row in rows(html)]
    assert counts == sorted(counts, reverse=True)
    for row in rows(html):
        href = row.select_one("th a")["href"]
        dyad = client.get(href)
        assert dyad.status_code == 200, href
        assert heading_count(dyad.text) == row_count(row), href
        facets = {
            box["value"]: int(text_of(box.find_next("span", class_="count")).split()[0])
            for box in soup(dyad.text).select("input[name=type]")
        }
        assert type_breakdown(row) == {slug: n for slug, n in facets.items() if n}, href
        assert sum(type_breakdown(row).values()) == row_count(row)


def test_a_day_links_to_the_dyad_view_of_that_day(client, sample):
    row = row_named(client.get(PUTIN).text, "Joe Biden")
    link = row.select_one('.relations-strip a[data-day="2022-02-12"]')
    assert link["aria-label"] == "12 Feb 2022: 1 call, 1 statement, 1 diplomatic move"
    assert link["href"] == f"{PUTIN}?actor=joe-biden&from=2022-02-12&to=2022-02-12"
    day = client.get(link["href"]).text
    assert heading_count(day) == 3
    # Their late-December exchange is known only roughly: a hollow mark, said as such.
    rough = row.select_one('.relations-strip a[data-day="2021-12-30"]')
    assert rough["aria-label"] == "late December 2021: 1 call"
    assert "is-rough" in rough.select_one("circle")["class"]


def test_every_row_shares_one_time_axis(client, sample):
    by_day: dict[str, set[float]] = {}
    for row in rows(client.get(PUTIN).text):
        for day, x in days_of(row).items():
            by_day.setdefault(day, set()).add(x)
    assert all(len(xs) == 1 for xs in by_day.values()), by_day
    positions = [by_day[day].pop() for day in sorted(by_day)]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_filters_narrow_the_relations(client, sample):
    calls = client.get(f"{PUTIN}?type=call").text
    assert set(names(calls)) >= {"Alexander Lukashenko", "Emmanuel Macron", "Joe Biden"}
    assert "Kremlin" not in names(calls)  # they shared a diplomatic move, not a call
    for row in rows(calls):
        assert set(type_breakdown(row)) == {"call"}
    assert "in this view (Calls involving Vladimir Putin" in text_of(
        soup(calls).select_one("#relations")
    )

    dyad = client.get(f"{PUTIN}?actor=joe-biden").text
    # Biden and his parent are the view's own actors now: the rows are third parties.
    assert "Joe Biden" not in names(dyad) and "United States" not in names(dyad)
    assert "White House" in names(dyad)

    earlier = client.get(f"{PUTIN}?to=2022-01-31").text
    assert names(earlier) == ["Joe Biden"]


def test_a_filter_applied_with_htmx_swaps_the_relations_too(client, sample):
    """The filter form and facet links replace only the list: the relations come out of band,
    so the section never describes the filters the reader just left."""
    headers = {"HX-Request": "true", "HX-Target": "results"}
    fragment = client.get(f"{PUTIN}?type=call", headers=headers).text
    section = soup(fragment).select_one("#relations")
    assert section is not None and section["hx-swap-oob"] == "true"
    assert names(fragment) == names(client.get(f"{PUTIN}?type=call").text)
    assert "Kremlin" not in names(fragment)
    # Loading more of the list leaves the section alone.
    page = client.get(PUTIN, headers={"HX-Request": "true", "HX-Target": "pager"}).text
    assert soup(page).select_one("#relations") is None


def test_an_actor_without_shared_events_says_so(client, make_event):
    make_event(title="Alone", actors=[("lonely-actor", "initiator")])
    html = client.get("/actors/lonely-actor").text
    section = soup(html).select_one("#relations")
    assert section is not None and not rows(html)
    assert "shares no event with another actor yet" in text_of(section)

    html = client.get("/actors/lonely-actor?type=call").text
    assert "No event in this view involves" in text_of(soup(html).select_one("#relations"))


def test_more_counterparts_than_rows_are_listed_below(client, make_event):
    for number in range(15):
        for _ in range(number + 1):
            make_event(
                actors=[("hub-actor", "initiator"), (f"partner-{number:02d}", "counterpart")],
                start_at=datetime(2022, 2, 1 + number, 12, tzinfo=UTC),
            )
    html = client.get("/actors/hub-actor").text
    assert len(rows(html)) == 12
    assert names(html)[0] == "Partner 14"
    more = soup(html).select_one("#relations details.relations-more")
    assert text_of(more.select_one("summary")) == "3 more actors"
    assert [text_of(a).split(" ")[1] for a in more.select("a")] == ["02", "01", "00"]


def test_days_are_days_in_the_crisis_zone(client, make_event):
    # 23:30 UTC on the 1st is half past one on the 2nd in Kyiv: one day, not two.
    for hour, minute in [(23, 30), (2, 0)]:
        day = 1 if hour == 23 else 2
        make_event(
            type_slug="call",
            start_precision="minute",
            actors=[("night-owl", "initiator"), ("early-bird", "counterpart")],
            start_at=datetime(2022, 2, day, hour, minute, tzinfo=UTC),
        )
    row = row_named(client.get("/actors/night-owl").text, "Early Bird")
    assert list(days_of(row)) == ["2022-02-02"]
    assert row.select_one(".relations-strip")["aria-label"] == "2 Feb 2022: 2 calls"


def test_relations_cost_a_fixed_number_of_statements(count_queries, make_event):
    make_event(title="Alone", actors=[("quiet-actor", "initiator")])
    few, response = count_queries("/actors/quiet-actor")
    assert response.status_code == 200
    for number in range(40):
        make_event(
            type_slug=["call", "meeting", "statement"][number % 3],
            actors=[("busy-actor", "initiator"), (f"counterpart-{number % 20}", "counterpart")],
            start_at=datetime(2022, 1, 1 + number % 28, 9, tzinfo=UTC),
        )
    many, response = count_queries("/actors/busy-actor")
    assert len(rows(response.text)) == 12
    assert many == few


def test_a_busy_actor_at_ten_thousand_events(big_client):
    index = soup(big_client.get("/actors").text)
    slugs = [a["href"] for a in index.select("a[href^='/actors/']")]
    for href in slugs[:3]:
        response = big_client.get(href)
        assert response.status_code == 200, href
        html = response.text
        assert len(rows(html)) <= 12
        for row in rows(html)[:2]:
            dyad = big_client.get(row.select_one("th a")["href"]).text
            assert heading_count(dyad) == row_count(row)
