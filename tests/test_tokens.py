"""API tokens: made and revoked at /account/tokens and with `brink token`, shown once, stored
only hashed, and refused at once when revoked."""

import hashlib
import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import accounts, tokens
from app.cli import cli
from app.config import get_settings
from app.db import write_session
from app.models import ApiToken
from tests.accounts import ADMIN, EDITOR, PASSWORD, log_in
from tests.html import soup, text_of


@pytest.fixture
def run(monkeypatch):
    """Run `brink …` against a database URL, with settings read afresh as a new process would."""

    def invoke(url, *args):
        monkeypatch.setenv("BRINK_DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args))
        finally:
            get_settings.cache_clear()

    return invoke


def make_token_in_page(client, csrf: str, name: str = "Wire desk importer"):
    return client.post("/account/tokens", data={"name": name, "csrf_token": csrf})


def shown_token(html: str) -> str:
    field = soup(html).select_one("input#new-token")
    assert field is not None
    assert field.has_attr("readonly")
    return str(field["value"])


def api_status(client, token: str) -> int:
    return client.get("/api/events/1", headers={"Authorization": f"Bearer {token}"}).status_code


def row_texts(html: str, caption: str) -> list[str]:
    for table in soup(html).select("table"):
        if caption in text_of(table.select_one("caption")):
            return [text_of(row) for row in table.select("tbody tr")]
    return []


# The page


def test_the_tokens_page_needs_a_signed_in_editor(client):
    response = client.get("/account/tokens")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/tokens"


def test_a_new_token_is_shown_once_and_stored_only_hashed(client, engine, sample, users):
    csrf = log_in(client)

    response = make_token_in_page(client, csrf)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = shown_token(response.text)
    assert token.startswith("brink_") and len(token) > 40
    warning = text_of(soup(response.text).select_one("#new-token-warning"))
    assert "only this once" in warning
    assert "Wire desk importer" in row_texts(response.text, "Your tokens")[0]
    assert api_status(client, token) == 200
    # Never again: not on the page, not in the database.
    again = client.get("/account/tokens")
    assert token not in again.text
    assert soup(again.text).select_one("#new-token") is None
    with Session(engine) as session:
        (row,) = session.scalars(select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        dump = str(session.execute(text("SELECT * FROM api_tokens")).all())
    assert token not in dump
    assert token.removeprefix("brink_") not in dump


def test_a_token_needs_a_name(client, engine, users):
    csrf = log_in(client)

    response = make_token_in_page(client, csrf, name="   ")

    assert response.status_code == 400
    page = soup(response.text)
    field = page.select_one("#token-name")
    assert field is not None and field["aria-invalid"] == "true"
    assert "token-name-error" in str(field["aria-describedby"])
    assert "name" in text_of(page.select_one("#token-name-error"))
    assert page.select_one("#new-token") is None
    with Session(engine) as session:
        assert session.scalar(select(ApiToken)) is None


def test_making_a_token_needs_the_csrf_token(client, engine, users):
    log_in(client)

    response = client.post("/account/tokens", data={"name": "Forged"})

    assert response.status_code == 403
    with Session(engine) as session:
        assert session.scalar(select(ApiToken)) is None


def test_revoking_in_the_page_stops_the_token_at_once(client, sample, users):
    csrf = log_in(client)
    token = shown_token(make_token_in_page(client, csrf).text)
    form = soup(client.get("/account/tokens").text).select_one("form[action$='/revoke']")
    assert form is not None

    response = client.post(str(form["action"]), data={"csrf_token": csrf})

    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Revoked “Wire desk importer”" in text_of(soup(page.text).select_one(".form-notice"))
    (row,) = row_texts(page.text, "Your tokens")
    assert "Revoked" in row
    assert soup(page.text).select_one("form[action$='/revoke']") is None
    assert api_status(client, token) == 401


def test_editors_see_and_revoke_only_their_own_tokens(client, engine, sample, users):
    with write_session(engine) as session:
        admin = accounts.find_user(session, ADMIN)
        assert admin is not None
        theirs, _ = tokens.create(session, admin, "Admin's script")
    csrf = log_in(client, EDITOR)

    page = client.get("/account/tokens")
    response = client.post(f"/account/tokens/{theirs.id}/revoke", data={"csrf_token": csrf})

    assert "Admin's script" not in page.text
    assert response.status_code == 404
    with Session(engine) as session:
        assert session.get(ApiToken, theirs.id).revoked_at is None


def test_administrators_see_everyones_tokens_and_may_revoke_them(client, engine, sample, users):
    with write_session(engine) as session:
        editor = accounts.find_user(session, EDITOR)
        assert editor is not None
        theirs, plaintext = tokens.create(session, editor, "Editor's bot")
    csrf = log_in(client, ADMIN)

    page = client.get("/account/tokens")
    (row,) = row_texts(page.text, "other editors")
    assert "Editor's bot" in row and EDITOR in row and "Never" in row
    button = soup(page.text).select_one(f"form[action='/account/tokens/{theirs.id}/revoke'] button")
    assert button is not None and EDITOR in str(button["aria-label"])

    response = client.post(f"/account/tokens/{theirs.id}/revoke", data={"csrf_token": csrf})

    assert response.status_code == 303
    assert api_status(client, plaintext) == 401


def test_the_page_shows_when_a_token_was_last_used(client, engine, sample, users):
    csrf = log_in(client)
    token = shown_token(make_token_in_page(client, csrf).text)
    (before,) = row_texts(client.get("/account/tokens").text, "Your tokens")

    api_status(client, token)

    (after,) = row_texts(client.get("/account/tokens").text, "Your tokens")
    assert "Never" in before
    assert "Never" not in after


# The command line


def test_token_create_prints_the_token_once_and_it_works(run, database_url, client, sample, users):
    result = run(database_url, "token", "create", EDITOR, "--name", "Importer")

    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("brink_")
    assert "not shown again" in result.output
    assert api_status(client, token) == 200
    listed = run(database_url, "token", "list")
    assert listed.exit_code == 0
    assert "Importer" in listed.output and EDITOR in listed.output and "active" in listed.output
    assert token not in listed.output


def test_token_revoke_stops_the_token(run, database_url, client, engine, sample, users):
    token = run(database_url, "token", "create", EDITOR, "--name", "Importer").stdout.split()[-1]
    with Session(engine) as session:
        token_id = session.scalars(select(ApiToken.id)).one()

    result = run(database_url, "token", "revoke", str(token_id))

    assert result.exit_code == 0, result.output
    assert "Revoked token" in result.output
    assert api_status(client, token) == 401
    assert "revoked" in run(database_url, "token", "list", EDITOR).output


def test_token_list_of_one_user(run, database_url, engine, users):
    run(database_url, "token", "create", EDITOR, "--name", "Editor's")
    run(database_url, "token", "create", ADMIN, "--name", "Admin's")

    result = run(database_url, "token", "list", ADMIN)

    assert result.exit_code == 0
    assert "Admin's" in result.output and "Editor's" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "create", "nobody@example.org", "--name", "X"], "No user"),
        (["token", "create", EDITOR, "--name", "  "], "Give the token a name"),
        (["token", "create", EDITOR, "--name", "x" * 101], "too long"),
        (["token", "revoke", "999"], "No token 999"),
        (["token", "list", "nobody@example.org"], "No user"),
    ],
)
def test_token_commands_fail_clearly_with_exit_code_1(run, database_url, users, args, message):
    result = run(database_url, *args)

    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_a_disabled_user_gets_no_token(run, database_url, users):
    run(database_url, "user", "disable", EDITOR)

    result = run(database_url, "token", "create", EDITOR, "--name", "X")

    assert result.exit_code == 1
    assert "disabled" in result.output


# In a browser


@pytest.mark.browser
@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 360)])
def test_the_tokens_page_in_a_browser_is_accessible(
    browser, live_server, users, screenshot, scheme, width
):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, color_scheme=scheme
    )
    try:
        page = context.new_page()
        page.goto("/login?next=/account/tokens")
        page.get_by_label("Email").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Name").fill("Wire desk importer")
        page.get_by_role("button", name="Make token").click()

        field = page.get_by_label("Token", exact=True)
        expect(field).to_have_value(re.compile(r"^brink_"))
        field.click()  # selects it all, ready to copy (static/brink.js)
        selected = page.evaluate("() => window.getSelection().toString() || "
                                 "document.activeElement.value.substring("
                                 "document.activeElement.selectionStart, "
                                 "document.activeElement.selectionEnd)")  # fmt: skip
        assert selected.startswith("brink_")
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow
        screenshot(page, "new-token")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()

        page.get_by_role("button", name="Revoke Wire desk importer").click()
        expect(page.get_by_role("status")).to_contain_text("Revoked “Wire desk importer”")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()
