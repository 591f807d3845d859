"""Swimlanes in a real browser: sticky labels on a phone, titles on hover and focus, the keyboard,
filters that keep the lanes, axe-core light and dark at both widths, and screenshots."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.test_browser_timeline import MODES, open_page

pytestmark = pytest.mark.browser

LANES = "/?actor=vladimir-putin&actor=emmanuel-macron&actor=joe-biden&view=lanes&zoom=day"

axe = Axe()


def test_on_a_phone_the_labels_stay_while_the_lanes_scroll(browser: Browser, live_server: str):
    with open_page(browser, live_server, width=360) as page:
        page.goto("/?view=lanes&zoom=day")
        scroller = page.locator(".lanes-scroll")
        label = page.locator(".lane-label").first
        before = label.bounding_box()
        assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
        scroller.evaluate("e => { e.scrollLeft = 600; }")
        page.wait_for_function("document.querySelector('.lanes-scroll').scrollLeft > 0")
        after = label.bounding_box()
        assert before and after and abs(before["x"] - after["x"]) < 1
        chart = page.locator(".lanes-chart").bounding_box()
        assert chart and chart["x"] < before["x"]  # the chart moved under the labels
        # The labels' column stays on the screen, whole.
        assert after["x"] >= 0 and after["x"] + after["width"] <= 360


def test_hover_and_focus_show_the_title(page: Page) -> None:
    page.goto(LANES)
    mark = page.locator(".lane").nth(1).locator("a.mark").first  # Macron's first
    title = mark.locator("title").text_content() or ""
    assert "Macron" in title
    mark.hover()
    expect(page.locator("#lanes-caption")).to_have_text(title)
    page.locator(".lane").first.locator("a[tabindex='0']").focus()
    first_title = page.locator(".lane").first.locator("a[tabindex='0'] title").text_content()
    expect(page.locator("#lanes-caption")).to_have_text(first_title or "")


def test_the_keyboard_moves_between_marks_and_lanes_and_opens_one(page: Page) -> None:
    page.goto(LANES)
    # One tab stop per lane.
    for lane in page.locator(".lane").all():
        expect(lane.locator("a[tabindex='0']")).to_have_count(1)
    first = page.locator(".lane").first.locator("a").first
    first.focus()
    page.keyboard.press("ArrowRight")
    second = page.locator(".lane").first.locator("a").nth(1)
    expect(second).to_be_focused()
    expect(second).to_have_attribute("tabindex", "0")
    expect(first).to_have_attribute("tabindex", "-1")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.closest('.lane').dataset.lane")
    assert focused == "1"
    # The lane left keeps its tab stop.
    expect(page.locator(".lane").first.locator("a[tabindex='0']")).to_have_count(1)
    href = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    assert re.search(r"/events/\d+/[a-z0-9-]+$", page.url)


def test_a_filter_keeps_the_lanes(page: Page, live_server: str) -> None:
    page.goto("/?view=lanes&zoom=day")
    page.locator("#f-type-call").click()
    expect(page).to_have_url(live_server + "/?type=call&view=lanes&zoom=day")
    expect(page.locator(".lanes-chart")).to_be_visible()
    marks = page.locator(".lanes-chart a.mark")
    assert marks.count() > 0
    assert all("type-call" in (m.get_attribute("class") or "") for m in marks.all())
    page.locator(".zoom-switch a", has_text="Week").click()
    expect(page).to_have_url(live_server + "/?type=call&view=lanes&zoom=week")
    page.locator(".view-switch a", has_text="List").click()
    expect(page).to_have_url(live_server + "/?type=call")
    expect(page.locator("#results .event-card").first).to_be_visible()


def test_axe_finds_no_violations_and_screenshots(
    browser: Browser, live_server: str, screenshot: Callable[[Any, str], Path]
) -> None:
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto(LANES)
            expect(page.locator(".lanes-chart")).to_be_visible()
            results = axe.run(page)
            if results.violations_count:
                reports.append(f"{scheme} {width}px: {results.generate_report()}")
            page.locator(".lane").first.locator("a[tabindex='0']").focus()
            screenshot(page, f"{scheme}-{width}")
    for scheme in ("light", "dark"):
        with open_page(browser, live_server, scheme=scheme) as page:
            page.goto("/?view=lanes")
            page.locator(".lanes-text summary").click()
            results = axe.run(page)
            if results.violations_count:
                reports.append(f"/?view=lanes {scheme}: {results.generate_report()}")
            page.locator(".lanes-text summary").click()
            screenshot(page, f"auto-{scheme}")
    assert not reports, "\n".join(reports)
