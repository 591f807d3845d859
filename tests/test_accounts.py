"""Accounts: the `brink user` commands, signing in and out, sessions, CSRF, throttling, and the
administrators' users page."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import accounts
from app.cli import cli
from app.config import get_settings
from app.db import write_session
from app.main import create_app
from app.models import LoginFailure, LoginSession, User, utcnow
from tests.accounts import ADMIN, EDITOR, PASSWORD
from tests.html import soup, text_of


@pytest.fixture
def run(monkeypatch):
    """Run `brink …` against a database URL, with settings read afresh as a new process would."""

    def invoke(url, *args, input=None):
        monkeypatch.setenv("BRINK_DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args), input=input)
        finally:
            get_settings.cache_clear()

    return invoke


def login_token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    field = soup(page.text).select_one("input[name=csrf_token]")
    assert field is not None
    return str(field["value"])


def log_in(client: TestClient, email: str, password: str = PASSWORD, next: str = "/"):
    token = login_token(client)
    form = {"email": email, "password": password, "csrf_token": token, "next": next}
    return client.post("/login", data=form)


def page_csrf(client: TestClient, path: str = "/admin/users") -> str:
    field = soup(client.get(path).text).select_one(".logout-form input[name=csrf_token]")
    assert field is not None
    return str(field["value"])


def user_row(engine, email: str) -> User:
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user


# The command line


def test_user_add_reads_the_password_twice_hidden_and_stores_only_a_hash(run, database_url, engine):
    result = run(database_url, "user", "add", "Ed@Example.ORG", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    user = user_row(engine, "ed@example.org")
    assert user.role == "editor"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_user_add_refuses_two_different_passwords(run, database_url, engine):
    result = run(database_url, "user", "add", EDITOR, input=f"{PASSWORD}\nsomething else 1\n" * 3)

    assert result.exit_code != 0
    with Session(engine) as session:
        assert session.scalar(select(User)) is None


def test_user_add_takes_the_password_from_stdin_never_from_the_arguments(run, database_url):
    from_stdin = run(
        database_url, "user", "add", ADMIN, "--role", "admin", "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    as_argument = run(database_url, "user", "add", EDITOR, "--password", PASSWORD)

    assert from_stdin.exit_code == 0, from_stdin.output
    assert "Added admin@example.org (admin)" in from_stdin.output
    assert as_argument.exit_code == 2  # no such option
    assert "No such option" in as_argument.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["user", "add", "not-an-email", "--password-stdin"], PASSWORD, "is not an email address"),
        (["user", "add", "new@example.org", "--password-stdin"], "too short", "at least 12"),
        (["user", "add", "EDITOR@example.org", "--password-stdin"], PASSWORD, "already a user"),
        (["user", "passwd", "nobody@example.org", "--password-stdin"], PASSWORD, "No user"),
        (["user", "disable", "nobody@example.org"], None, "No user"),
    ],
)
def test_user_commands_fail_clearly_with_exit_code_1(
    run, database_url, users, args, stdin, message
):
    result = run(database_url, *args, input=stdin + "\n" if stdin else None)

    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_user_list_shows_every_account_with_role_and_state(run, database_url, users):
    run(database_url, "user", "disable", EDITOR)

    result = run(database_url, "user", "list")

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:3] for line in result.output.splitlines()[1:]}
    assert lines[ADMIN] == ["admin", "active"]
    assert lines[EDITOR] == ["editor", "disabled"]


def test_user_passwd_changes_the_password_and_ends_sessions(run, database_url, users, client):
    assert log_in(client, EDITOR).status_code == 303

    result = run(
        database_url, "user", "passwd", EDITOR, "--password-stdin", input="new pass phrase\n"
    )

    assert result.exit_code == 0, result.output
    assert "Signed in as" not in client.get("/").text
    assert log_in(client, EDITOR).status_code == 401
    assert log_in(client, EDITOR, "new pass phrase").status_code == 303


def test_user_disable_ends_the_users_sessions_and_stops_logins(run, database_url, users, client):
    assert log_in(client, EDITOR).status_code == 303
    assert "Signed in as" in client.get("/").text

    result = run(database_url, "user", "disable", EDITOR)

    assert result.exit_code == 0, result.output
    assert "Signed in as" not in client.get("/").text
    refused = log_in(client, EDITOR)
    assert refused.status_code == 401
    assert "disabled" in text_of(soup(refused.text).select_one("[role=alert]"))


# Signing in and out


def test_logging_in_sets_an_http_only_lax_session_cookie_and_shows_the_user(client, users):
    response = log_in(client, EDITOR, next="/actors")

    assert response.status_code == 303
    assert response.headers["location"] == "/actors"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("brink_session=")
    )
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags
    assert "secure" not in flags
    header = soup(client.get("/").text).select_one(".site-header")
    assert EDITOR in text_of(header)
    assert header.select_one("form[action='/logout'] button") is not None
    assert header.select_one("a[href='/admin/users']") is None  # editors do not manage users


def test_the_session_cookie_is_secure_over_https(settings, users):
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = log_in(client, ADMIN)
    app.state.engine.dispose()

    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("brink_session=")
    )
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_the_session_is_stored_hashed(client, users, engine):
    log_in(client, EDITOR)
    token = client.cookies["brink_session"]

    with Session(engine) as session:
        ids = session.scalars(select(LoginSession.id)).all()
    assert len(ids) == 1
    assert token not in ids[0]


def test_a_wrong_password_is_refused_with_a_message_next_to_the_form(client, users):
    response = log_in(client, EDITOR, "wrong password!!")

    assert response.status_code == 401
    assert "brink_session" not in response.cookies
    assert text_of(soup(response.text).select_one("[role=alert]")) == "Wrong email or password."
    assert soup(response.text).select_one("#login-email")["value"] == EDITOR


def test_a_hash_made_with_older_parameters_is_renewed_at_sign_in(client, users, engine):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with write_session(engine) as session:
        session.execute(update(User).where(User.email == EDITOR).values(password_hash=weak))

    assert log_in(client, EDITOR).status_code == 303

    renewed = user_row(engine, EDITOR).password_hash
    assert renewed != weak
    assert not PasswordHasher().check_needs_rehash(renewed)
    assert PasswordHasher().verify(renewed, PASSWORD)


def test_an_expired_session_is_anonymous(client, users, engine):
    log_in(client, EDITOR)
    with write_session(engine) as session:
        session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))

    assert "Signed in as" not in client.get("/").text


def test_an_idle_session_is_anonymous(client, users, engine):
    log_in(client, EDITOR)
    with write_session(engine) as session:
        stale = utcnow() - accounts.SESSION_IDLE - timedelta(minutes=1)
        session.execute(update(LoginSession).values(last_seen_at=stale))

    assert "Signed in as" not in client.get("/").text


def test_logging_out_ends_the_session_so_the_old_cookie_is_anonymous(client, users):
    log_in(client, ADMIN)
    old_cookie = client.cookies["brink_session"]
    token = page_csrf(client, "/")

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert 'brink_session=""' in response.headers["set-cookie"]
    client.cookies.clear()
    client.cookies.set("brink_session", old_cookie)
    assert "Signed in as" not in client.get("/").text
    assert client.get("/admin/users").status_code == 303


def test_logout_is_post_only(client, users):
    log_in(client, ADMIN)

    assert client.get("/logout").status_code == 405
    assert "Signed in as" in client.get("/").text


def test_a_disabled_users_existing_session_stops_working(client, users, engine):
    log_in(client, EDITOR)
    with write_session(engine) as session:
        user = accounts.get_user_or_error(session, EDITOR)
        user.disabled_at = utcnow()  # even without ending the sessions, they no longer count

    assert "Signed in as" not in client.get("/").text


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "x"],
)
def test_next_may_only_be_a_local_path(client, users, next_path):
    response = log_in(client, EDITOR, next=next_path)

    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_the_login_form_keeps_a_local_next(client):
    page = client.get("/login?next=/admin/users%3Fx%3D1")

    assert soup(page.text).select_one("input[name=next]")["value"] == "/admin/users?x=1"


def test_a_login_without_the_forms_token_is_refused(client, users):
    response = client.post("/login", data={"email": EDITOR, "password": PASSWORD})

    assert response.status_code == 403
    assert "brink_session" not in response.cookies


# CSRF


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_state_changing_request_without_the_right_csrf_token_is_refused(client, users, token):
    log_in(client, ADMIN)
    form = {"email": "new@example.org", "role": "editor", "password": PASSWORD}
    if token:
        form["csrf_token"] = token

    response = client.post("/admin/users", data=form)
    logout = client.post("/logout", data={"csrf_token": token} if token else {})

    assert response.status_code == 403
    assert "CSRF token missing or wrong" in text_of(soup(response.text).select_one("main"))
    assert logout.status_code == 403
    assert "Signed in as" in client.get("/").text


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_a_request_from_another_site_is_refused_even_with_the_token(client, users, headers):
    log_in(client, ADMIN)
    token = page_csrf(client, "/")
    form = {"email": "new@example.org", "role": "editor", "password": PASSWORD}

    response = client.post("/admin/users", data={**form, "csrf_token": token}, headers=headers)
    same_site = client.post(
        "/admin/users", data={**form, "csrf_token": token}, headers={"Origin": "http://testserver"}
    )

    assert response.status_code == 403
    assert "came from another site" in response.text
    assert same_site.status_code == 303


def test_htmx_requests_carry_the_csrf_token_in_a_header(client, users):
    log_in(client, ADMIN)
    body = soup(client.get("/").text).select_one("body")
    token = page_csrf(client, "/")

    assert body is not None and '"X-CSRF-Token"' in body["hx-headers"]
    assert token in body["hx-headers"]
    form = {"email": "new@example.org", "role": "editor", "password": PASSWORD}
    response = client.post("/admin/users", data=form, headers={"X-CSRF-Token": token})
    assert response.status_code == 303


# Throttling


def test_five_failures_for_an_account_throttle_it_with_retry_after(client, users, engine):
    for _ in range(accounts.ACCOUNT_FAILURES):
        assert log_in(client, EDITOR, "wrong password!!").status_code == 401

    refused = log_in(client, EDITOR)  # even the right password, while throttled

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many failed attempts" in text_of(soup(refused.text).select_one("[role=alert]"))
    assert log_in(client, ADMIN).status_code == 303  # other accounts are not locked out


def test_throttling_ends_when_the_failures_are_old(client, users, engine):
    for _ in range(accounts.ACCOUNT_FAILURES):
        log_in(client, EDITOR, "wrong password!!")
    with write_session(engine) as session:
        old = utcnow() - accounts.FAILURE_WINDOW - timedelta(seconds=1)
        session.execute(update(LoginFailure).values(failed_at=old))

    assert log_in(client, EDITOR).status_code == 303


def test_a_successful_login_clears_the_accounts_failures(client, users):
    for _ in range(accounts.ACCOUNT_FAILURES - 1):
        log_in(client, EDITOR, "wrong password!!")
    assert log_in(client, EDITOR).status_code == 303
    client.cookies.delete("brink_session")

    for _ in range(accounts.ACCOUNT_FAILURES - 1):
        log_in(client, EDITOR, "wrong password!!")
    assert log_in(client, EDITOR).status_code == 303


def test_twenty_failures_from_one_address_throttle_it(client, users):
    for number in range(accounts.ADDRESS_FAILURES):
        log_in(client, f"guess{number}@example.org", "wrong password!!")

    refused = log_in(client, ADMIN)

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


# The users page


def test_anonymous_visitors_are_sent_to_sign_in_and_cannot_post(client, users):
    page = client.get("/admin/users")
    post = client.post("/admin/users", data={"email": "x@example.org", "password": PASSWORD})

    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/admin/users"
    assert post.status_code == 401


def test_editors_may_not_see_the_users_page(client, users):
    log_in(client, EDITOR)
    token = page_csrf(client, "/")

    page = client.get("/admin/users")
    post = client.post("/admin/users", data={"csrf_token": token, "email": "x@example.org"})

    assert page.status_code == 403
    assert post.status_code == 403


def test_an_admin_sees_every_user_with_role_and_state(client, users):
    log_in(client, ADMIN)

    page = soup(client.get("/admin/users").text)

    rows = {
        text_of(row.select_one("th")).removesuffix(" you"): [text_of(td) for td in row.select("td")]
        for row in page.select(".users-table tbody tr")
    }
    assert rows[ADMIN][:2] == ["admin", "Active"]
    assert rows[EDITOR][:2] == ["editor", "Active"]
    assert page.select_one(".site-header a[href='/admin/users']") is not None


def test_an_admin_can_add_a_user_who_can_then_sign_in(settings, client, users, engine):
    log_in(client, ADMIN)
    token = page_csrf(client)

    form = {"csrf_token": token, "email": "New@Example.org", "role": "editor", "password": PASSWORD}
    response = client.post("/admin/users", data=form)

    assert response.status_code == 303
    notice = soup(client.get(response.headers["location"]).text).select_one("[role=status]")
    assert text_of(notice) == "Added new@example.org."
    assert user_row(engine, "new@example.org").role == "editor"
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as other:
        assert log_in(other, "new@example.org").status_code == 303
    app.state.engine.dispose()


def test_adding_a_user_with_bad_values_shows_the_error_next_to_the_field(client, users):
    log_in(client, ADMIN)
    token = page_csrf(client)

    short = client.post(
        "/admin/users",
        data={"csrf_token": token, "email": "n@example.org", "role": "editor", "password": "x"},
    )
    taken = client.post(
        "/admin/users",
        data={"csrf_token": token, "email": EDITOR, "role": "editor", "password": PASSWORD},
    )

    assert short.status_code == 400
    assert "at least 12" in text_of(soup(short.text).select_one("#new-password-error"))
    assert soup(short.text).select_one("#new-email")["value"] == "n@example.org"
    assert taken.status_code == 400
    assert "already a user" in text_of(soup(taken.text).select_one("#new-email-error"))


def test_an_admin_can_change_a_role_and_disable_and_enable_a_user(client, users, engine):
    log_in(client, ADMIN)
    token = page_csrf(client)
    editor = user_row(engine, EDITOR)

    promoted = client.post(
        f"/admin/users/{editor.id}", data={"csrf_token": token, "action": "role", "role": "admin"}
    )
    assert promoted.status_code == 303
    assert user_row(engine, EDITOR).role == "admin"

    disabled = client.post(
        f"/admin/users/{editor.id}", data={"csrf_token": token, "action": "disable"}
    )
    assert disabled.status_code == 303
    assert user_row(engine, EDITOR).disabled_at is not None

    enabled = client.post(
        f"/admin/users/{editor.id}", data={"csrf_token": token, "action": "enable"}
    )
    assert enabled.status_code == 303
    assert user_row(engine, EDITOR).disabled_at is None


def test_disabling_a_user_from_the_page_ends_their_sessions(settings, client, users, engine):
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as editor_browser:
        log_in(editor_browser, EDITOR)
        assert "Signed in as" in editor_browser.get("/").text
        log_in(client, ADMIN)
        editor_id = user_row(engine, EDITOR).id
        client.post(
            f"/admin/users/{editor_id}", data={"csrf_token": page_csrf(client), "action": "disable"}
        )

        assert "Signed in as" not in editor_browser.get("/").text
    app.state.engine.dispose()
    with Session(engine) as session:
        assert session.scalars(select(LoginSession).filter_by(user_id=editor_id)).all() == []


def test_the_last_admin_cannot_be_demoted(client, users, engine):
    log_in(client, ADMIN)
    admin = user_row(engine, ADMIN)

    response = client.post(
        f"/admin/users/{admin.id}",
        data={"csrf_token": page_csrf(client), "action": "role", "role": "editor"},
    )

    assert response.status_code == 400
    assert "last active administrator" in text_of(soup(response.text).select_one("[role=alert]"))
    assert user_row(engine, ADMIN).role == "admin"


# What readers see


@pytest.mark.parametrize("path", ["/", "/actors", "/login"])
def test_readers_see_nothing_editorial(client, sample, path):
    page = soup(client.get(path).text)

    assert page.select_one(".account-bar") is None
    assert page.select_one("form[action='/logout']") is None
    assert page.select_one("a[href='/admin/users']") is None
    assert page.select_one("body").get("hx-headers") is None


def test_a_readers_page_costs_no_account_query(client, sample):
    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    event.listen(client.app.state.engine, "before_cursor_execute", record)
    try:
        client.get("/actors")
    finally:
        event.remove(client.app.state.engine, "before_cursor_execute", record)

    assert statements
    assert not [s for s in statements if "login_sessions" in s]


def test_signed_in_pages_are_not_cached_by_shared_caches(client, users):
    log_in(client, EDITOR)

    assert client.get("/").headers["cache-control"] == "private, no-store"
