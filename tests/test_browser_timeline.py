"""The timeline in a real browser: filters, search, paging and "around", with JavaScript and
without, on a desktop and a phone, in light and dark, checked with axe-core."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect

pytestmark = pytest.mark.browser

CALLS_WITH_RUSSIA = "/?actor=russia&type=call"
EMPTY = "/?type=call&from=2022-02-16"  # no call after the 15th in the sample
CALLS_HEADING = re.compile(r"^Calls involving Russia · (\d+) events?$")
RUSSIA_HEADING = re.compile(r"^Events involving Russia · (\d+) events?$")
EXTRA_EVENTS = 7  # the sample's 50 fill exactly one page: these make a short second one

axe = Axe()


@contextmanager
def open_page(
    browser: Browser, base_url: str, width: int = 1280, scheme: str = "light", js: bool = True
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": 900 if width > 600 else 740},
        color_scheme=scheme,
        java_script_enabled=js,
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def heading_count(page: Page, pattern: re.Pattern[str]) -> int:
    """Wait for the heading to read `pattern`, and return the number of events it announces."""
    heading = page.locator("#view-heading")
    expect(heading).to_have_text(pattern)
    found = pattern.match(heading.inner_text())
    assert found, heading.inner_text()
    return int(found.group(1))


def cards(page: Page) -> Locator:
    return page.locator("#results .event-card")


def add_older_events(make_event: Callable[..., int], count: int = EXTRA_EVENTS) -> None:
    """Events dated before the whole sample crisis, so they come last, on a second page."""
    start = datetime(2010, 1, 1, 9, 0, tzinfo=UTC)
    for number in range(count):
        make_event(title=f"Earlier incident {number + 1}", start_at=start + timedelta(days=number))


def russia_then_calls(page: Page) -> tuple[int, int]:
    """Tick Russia, wait for the view to change, tick Call: how many events each view has."""
    page.locator("#f-actor-russia").click()
    with_russia = heading_count(page, RUSSIA_HEADING)
    page.locator("#f-type-call").click()
    return with_russia, heading_count(page, CALLS_HEADING)


# Filtering with JavaScript: the list is swapped in place, the URL follows


def test_ticking_two_filters_swaps_the_view_in_place(page: Page, live_server: str) -> None:
    page.goto("/")
    page.evaluate("window.__marker = 1")

    _, calls = russia_then_calls(page)

    heading = page.locator("#view-heading").inner_text()
    expect(page).to_have_url(live_server + CALLS_WITH_RUSSIA)
    expect(page).to_have_title(f"{heading} · Brink")
    expect(cards(page)).to_have_count(calls)
    assert calls > 0
    for label in cards(page).locator(".type-label").all_inner_texts():
        assert label.strip() == "Call"
    # The reader stays where they were, and a screen reader hears the new heading.
    expect(page.locator("#f-type-call")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "f-type-call"
    expect(page.locator("#f-type-call")).to_be_checked()
    expect(page.locator("#f-actor-russia")).to_be_checked()
    expect(page.locator("#result-count")).to_have_text(heading)
    # Not a page load: what the first page set up is still there.
    assert page.evaluate("window.__marker") == 1
    expect(page.locator(".chips .chip")).to_have_text(
        ["Actor: Russia, remove ✕", "Type: Call, remove ✕"]
    )


def test_back_and_forward_restore_each_view(page: Page, live_server: str) -> None:
    page.goto("/")
    page.evaluate("window.__marker = 1")
    russia = page.locator("#f-actor-russia")
    call = page.locator("#f-type-call")
    with_russia, calls = russia_then_calls(page)

    page.go_back()
    expect(page).to_have_url(live_server + "/?actor=russia")
    assert heading_count(page, RUSSIA_HEADING) == with_russia
    expect(cards(page)).to_have_count(with_russia)
    expect(russia).to_be_checked()
    expect(call).not_to_be_checked()

    page.go_forward()
    expect(page).to_have_url(live_server + CALLS_WITH_RUSSIA)
    assert heading_count(page, CALLS_HEADING) == calls
    expect(cards(page)).to_have_count(calls)
    expect(russia).to_be_checked()
    expect(call).to_be_checked()
    assert page.evaluate("window.__marker") == 1


def test_typing_a_search_shows_matches_highlighted(page: Page, live_server: str) -> None:
    page.goto("/")
    search = page.locator("#q")
    search.press_sequentially("submarine", delay=40)

    found = heading_count(page, re.compile(r"^Events matching “submarine” · (\d+) events?$"))
    assert found > 0
    expect(page).to_have_url(live_server + "/?q=submarine")
    expect(cards(page)).to_have_count(found)
    for card in cards(page).all():
        expect(card.locator("mark").first).to_be_visible()
    # Typing is not interrupted: the box keeps its focus and its text.
    expect(search).to_be_focused()
    expect(search).to_have_value("submarine")


def test_back_after_a_search_and_a_filter_restores_the_search_text(
    page: Page, live_server: str
) -> None:
    matching = re.compile(r"^Events matching “putin” · (\d+) events?$")
    page.goto("/")
    search = page.locator("#q")
    search.press_sequentially("putin", delay=40)
    found = heading_count(page, matching)
    page.locator("#f-type-call").click()
    heading_count(page, re.compile(r"^Calls matching “putin” · (\d+) events?$"))

    page.go_back()
    expect(page).to_have_url(live_server + "/?q=putin")
    assert heading_count(page, matching) == found
    expect(search).to_have_value("putin")
    # So the next filter narrows the search instead of silently dropping it.
    page.locator("#f-type-meeting").click()
    expect(page).to_have_url(live_server + "/?type=meeting&q=putin")
    expect(page.locator("#view-heading")).to_contain_text("matching “putin”")

    page.go_back()
    page.go_back()
    expect(page).to_have_url(live_server + "/")
    heading_count(page, re.compile(r"^All events · (\d+) events$"))
    expect(search).to_have_value("")


def test_the_actor_finder_suggests_as_you_type(page: Page, live_server: str) -> None:
    page.goto("/")
    page.locator("#who").press_sequentially("Zelen", delay=40)

    suggestion = page.locator("#s-actor-volodymyr-zelenskiy")
    expect(suggestion).to_be_visible()
    expect(page.locator("#actor-suggestions label")).to_contain_text(["Volodymyr Zelenskiy"])
    suggestion.click()

    heading_count(page, re.compile(r"^Events involving Volodymyr Zelenskiy · (\d+) events?$"))
    expect(page).to_have_url(live_server + "/?actor=volodymyr-zelenskiy")
    expect(page.locator("#f-actor-volodymyr-zelenskiy")).to_be_checked()
    expect(page.locator(".chips .chip").first).to_contain_text("Volodymyr Zelenskiy")


def test_around_an_old_event_scrolls_to_it_and_focuses_it(page: Page) -> None:
    page.goto("/")
    oldest = cards(page).last.get_attribute("id") or ""
    event_id = oldest.removeprefix("event-")

    page.goto(f"/?around={event_id}")
    card = page.locator(f"#{oldest}")
    expect(card).to_have_class(re.compile(r"\bis-around\b"))
    expect(card).to_be_focused()
    expect(card).to_be_in_viewport()
    box = card.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 900, box
    assert page.evaluate("window.scrollY") > 0  # it was not simply at the top already
    expect(page.locator(".is-around")).to_have_count(1)
    expect(page.locator("#pager a.previous")).to_be_visible()  # newer events, one link away


def test_load_more_appends_the_next_page(
    page: Page, live_server: str, make_event: Callable[..., int]
) -> None:
    add_older_events(make_event)
    page.goto("/")
    expect(cards(page)).to_have_count(50)
    page.evaluate("window.__marker = 1")

    page.locator("#pager a.load-more").click()

    expect(cards(page)).to_have_count(50 + EXTRA_EVENTS)
    expect(cards(page).last).to_contain_text("Earlier incident 1")
    ids = cards(page).evaluate_all("cards => cards.map(card => card.id)")
    assert len(set(ids)) == len(ids)
    expect(page.locator("#pager a.load-more")).to_have_count(0)
    expect(page.locator("#pager .end")).to_have_text("End of this view.")
    expect(page.locator(".page-start")).to_be_focused()  # the first of the new events' days
    expect(page).to_have_url(live_server + "/")
    assert page.evaluate("window.__marker") == 1


# Without JavaScript: a GET form and plain links


def test_without_javascript_the_filters_are_a_form(browser: Browser, live_server: str) -> None:
    with open_page(browser, live_server, js=False) as page:
        page.goto("/")
        apply = page.locator("button.apply")
        expect(apply).to_be_visible()
        page.locator("#f-actor-russia").check()
        page.locator("#f-type-call").check()
        apply.click()

        expect(page).to_have_url(live_server + CALLS_WITH_RUSSIA)
        calls = heading_count(page, CALLS_HEADING)
        expect(cards(page)).to_have_count(calls)
        for label in cards(page).locator(".type-label").all_inner_texts():
            assert label.strip() == "Call"

        # A name typed in the actor box and submitted adds that actor.
        page.locator("#who").fill("Zelensky")
        page.locator("button.find").click()
        expect(page).to_have_url(live_server + "/?actor=russia&actor=volodymyr-zelenskiy&type=call")
        chips = page.locator(".chips .chip")
        expect(chips).to_have_count(3)
        zelenskiy = chips.filter(has_text="Volodymyr Zelenskiy")
        expect(zelenskiy).to_have_count(1)
        expect(page.locator("#view-heading")).to_contain_text("Volodymyr Zelenskiy")
        expect(page.locator("#f-actor-volodymyr-zelenskiy")).to_be_checked()

        # Each chip is a link to the view without it.
        zelenskiy.click()
        expect(page).to_have_url(live_server + CALLS_WITH_RUSSIA)
        expect(zelenskiy).to_have_count(0)
        assert heading_count(page, CALLS_HEADING) == calls

        page.locator(".chips .clear-all").click()
        expect(page).to_have_url(live_server + "/")
        expect(page.locator(".chips")).to_have_count(0)


def test_without_javascript_pages_are_plain_links(
    browser: Browser, live_server: str, make_event: Callable[..., int]
) -> None:
    add_older_events(make_event)
    with open_page(browser, live_server, js=False) as page:
        page.goto("/")
        expect(cards(page)).to_have_count(50)
        expect(page.locator("#pager a.previous")).to_have_count(0)

        page.locator("#pager a.load-more").click()
        expect(page).to_have_url(re.compile(r"/\?cursor="))
        expect(cards(page)).to_have_count(EXTRA_EVENTS)
        expect(page.locator("#pager a.load-more")).to_have_count(0)

        page.locator("#pager a.previous").click()
        expect(cards(page)).to_have_count(50)
        expect(page.locator("#pager a.load-more")).to_be_visible()


# Phones, dark mode, screenshots


def test_screenshots_and_no_sideways_scrolling_on_a_phone(
    browser: Browser, live_server: str, screenshot: Callable[[Any, str], Any]
) -> None:
    with open_page(browser, live_server) as page:
        page.goto(CALLS_WITH_RUSSIA)
        heading_count(page, CALLS_HEADING)
        screenshot(page, "calls-1280-light")

    with open_page(browser, live_server, width=360, scheme="dark") as page:
        for url in ["/", CALLS_WITH_RUSSIA, EMPTY]:
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{url} is {width}px wide on a 360px screen"
        expect(page.locator("#view-heading")).to_have_text(re.compile(r"· 0 events$"))
        expect(page.locator("#results .empty")).to_be_visible()
        screenshot(page, "empty-360-dark")

        page.goto(CALLS_WITH_RUSSIA)
        whole = screenshot(page, "calls-360-dark")
        for part in ["results", "filters"]:
            path = whole.with_name(f"{whole.stem}-{part}.png")
            page.locator(f"#{part}").screenshot(path=str(path))


# Accessibility: axe-core finds nothing, light and dark, desktop and phone

MODES = [("light", 1280), ("dark", 1280), ("light", 360), ("dark", 360)]


def axe_report(page: Page, label: str) -> str:
    results = axe.run(page)
    if not results.violations_count:
        return ""
    return f"{label}: {results.generate_snapshot()}\n{results.generate_report()}"


@pytest.mark.parametrize("view", ["timeline", "calls", "empty", "event"])
def test_axe_finds_no_violations(browser: Browser, live_server: str, view: str) -> None:
    url = {"timeline": "/", "calls": CALLS_WITH_RUSSIA, "empty": EMPTY}.get(view)
    if url is None:
        with open_page(browser, live_server) as page:
            page.goto("/")
            link = page.locator(".event-card .event-title a", has_text="Biden and Putin").first
            url = link.get_attribute("href") or ""
        assert re.fullmatch(r"/events/\d+/[a-z0-9-]+", url), url
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto(url)
            if view == "empty":
                expect(page.locator("#view-heading")).to_have_text(re.compile(r"· 0 events$"))
            reports.append(axe_report(page, f"{url} {scheme} {width}px"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)


def test_axe_finds_no_violations_in_interactive_states(browser: Browser, live_server: str) -> None:
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto("/?actor=russia&actor=united-states")
            page.locator("#who").press_sequentially("Zelen", delay=40)
            expect(page.locator("#s-actor-volodymyr-zelenskiy")).to_be_visible()
            reports.append(axe_report(page, f"suggestions {scheme} {width}px"))
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            # As without JavaScript (axe needs it): the page's own scripts are not loaded.
            page.route("**/static/*.js", lambda route: route.abort())
            page.goto(CALLS_WITH_RUSSIA)
            expect(page.locator("button.apply")).to_be_visible()
            reports.append(axe_report(page, f"no JavaScript {scheme} {width}px"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
