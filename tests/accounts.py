"""Signing in the way an editor does, for tests of the editorial pages."""

from fastapi.testclient import TestClient

from tests.html import soup

PASSWORD = "correct horse battery"
ADMIN = "admin@example.org"
EDITOR = "editor@example.org"


def log_in(client: TestClient, email: str = EDITOR) -> str:
    """Sign in through the form, as `email`; the CSRF token of the signed-in pages."""
    field = soup(client.get("/login").text).select_one("input[name=csrf_token]")
    assert field is not None
    form = {"email": email, "password": PASSWORD, "csrf_token": field["value"], "next": "/"}
    assert client.post("/login", data=form).status_code == 303
    field = soup(client.get("/").text).select_one(".logout-form input[name=csrf_token]")
    assert field is not None
    return str(field["value"])
