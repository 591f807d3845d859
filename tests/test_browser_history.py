"""The history page, the corrections log and the actor and source forms in a real browser,
checked with axe-core at desktop and phone widths, light and dark."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app import accounts, editing
from app.db import write_session
from app.editing import EventInput
from app.models import Actor, Event, User

pytestmark = pytest.mark.browser

EDITOR = "editor@example.org"
PASSWORD = "correct horse battery"
MODES = [("light", 1280), ("dark", 360)]

axe = Axe()


@pytest.fixture
def edited(engine, settings) -> int:
    """An editor, and a sample event with a silent fix, a summary edit and a correction."""
    with write_session(engine) as session:
        accounts.add_user(session, EDITOR, "editor", PASSWORD)
    with write_session(engine) as session:
        event_id = session.scalar(
            select(Event.id).where(Event.title.like("Biden and Putin speak%"))
        )
    changes = [
        ({"title": "Biden and Putin talk by phone"}, False, ""),
        ({"summary": "In a 62-minute call Biden warns Putin of severe costs."}, False, "Readout."),
        ({"start": "2022-02-13"}, True, "The call was on Sunday."),
    ]
    for fields, correction, note in changes:
        with write_session(engine) as session:
            event = editing.load_event(session, event_id)
            data = editing.event_input(event, settings.zone).model_dump() | fields
            user = session.scalar(select(User.id).where(User.email == EDITOR))
            editing.update_event(
                session,
                event,
                editing.parse(EventInput, data),
                settings.zone,
                user,
                expected_version=None,
                note=note,
                correction=correction,
            )
    return event_id


@contextmanager
def signed_in(browser: Browser, base_url: str, width: int, scheme: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": 900 if width > 600 else 740},
        color_scheme=scheme,
    )
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(EDITOR)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Account")).to_be_visible()
        yield page
    finally:
        context.close()


def violations(page: Page, label: str) -> str:
    results = axe.run(page)
    if not results.violations_count:
        return ""
    return f"{label}: {results.generate_snapshot()}\n{results.generate_report()}"


def test_history_restore_and_the_desk_forms_pass_axe(
    browser: Browser, live_server: str, engine, edited: int, screenshot
) -> None:
    with write_session(engine) as session:
        macron = session.scalar(select(Actor.id).where(Actor.slug == "emmanuel-macron"))
    found = []
    for scheme, width in MODES:
        with signed_in(browser, live_server, width, scheme) as page:
            page.goto(f"/desk/events/{edited}/history")
            expect(page.locator("#v2 ins")).to_have_text("talk")
            found.append(violations(page, f"history {scheme} {width}"))
            screenshot(page, f"history-{scheme}")

            page.goto(f"/desk/events/{edited}/history/1")
            found.append(violations(page, f"version {scheme} {width}"))

            page.goto(f"/events/{edited}")
            log = page.locator("#corrections li")
            expect(log).to_have_count(1)
            expect(log).to_contain_text("Date corrected from 12 Feb 2022 to 13 Feb 2022.")
            found.append(violations(page, f"event page {scheme} {width}"))
            screenshot(page, f"corrections-{scheme}")

            page.goto("/desk/actors")
            found.append(violations(page, f"desk actors {scheme} {width}"))

            page.goto(f"/desk/actors/{macron}/edit")
            page.get_by_label("Name", exact=True).fill("")
            page.get_by_role("button", name="Save actor").click()
            expect(page.locator(".error-summary")).to_contain_text("Name: This is required.")
            expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
            found.append(violations(page, f"actor form with errors {scheme} {width}"))
            screenshot(page, f"actor-form-{scheme}")

            page.goto("/desk/sources/new")
            page.get_by_label("Publisher").fill("Reuters")
            page.get_by_label("Title").fill("A report")
            page.get_by_label("Web address").fill("ftp://example.org/report")
            page.get_by_role("button", name="Add source").click()
            expect(page.locator("#source-url-error")).to_contain_text("http://")
            found.append(violations(page, f"source form with errors {scheme} {width}"))

    with signed_in(browser, live_server, 1280, "light") as page:
        page.goto(f"/desk/events/{edited}/history")
        page.locator("#v1").get_by_role("button", name="Restore this version").click()
        expect(page.get_by_role("status")).to_have_text("Restored version 1: it is now version 5.")
        page.goto(f"/events/{edited}")
        expect(page.locator("h1")).to_have_text("Biden and Putin speak by phone")

    assert not "".join(found), "".join(found)
