"""Sharing in a real browser: a permalink opened fresh, "Copy link", an embed inside a story."""

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

axe = Axe()


@contextmanager
def serve_page(html: str) -> Iterator[str]:
    """A page on its own loopback server: another origin than the app's."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/a-story"
    finally:
        server.shutdown()
        server.server_close()


def _first_event_path(page) -> str:
    page.goto("/?q=hourlong")
    return page.locator(".event-card .event-title a").first.get_attribute("href")


def test_a_shared_permalink_opens_in_a_fresh_browser(browser, live_server, page, screenshot):
    path = _first_event_path(page)

    fresh = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740},
                                color_scheme="dark")  # fmt: skip
    reader = fresh.new_page()
    response = reader.goto(path)

    assert response.status == 200
    expect(reader.locator("h1")).to_have_text("Biden and Putin speak by phone")
    expect(reader).to_have_title("Biden and Putin speak by phone · Brink")
    assert reader.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe.run(reader).violations_count == 0
    screenshot(reader, "event-phone-dark")
    reader.locator("a.see-in-timeline").click()
    expect(reader.locator(".event-card.is-around .event-title")).to_have_text(
        "Biden and Putin speak by phone"
    )
    fresh.close()


def test_copy_link_puts_the_permalink_on_the_clipboard(browser, live_server, page):
    path = _first_event_path(page)
    context = browser.new_context(base_url=live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    reader = context.new_page()
    reader.goto(path)

    reader.get_by_role("button", name="Copy link").click()

    expect(reader.locator(".copy-status")).to_have_text("Link copied.")
    assert reader.evaluate("navigator.clipboard.readText()") == live_server + path
    context.close()


def test_without_javascript_the_permalink_is_there_to_select(browser, live_server, page):
    path = _first_event_path(page)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    reader = context.new_page()
    reader.goto(path)

    expect(reader.get_by_role("button", name="Copy link")).to_be_hidden()
    expect(reader.locator("#permalink")).to_have_value(live_server + path)
    context.close()


def test_an_embed_inside_a_story_opens_events_in_a_new_tab(page, live_server, screenshot):
    story = (
        "<!doctype html><title>A story</title><h1>Our story</h1>"
        f'<iframe src="{live_server}/embed?actor=france&type=call" title="Timeline" '
        'width="640" height="480"></iframe>'
        f'<iframe src="{live_server}/" title="Refused" width="320" height="200"></iframe>'
    )
    # The story is another site's page, served from another origin (as a newsroom's would be).
    with serve_page(story) as story_url:
        page.goto(story_url)
        _check_embed(page, live_server, screenshot)


def _check_embed(page, live_server, screenshot) -> None:

    embed = page.frame_locator('iframe[title="Timeline"]')
    expect(embed.locator("h1")).to_have_text("Calls involving France · 3 events")
    expect(embed.locator(".event-card")).to_have_count(3)
    screenshot(page, "story-with-embed")
    with page.context.expect_page() as opened:
        embed.locator(".event-card .event-title a").first.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(live_server + "/events/")
    expect(tab.locator("h1")).to_be_visible()
    # The full site refuses to be framed: the browser shows its own error instead of the timeline.
    for _ in range(50):
        if any(frame.url.startswith("chrome-error://") for frame in page.frames):
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail(f"the timeline was framed: {[frame.url for frame in page.frames]}")
    expect(page.frame_locator('iframe[title="Refused"]').locator("#view-heading")).to_have_count(0)
