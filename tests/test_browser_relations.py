"""Relations on an actor's page in a real browser: axe-clean light and dark, desktop and phone,
legible (screenshots), and each row leads to the dyad view it counts."""

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.test_browser_timeline import MODES, axe_report, open_page

pytestmark = pytest.mark.browser

PUTIN = "/actors/vladimir-putin"


def test_relations_are_accessible_and_legible(browser: Browser, live_server: str, screenshot):
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto(PUTIN)
            section = page.locator("#relations")
            expect(section.get_by_role("table")).to_be_visible()
            expect(section.get_by_role("link", name="Alexander Lukashenko")).to_be_visible()
            # The section never widens the page: at 360 px the table scrolls in its own box.
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{scheme} {width}px: the page scrolls sideways"
            reports.append(axe_report(page, f"{scheme} {width}px"))
            section.scroll_into_view_if_needed()
            screenshot(page, f"{scheme}-{width}")
    assert not "".join(reports), "".join(reports)


def test_the_names_stay_in_view_while_the_days_scroll(browser: Browser, live_server: str):
    with open_page(browser, live_server, width=360) as page:
        page.goto(PUTIN)
        box = page.locator("#relations .relations-scroll")
        name = page.locator("#relations tbody th").first
        before = name.bounding_box()
        box.evaluate("element => { element.scrollLeft = element.scrollWidth }")
        assert box.evaluate("element => element.scrollLeft") > 0, "the table fits: nothing scrolls"
        after = name.bounding_box()
        assert before and after and abs(before["x"] - after["x"]) < 1


def test_a_row_and_a_day_open_the_dyad_view(browser: Browser, live_server: str):
    with open_page(browser, live_server) as page:
        page.goto(PUTIN)
        row = page.locator("#relations tbody tr", has=page.get_by_role("link", name="Joe Biden"))
        count = int(row.locator(".relations-count .count").inner_text().split()[0])
        row.get_by_role("link", name="Joe Biden").click()
        expect(page).to_have_url(f"{live_server}{PUTIN}?actor=joe-biden")
        expect(page.locator("#view-heading")).to_have_text(
            re.compile(rf"Joe Biden · {count} events?$")
        )

        page.goto(PUTIN)
        lukashenko = page.locator(
            "#relations tbody tr", has=page.get_by_role("link", name="Alexander Lukashenko")
        )
        link = lukashenko.get_by_role("link", name="12 Feb 2022: 1 call")
        link.focus()  # reachable by keyboard
        page.keyboard.press("Enter")
        expect(page).to_have_url(
            f"{live_server}{PUTIN}?actor=alexander-lukashenko&from=2022-02-12&to=2022-02-12"
        )
        expect(page.locator("#results .event-card")).to_have_count(1)
