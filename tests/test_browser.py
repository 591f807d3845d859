"""What only a real browser shows: the pages as rendered by Chromium, links followed."""

import pytest

pytestmark = pytest.mark.browser


def test_a_reader_opens_the_timeline_and_follows_an_event_link(page, screenshot):
    page.goto("/")
    assert page.title().startswith("All events")
    first_day = page.locator(".day-heading").first
    assert first_day.is_visible()
    screenshot(page, "timeline")

    link = page.locator(".event-card .event-title a", has_text="Biden and Putin").first
    title = link.inner_text()
    link.click()

    page.wait_for_url("**/events/*/*")
    assert page.locator("h1").inner_text() == title
    assert page.locator(".actor-roles li").count() >= 2
    assert page.locator(".sources li").count() >= 1
    screenshot(page, "event")


def test_the_timeline_is_readable_on_a_phone_in_dark_mode(browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, color_scheme="dark"
    )
    page = context.new_page()
    page.goto("/")

    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 27)"
    screenshot(page, "timeline-phone-dark")
    context.close()
