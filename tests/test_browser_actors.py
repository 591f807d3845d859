"""Actor pages in a real browser: the index filtered as one types (and as a plain form without
JavaScript), an actor's timeline filtered in place, on a desktop and a phone, light and dark,
checked with axe-core."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.test_browser_timeline import MODES, axe_report, heading_count, open_page

pytestmark = pytest.mark.browser

RUSSIA_HEADING = re.compile(r"^Events involving Russia · (\d+) events?$")
RUSSIAN_CALLS = re.compile(r"^Calls involving Russia · (\d+) events?$")


def entries(page: Page) -> Locator:
    return page.locator("#actor-index .actor-list a")


# The index


def test_the_index_filters_as_you_type_and_back_restores_the_whole_list(
    page: Page, live_server: str
) -> None:
    page.goto("/actors")
    everyone = entries(page).count()
    assert everyone > 30
    page.evaluate("window.__marker = 1")

    box = page.locator("#actor-q")
    box.press_sequentially("zelen", delay=40)

    expect(entries(page)).to_have_text(["Volodymyr Zelenskiy"])
    expect(page).to_have_url(live_server + "/actors?q=zelen")
    expect(page).to_have_title("Actors matching “zelen” · Brink")
    expect(page.locator("#actor-count")).to_have_text("1 actor matching “zelen”")
    expect(box).to_be_focused()
    assert page.evaluate("window.__marker") == 1  # swapped in place, not reloaded

    box.fill("")
    expect(entries(page)).to_have_count(everyone)
    expect(page).to_have_url(live_server + "/actors")

    box.press_sequentially("Kiev", delay=40)  # an alias
    expect(entries(page)).to_have_text(["US Embassy in Kyiv"])
    page.go_back()
    expect(entries(page)).to_have_count(everyone)

    entries(page).filter(has_text="Vladimir Putin").click()
    expect(page).to_have_url(live_server + "/actors/vladimir-putin")
    expect(page.locator("h1")).to_have_text("Vladimir Putin")


def test_without_javascript_the_index_filter_is_a_form(browser: Browser, live_server: str) -> None:
    with open_page(browser, live_server, js=False) as page:
        page.goto("/actors")
        page.locator("#actor-q").fill("  putin ")
        page.locator(".actor-filter button").click()

        expect(page).to_have_url(live_server + "/actors?q=putin")
        expect(entries(page)).to_have_text(["Vladimir Putin"])

        page.locator(".index-summary a").click()  # "Show all actors"
        expect(page).to_have_url(live_server + "/actors")
        assert entries(page).count() > 30


# An actor's page


def test_an_actor_timeline_is_filtered_in_place_under_its_profile(
    page: Page, live_server: str
) -> None:
    page.goto("/actors/russia")
    everything = heading_count(page, RUSSIA_HEADING)
    page.evaluate("window.__marker = 1")

    page.locator("#f-type-call").click()

    calls = heading_count(page, RUSSIAN_CALLS)
    assert 0 < calls < everything
    expect(page).to_have_url(live_server + "/actors/russia?type=call")
    expect(page).to_have_title(f"Calls involving Russia · {calls} events · Brink")
    expect(page.locator("#results .event-card")).to_have_count(calls)
    expect(page.locator(".actor-profile h1")).to_have_text("Russia")
    assert page.evaluate("window.__marker") == 1

    # The profile's counts by type swap the timeline too.
    page.locator(".actor-profile .count-links a", has_text="Statements").click()
    expect(page.locator("#view-heading")).to_have_text(re.compile(r"^Statements involving Russia"))
    expect(page).to_have_url(live_server + "/actors/russia?type=statement")

    page.go_back()
    assert heading_count(page, RUSSIAN_CALLS) == calls
    page.go_back()
    assert heading_count(page, RUSSIA_HEADING) == everything
    expect(page).to_have_title("Russia · Brink")


def test_the_actor_finder_on_an_actor_page_narrows_to_events_together(
    page: Page, live_server: str
) -> None:
    page.goto("/actors/russia")
    page.locator("#who").press_sequentially("Zelen", delay=40)
    suggestion = page.locator("#s-actor-volodymyr-zelenskiy")
    expect(suggestion).to_be_visible()

    suggestion.click()  # the panel is swapped: the ticked box is a new element

    expect(page).to_have_url(live_server + "/actors/russia?actor=volodymyr-zelenskiy")
    expect(page.locator("#view-heading")).to_have_text(
        re.compile(r"^Events involving Russia and Volodymyr Zelenskiy · \d+ events?$")
    )
    expect(page.locator("#f-actor-volodymyr-zelenskiy")).to_be_checked()
    expect(page.locator("#f-actor-volodymyr-zelenskiy")).to_be_focused()
    expect(page.locator("#f-actor-russia")).to_have_count(0)


def test_without_javascript_an_actor_page_filters_with_its_own_form(
    browser: Browser, live_server: str
) -> None:
    with open_page(browser, live_server, js=False) as page:
        page.goto("/actors/russia")
        page.locator("#f-type-call").check()
        page.locator("#f-actor-ukraine").check()
        page.locator("button.apply").click()

        expect(page).to_have_url(live_server + "/actors/russia?actor=ukraine&type=call")
        expect(page.locator("#view-heading")).to_have_text(
            re.compile(r"^Calls involving Russia and Ukraine · \d+ events?$")
        )
        page.locator(".chips .clear-all").click()
        expect(page).to_have_url(live_server + "/actors/russia")


# Phones, dark mode, screenshots, axe

PAGES = {"index": "/actors", "filtered": "/actors?q=ru", "russia": "/actors/russia",
         "putin-calls": "/actors/vladimir-putin?type=call"}  # fmt: skip


def test_actor_pages_on_a_phone_in_dark_mode_and_on_a_desktop(
    browser: Browser, live_server: str, screenshot: Callable[[Any, str], Any]
) -> None:
    for scheme, width in [("light", 1280), ("dark", 360)]:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            for name in ["index", "russia", "putin-calls"]:
                page.goto(PAGES[name])
                scrolled = page.evaluate("document.documentElement.scrollWidth")
                assert scrolled <= width, f"{PAGES[name]} is {scrolled}px wide on {width}px"
                shot = screenshot(page, f"{name}-{width}-{scheme}")
                if name == "russia":
                    top = shot.with_name(f"{shot.stem}-profile.png")
                    page.locator(".actor-profile").screenshot(path=str(top))


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violations(browser: Browser, live_server: str, name: str) -> None:
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto(PAGES[name])
            reports.append(axe_report(page, f"{PAGES[name]} {scheme} {width}px"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
