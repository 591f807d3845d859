"""The desk for events in a real browser: logging a call with type-ahead and htmx rows, a reader
seeing it published, a conflict, and axe-core on the desk and the event form, light and dark."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from app import accounts, editing
from app.db import write_session

pytestmark = pytest.mark.browser

EDITOR = "editor@example.org"
PASSWORD = "correct horse battery"
MODES = [("light", 1280), ("dark", 360)]
TITLE = "Macron and Zelenskiy speak by phone"

axe = Axe()


@pytest.fixture
def editor(engine, settings) -> str:
    """An editor, a draft and an event in the trash, so that every part of the desk shows."""
    with write_session(engine) as session:
        user = accounts.add_user(session, EDITOR, "editor", PASSWORD)
        data = editing.parse(
            editing.EventInput,
            {
                "title": "Lavrov to visit Minsk",
                "type": "meeting",
                "status": "scheduled",
                "start": "2022-02-17",
                "actors": [{"actor": "sergey-lavrov", "role": "initiator"}],
            },
        )
        editing.create_event(session, data, settings.zone, user.id, publish=False)
        trashed = editing.load_event(session, 1)
        assert trashed is not None
        editing.delete_event(session, trashed, settings.zone, user.id)
    return EDITOR


@contextmanager
def open_page(
    browser: Browser, base_url: str, width: int = 1280, scheme: str = "light"
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": 900 if width > 600 else 740},
        color_scheme=scheme,
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Email").fill(EDITOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")


def pick_actor(page: Page, row: int, typed: str, name: str, role: str) -> None:
    """Type part of a name, wait for the suggestion, and take it."""
    field = page.locator(f"#f-actors-{row}-actor")
    field.press_sequentially(typed, delay=30)
    expect(page.locator(f"#actor-options option[value='{name}']")).to_be_attached()
    field.fill(name)
    page.locator(f"#f-actors-{row}-role").select_option(role)


def violations(page: Page, label: str) -> str:
    results = axe.run(page)
    if not results.violations_count:
        return ""
    return f"{label}: {results.generate_snapshot()}\n{results.generate_report()}"


def test_an_editor_logs_a_call_and_a_reader_sees_it_on_the_timeline(
    browser: Browser, live_server: str, editor: str, screenshot
) -> None:
    with open_page(browser, live_server) as page:
        sign_in(page, "/desk/events/new")
        expect(page.get_by_label("Title", exact=True)).to_be_focused()
        page.get_by_label("Title", exact=True).fill(TITLE)
        page.get_by_label("Type").select_option("call")
        page.get_by_label("Date", exact=True).fill("2022-02-13")
        page.get_by_label("Time (optional)", exact=True).fill("15:30")
        pick_actor(page, 0, "Macr", "Emmanuel Macron", "initiator")
        pick_actor(page, 1, "Zelens", "Volodymyr Zelenskiy", "counterpart")

        page.get_by_role("button", name="Add another actor").click()  # htmx: one more row
        expect(page.locator("#f-actors-2-actor")).to_be_focused()
        expect(page.locator("#add-actors")).to_have_attribute(
            "hx-get", "/desk/events/rows/actors?index=3"
        )
        page.get_by_label("Summary").fill("They discussed **security guarantees**.")
        screenshot(page, "form-filled")
        page.get_by_role("button", name="Publish", exact=True).click()

        page.wait_for_url("**/events/*/macron-and-zelenskiy-speak-by-phone?done=published")
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(page.locator(".form-notice")).to_have_text("Published: readers see it now.")
        expect(page.locator(".actor-roles li")).to_have_text(
            ["Emmanuel Macron (initiator)", "Volodymyr Zelenskiy (counterpart)"]
        )
        expect(page.get_by_role("navigation", name="Editor")).to_be_visible()
        screenshot(page, "published")

    with open_page(browser, live_server) as reader:
        reader.goto("/")
        expect(reader.get_by_role("link", name=TITLE)).to_be_visible()
        expect(reader.get_by_role("navigation", name="Editor")).to_have_count(0)


def test_the_desk_and_the_event_form_pass_axe_light_and_dark(
    browser: Browser, live_server: str, editor: str, screenshot
) -> None:
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            sign_in(page, "/desk")
            expect(page.get_by_role("heading", name="Drafts")).to_be_visible()
            expect(page.get_by_role("button", name="Restore")).to_be_visible()
            reports.append(violations(page, f"/desk {scheme} {width}"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"desk-{scheme}-{width}")

            page.get_by_role("link", name="Preview “Lavrov to visit Minsk”").click()
            expect(page.locator(".draft-banner")).to_contain_text("Draft — not public.")
            reports.append(violations(page, f"a draft's page {scheme} {width}"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"draft-{scheme}-{width}")
            page.goto("/desk")

            page.get_by_role("link", name="New event").first.click()
            expect(page.get_by_role("heading", name="New event")).to_be_visible()
            reports.append(violations(page, f"/desk/events/new {scheme} {width}"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"new-{scheme}-{width}")

            page.get_by_label("Title", exact=True).fill("A call")
            page.get_by_label("Type").select_option("call")
            page.get_by_label("Date", exact=True).fill("2022-02-13")
            page.locator("#f-actors-0-actor").fill("Nobody at all")
            page.locator("details.end-details > summary").click()
            page.get_by_label("End date").fill("2022-02-01")
            # Enter in a field saves a draft (never "Add another actor", the first button in
            # the form): the errors come back, every one of them.
            page.get_by_label("Title", exact=True).press("Enter")
            summary = page.locator(".error-summary")
            expect(summary).to_be_focused()
            expect(page.locator("#f-actors-0-actor-error")).to_contain_text("There is no actor")
            expect(page.locator("#f-end_date-error")).to_have_text(
                "The end comes before the start."
            )
            expect(page.get_by_label("Title", exact=True)).to_have_value("A call")
            reports.append(violations(page, f"form with errors {scheme} {width}"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"errors-{scheme}-{width}")

    assert not "".join(reports), "".join(reports)


def test_a_second_editor_sees_the_conflict_side_by_side(
    browser: Browser, live_server: str, editor: str, engine, settings, screenshot
) -> None:
    with open_page(browser, live_server, width=360, scheme="dark") as page:
        sign_in(page, "/desk/events/2/edit")
        with write_session(engine) as session:  # meanwhile, another save
            event = editing.load_event(session, 2)
            assert event is not None
            data = editing.event_input(event, settings.zone)
            changed = data.model_copy(update={"title": "Changed under your feet"})
            editing.update_event(
                session, event, changed, settings.zone, None, expected_version=event.version
            )
        page.get_by_label("Summary").fill("My own summary.")
        page.get_by_role("button", name="Save", exact=True).click()

        conflict = page.locator(".conflict")
        expect(conflict).to_be_focused()
        expect(conflict.get_by_role("heading")).to_contain_text("since you opened it")
        expect(page.get_by_label("Summary")).to_have_value("My own summary.")
        report = violations(page, "conflict dark 360")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "conflict-dark-360")
        assert not report, report

        conflict.get_by_role("button", name="Save mine over it").click()
        page.wait_for_url("**/events/2/*")
        expect(page.locator(".form-notice")).to_have_text("Saved.")
