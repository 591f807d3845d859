"""Live updates in a real browser: a reader's open timeline hears of an event an editor publishes
("N new events — show", without moving what is being read) and of an edit to a card on screen."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import editing
from app.db import write_session
from app.models import Event

pytestmark = pytest.mark.browser

TITLE = "Macron telephones Putin again"
NEW_EVENT = {
    "title": TITLE,
    "summary": "A second call in a week.",
    "type": "call",
    "start": "2022-02-20T11:30",
    "actors": [
        {"actor": "emmanuel-macron", "role": "initiator"},
        {"actor": "vladimir-putin", "role": "counterpart"},
    ],
}


def test_a_readers_open_page_shows_new_events_and_edits_as_they_are_published(
    page: Page, live_server: str, engine, settings, screenshot
) -> None:
    with Session(engine) as session:
        on_screen = session.scalar(
            select(Event.id).where(Event.title == "Biden and Putin speak by phone")
        )
    page.goto("/")
    expect(page.locator(".live .generated")).to_contain_text("Generated at")
    card = page.locator(f"#event-{on_screen}")
    card.scroll_into_view_if_needed()
    before = (page.evaluate("window.scrollY"), card.bounding_box())

    # An editor publishes, elsewhere.
    with write_session(engine) as session:
        data = editing.parse(editing.EventInput, NEW_EVENT)
        new_id = editing.create_event(session, data, settings.zone, None, publish=True).id

    bar = page.get_by_role("status").filter(has_text="new event")
    expect(bar).to_have_text("1 new event — show", timeout=5000)
    assert (page.evaluate("window.scrollY"), card.bounding_box()) == before  # nothing moved
    assert page.get_by_role("link", name=TITLE).count() == 0  # not slipped into the list
    screenshot(page, "new-events-bar")

    # An edit to an event on screen: its card changes in place, marked.
    with write_session(engine) as session:
        event = editing.load_event(session, on_screen)
        changed = editing.event_input(event, settings.zone).model_copy(
            update={"title": "Biden and Putin speak for an hour"}
        )
        editing.update_event(
            session, event, changed, settings.zone, None, expected_version=event.version
        )
    expect(card.locator(".event-title")).to_have_text("Biden and Putin speak for an hour")
    expect(card.locator(".badge.live-updated")).to_have_text("Updated")

    results = Axe().run(page)
    assert not results.violations_count, results.generate_report()

    bar.get_by_role("link", name="show").click()
    page.wait_for_url(f"**/?around={new_id}")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.locator(f"#event-{new_id}")).to_have_class("event-card type-call is-around")
    expect(page.locator("#live-news")).to_be_empty()
    screenshot(page, "shown")
