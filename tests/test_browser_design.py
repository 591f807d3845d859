"""Issue 7's design in a real browser: axe-core on the pages the issue names, light and dark, at
1280 and 360 px; no page scrolls sideways on a phone; the list printed; screenshots of every page
type under test-artifacts/screenshots/ (look at them)."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.accounts import ADMIN, PASSWORD
from tests.test_browser_timeline import MODES, axe_report, open_page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
Shot = Callable[[Any, str], Path]

# Issue 7's list; "{event}" is the Biden–Putin call, found on the timeline.
AXE_PAGES = {
    "timeline": "/",
    "lanes": "/?view=lanes",
    "event": "{event}",
    "actor": "/actors/vladimir-putin",
    "new-event": "/desk/events/new",
    "new-event-errors": "/desk/events/new",  # then submitted empty
    "edit-event": "/desk/events/{event_id}/edit",
    "new-actor": "/desk/actors/new",
}
SIGNED_IN = ("/desk", "/account", "/admin")

# Every page type, for the 360 px and dark-mode audit (screenshots, no sideways scrolling).
AUDIT_PAGES = {
    "timeline": "/",
    "filtered": "/?actor=russia&type=call&from=2022-02-10&to=2022-02-20",
    "event": "{event}",
    "actors": "/actors",
    "actor": "/actors/vladimir-putin",
    "changes": "/changes",
    "login": "/login",
    "desk": "/desk",
    "new-event": "/desk/events/new",
    "edit-event": "/desk/events/{event_id}/edit",
    "event-history": "/desk/events/{event_id}/history",
    "desk-actors": "/desk/actors",
    "new-actor": "/desk/actors/new",
    "actor-history": "/desk/actors/{actor_id}/history",
    "tokens": "/account/tokens",
    "users": "/admin/users",
    "import": "/admin/import",
}


@contextmanager
def signed_in(browser: Browser, base_url: str, width: int, scheme: str) -> Iterator[Page]:
    """A page in a browser where the administrator has signed in (the desk and admin pages)."""
    with open_page(browser, base_url, width=width, scheme=scheme) as page:
        page.goto("/login?next=/desk")
        page.get_by_label("Email").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/desk")
        yield page


def ids(browser: Browser, base_url: str) -> dict[str, str]:
    """The URLs' placeholders: an event's page and id, and an actor's id."""
    with signed_in(browser, base_url, 1280, "light") as page:
        page.goto("/")
        link = page.locator(".event-card .event-title a", has_text="Biden and Putin").first
        event = link.get_attribute("href") or ""
        found = re.fullmatch(r"/events/(\d+)/[a-z0-9-]+", event)
        assert found, event
        page.goto("/desk/actors")
        edit = page.locator("a[href^='/desk/actors/'][href$='/edit']").first.get_attribute("href")
        actor = re.fullmatch(r"/desk/actors/(\d+)/edit", edit or "")
        assert actor, edit
    return {"event": event, "event_id": found.group(1), "actor_id": actor.group(1)}


def sideways(page: Page) -> int:
    """How far the document scrolls sideways (the lanes scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_axe_finds_no_violations_light_and_dark_at_both_widths(
    browser: Browser, live_server: str, users: None, screenshot: Shot, name: str
) -> None:
    url = AXE_PAGES[name].format(**ids(browser, live_server))
    reports, overflowing = [], []
    for scheme, width in MODES:
        opening = signed_in if url.startswith(SIGNED_IN) else open_page
        with opening(browser, live_server, width=width, scheme=scheme) as page:
            page.goto(url)
            if name == "new-event-errors":  # an actor nobody knows: the form comes back
                page.get_by_label("Title", exact=True).fill("A call")
                page.get_by_label("Type").select_option("call")
                page.get_by_label("Date", exact=True).fill("2022-02-13")
                page.locator("#f-actors-0-actor").fill("Nobody at all")
                page.get_by_label("Title", exact=True).press("Enter")
                expect(page.locator(".error-summary")).to_be_focused()
            reports.append(axe_report(page, f"{name} {url} {scheme} {width}px"))
            if sideways(page) > 0:
                overflowing.append(f"{url} scrolls sideways by {sideways(page)}px at {width}px")
            screenshot(page, f"{scheme}-{width}")
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
    assert not overflowing, overflowing


def test_no_page_scrolls_sideways_on_a_phone_light_or_dark(
    browser: Browser, live_server: str, users: None, screenshot: Shot
) -> None:
    """The audit of every page type: at 360 px nothing is wider than the screen; screenshots of
    each in light and dark, at 360 and 1280 px."""
    values = ids(browser, live_server)
    overflowing = []
    for scheme, width in MODES:
        with signed_in(browser, live_server, width, scheme) as page:
            for name, pattern in AUDIT_PAGES.items():
                url = pattern.format(**values)
                response = page.goto(url)
                assert response is not None and response.ok, f"{url}: {response}"
                if sideways(page) > 0:
                    overflowing.append(f"{url} {scheme}: {sideways(page)}px too wide at {width}px")
                screenshot(page, f"{name}-{scheme}-{width}")
    assert not overflowing, "\n".join(overflowing)


def test_the_list_prints_black_on_white_without_its_controls(
    browser: Browser, live_server: str
) -> None:
    url = "/?actor=russia&type=call"
    with open_page(browser, live_server, scheme="dark") as page:
        page.goto(url)
        page.emulate_media(media="print", color_scheme="dark")
        for hidden in [".search-bar", "#filters", "#share-view", ".pager a", ".whats-new",
                       ".chips .clear-all", ".live .refresh", ".view-switch"]:  # fmt: skip
            for element in page.locator(hidden).all():
                expect(element).to_be_hidden()
        expect(page.locator("#view-heading")).to_have_text(re.compile(r"^Calls involving Russia"))
        chips = page.locator(".chips")
        expect(chips).to_be_visible()
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.chips'), '::before').content")
            == '"Active filters: "'
        )
        expect(page.locator(".chip").first).to_have_text(re.compile(r"^Actor: Russia"))
        cards = page.locator("#results .event-card")
        assert cards.count() > 0
        expect(cards.first).to_be_visible()
        colours = page.evaluate(
            """() => [document.body, document.querySelector('.event-card'),
                      document.querySelector('.event-title a')]
                .map(element => [getComputedStyle(element).color,
                                 getComputedStyle(element).backgroundColor])"""
        )
        (body_text, body_bg), (_, card_bg), (title_text, _) = colours
        assert body_bg == "rgb(255, 255, 255)" and card_bg == "rgb(255, 255, 255)", colours
        assert body_text == "rgb(0, 0, 0)" and title_text == "rgb(0, 0, 0)", colours
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.event-card')).breakInside")
            == "avoid"
        )
        after = page.evaluate(
            "getComputedStyle(document.querySelector('.event-title a'), '::after').content"
        )
        assert re.fullmatch(r'" <" attr\(href\) ">"|" </events/\d+/[a-z0-9-]+>"', after), after

        folder = ARTIFACTS / "print"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "calls-with-russia-dark-printed.png"), full_page=True)
        pdf = page.pdf(
            path=str(folder / "calls-with-russia.pdf"), format="A4", print_background=True
        )
        assert pdf.startswith(b"%PDF")
