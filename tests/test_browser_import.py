"""The import page in a real browser: upload, check, import; checked with axe-core at desktop and
phone widths, light and dark."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app import accounts
from app.db import write_session

pytestmark = pytest.mark.browser

ADMIN = "admin@example.org"
PASSWORD = "correct horse battery"
DATA = Path(__file__).resolve().parent / "data"

axe = Axe()


@pytest.fixture
def admin(engine) -> str:
    with write_session(engine) as session:
        accounts.add_user(session, ADMIN, "admin", PASSWORD)
    return ADMIN


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 360)])
def test_an_admin_checks_a_file_sees_its_problems_then_imports_a_good_one(
    browser, live_server, admin, screenshot, scheme, width
):
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900}, color_scheme=scheme
    )
    page = context.new_page()
    try:
        page.goto("/login?next=/admin/import")
        page.get_by_label("Email").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Import events")).to_be_visible()

        page.get_by_label("File").set_input_files(str(DATA / "brink-bad-row.csv"))
        page.get_by_role("button", name="Check only (dry run)").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Nothing was imported: 1 problem in brink-bad-row.csv")
        expect(alert).to_contain_text(
            "brink-bad-row.csv:5: actors: There is no actor 'nobody-at-all'."
        )
        screenshot(page, "problems")
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()

        page.get_by_label("File").set_input_files(str(DATA / "timelinejs.csv"))
        page.get_by_label("Publish at once").check()
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(
            "Imported timelinejs.csv: created 5 events"
        )
        screenshot(page, "imported")
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
