"""Signing in and out in a real browser, and the account pages checked with axe-core at desktop
and phone widths, light and dark."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from app import accounts
from app.db import write_session

pytestmark = pytest.mark.browser

ADMIN = "admin@example.org"
PASSWORD = "correct horse battery"
MODES = [("light", 1280), ("dark", 360)]

axe = Axe()


@pytest.fixture
def admin(engine) -> str:
    with write_session(engine) as session:
        accounts.add_user(session, ADMIN, "admin", PASSWORD)
        accounts.add_user(session, "editor@example.org", "editor", PASSWORD)
    return ADMIN


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


def sign_in(page: Page, password: str = PASSWORD, next_path: str = "/") -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def violations(page: Page, label: str) -> str:
    results = axe.run(page)
    if not results.violations_count:
        return ""
    return f"{label}: {results.generate_snapshot()}\n{results.generate_report()}"


def test_an_editor_signs_in_sees_the_header_and_logs_out(
    browser: Browser, live_server: str, admin: str, screenshot
) -> None:
    with open_page(browser, live_server) as page:
        page.goto("/")
        page.get_by_role("link", name="Editor sign-in").click()
        expect(page).to_have_url(f"{live_server}/login")

        sign_in(page, password="not the password")
        expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
        expect(page.get_by_label("Email")).to_have_value(ADMIN)

        sign_in(page, next_path="/actors")
        expect(page).to_have_url(f"{live_server}/actors")
        account = page.get_by_role("navigation", name="Account")
        expect(account).to_contain_text(f"Signed in as {ADMIN}")
        expect(account.get_by_role("link", name="Users")).to_be_visible()
        screenshot(page, "signed-in")

        account.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{live_server}/")
        expect(page.get_by_role("navigation", name="Account")).to_have_count(0)
        page.goto("/admin/users")
        expect(page).to_have_url(f"{live_server}/login?next=/admin/users")


def test_axe_finds_no_violations_on_the_account_pages(
    browser: Browser, live_server: str, admin: str, screenshot
) -> None:
    reports = []
    for scheme, width in MODES:
        with open_page(browser, live_server, width=width, scheme=scheme) as page:
            page.goto("/login")
            reports.append(violations(page, f"/login {scheme} {width}"))
            sign_in(page, password="not the password")
            expect(page.get_by_role("alert")).to_be_visible()
            reports.append(violations(page, f"/login with an error {scheme} {width}"))
            sign_in(page, next_path="/admin/users")
            expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
            page.get_by_label("Email", exact=True).fill("new@example.org")
            page.get_by_label("Initial password").fill("short")
            page.get_by_label("Initial password").evaluate("e => e.removeAttribute('minlength')")
            page.get_by_role("button", name="Add user").click()
            expect(page.locator("#new-password-error")).to_be_visible()
            reports.append(violations(page, f"/admin/users {scheme} {width}"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"users-{scheme}-{width}")

    assert not "".join(reports), "".join(reports)
