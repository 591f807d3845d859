"""The overview strip in a real browser: a click on a day, a drag across days and the keyboard
each choose dates through the URL; without JavaScript the bins are plain links; axe-core finds
nothing, light and dark, desktop and phone; screenshots of each."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.test_browser_timeline import MODES, axe_report, open_page

pytestmark = pytest.mark.browser

HEADING = re.compile(r"· (\d+) events?$")


def bin_of(page: Page, day: str) -> Locator:
    return page.locator(f"svg.ov-chart a.ov-bin[data-from='{day}']")


def heading_total(page: Page) -> int:
    heading = page.locator("#view-heading")
    expect(heading).to_have_text(HEADING)
    found = HEADING.search(heading.inner_text())
    assert found
    return int(found.group(1))


def listed_days(page: Page) -> set[str]:
    return set(page.locator("#results .day-heading").all_inner_texts())


def test_a_click_on_a_day_lists_that_day(page: Page, live_server: str) -> None:
    page.goto("/")
    page.evaluate("window.__marker = 1")
    day = bin_of(page, "2022-02-12")
    count = int(day.get_attribute("data-count") or 0)
    assert count > 1

    day.locator("rect.ov-hit").click()

    expect(page).to_have_url(live_server + "/?from=2022-02-12&to=2022-02-12")
    expect(page.locator("#view-heading")).to_have_text(re.compile(r"on 12 Feb 2022 · "))
    # The day's events, and the drills under way since 10 Feb (a bar under the bins).
    assert heading_total(page) == count + 1
    assert listed_days(page) == {
        "Saturday 12 February 2022", "Around 12 Feb 2022", "Thursday 10 February 2022"
    }  # the day, "around" it, and the drills under way since the 10th  # fmt: skip
    assert page.evaluate("window.__marker") == 1, "the list was swapped in place, not reloaded"
    expect(page.locator("#f-from")).to_have_value("2022-02-12")
    # The strip now spans that day, with the way back.
    expect(page.locator("svg.ov-chart a.ov-bin")).to_have_count(1)
    page.locator(".ov-whole a").click()
    expect(page).to_have_url(live_server + "/")


def test_dragging_across_days_chooses_them(page: Page, live_server: str) -> None:
    page.goto("/?actor=russia")
    first = bin_of(page, "2022-02-10").locator("rect.ov-hit").bounding_box()
    last = bin_of(page, "2022-02-13").locator("rect.ov-hit").bounding_box()
    assert first and last
    y = first["y"] + first["height"] / 2
    page.mouse.move(first["x"] + first["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, y, steps=8)
    expect(page.locator("svg.ov-chart .ov-brush")).to_have_count(1)
    expect(page.locator("svg.ov-chart a.ov-bin.is-selected")).to_have_count(4)
    page.mouse.up()

    expect(page).to_have_url(live_server + "/?actor=russia&from=2022-02-10&to=2022-02-13")
    expect(page.locator("#view-heading")).to_have_text(
        re.compile(r"^Events involving Russia from 10 Feb 2022 to 13 Feb 2022 · \d+ events$")
    )
    for day in listed_days(page):
        assert re.search(r"1[0-3] Feb(ruary)? 2022|week of 7 Feb 2022", day), day
    page.go_back()
    expect(page).to_have_url(live_server + "/?actor=russia")


def test_the_keyboard_moves_between_days_and_chooses_them(page: Page, live_server: str) -> None:
    page.goto("/")
    stop = page.locator("svg.ov-chart a.ov-bin[tabindex='0']")
    expect(stop).to_have_count(1)
    page.locator("#q").focus()
    for _ in range(40):  # Tab until the chart: one stop
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('ov-bin')"):
            break
    active = "document.activeElement.dataset.from"
    assert page.evaluate(active) == "2022-02-15"  # the last day with events
    page.keyboard.press("Home")
    assert page.evaluate(active) == "2022-02-07"
    page.keyboard.press("End")
    for _ in range(8):
        page.keyboard.press("ArrowLeft")
    assert page.evaluate(active) == "2022-02-12"
    expect(page.locator("svg.ov-chart a.ov-bin[tabindex='0']")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + "/?from=2022-02-12&to=2022-02-12")

    page.goto("/")
    bin_of(page, "2022-02-10").focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("svg.ov-chart a.ov-bin.is-selected")).to_have_count(3)
    expect(page.locator(".ov-status")).to_have_text(
        re.compile(r"^Thu 10 Feb 2022 to Sat 12 Feb 2022: \d+ events\. Enter shows them\.$")
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + "/?from=2022-02-10&to=2022-02-12")


def test_without_javascript_a_day_is_a_plain_link(browser: Browser, live_server: str) -> None:
    with open_page(browser, live_server, js=False) as page:
        page.goto("/?type=call")
        bin_of(page, "2022-02-12").locator("rect.ov-hit").click()
        expect(page).to_have_url(live_server + "/?type=call&from=2022-02-12&to=2022-02-12")
        assert heading_total(page) >= 1
        page.locator("details.ov-table summary").click()
        expect(page.locator("details.ov-table tbody tr")).to_have_count(1)


def test_overview_screenshots_light_and_dark_on_desktop_and_phone(
    browser: Browser, live_server: str, screenshot: Callable[[Any, str], Any]
) -> None:
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto("/")
            strip = page.locator("section.overview")
            expect(strip).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            box = page.locator("svg.ov-chart").bounding_box()
            assert box and box["width"] > width * 0.6
            screenshot(page, f"{scheme}-{width}")
            path = screenshot(page, f"{scheme}-{width}")
            strip.screenshot(path=str(path.with_name(f"{path.stem}-strip.png")))
            if scheme == "light" and width == 1280:
                bin_of(page, "2022-02-12").focus()
                page.keyboard.press("Shift+ArrowLeft")
                strip.screenshot(path=str(path.with_name(f"{path.stem}-strip-focus.png")))


@pytest.mark.parametrize("url", ["/", "/?actor=russia&from=2022-02-10&to=2022-02-16"])
def test_axe_finds_no_violations_with_the_strip(browser: Browser, live_server: str, url) -> None:
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto(url)
            page.locator("details.ov-table summary").click()
            bin_of(page, "2022-02-12").focus()
            reports.append(axe_report(page, f"{url} {scheme} {width}px"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
