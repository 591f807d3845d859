"""Signing in and out, who is signed in, and the CSRF check on every state-changing request."""

import io
import secrets
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app import accounts
from app.accounts import Account
from app.db import write_session
from app.templating import render

SESSION_COOKIE = "brink_session"
LOGIN_CSRF_COOKIE = "brink_login_csrf"  # double-submit token for the anonymous login form
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_FORM_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a form with a file: /admin/import

router = APIRouter()


class LoginRequired(Exception):
    """A page needs a signed-in user: answered with a redirect to /login?next=…"""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def login_redirect(_request: Request, error: LoginRequired) -> Response:
    return RedirectResponse(f"/login?next={quote(error.next_path, safe='/')}", status_code=303)


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def form_fields(request: Request) -> dict[str, str]:
    """A form's text fields (urlencoded, or multipart with a file), read once and cached."""
    cached: dict[str, str] | None = getattr(request.state, "form_fields", None)
    if cached is not None:
        return cached
    fields: dict[str, str] = {}
    content_type = _content_type(request)
    if content_type == "application/x-www-form-urlencoded":
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            raise HTTPException(413, "The form is too large.")
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "The form is too large.")
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif content_type == "multipart/form-data":
        form = await upload_form(request)
        fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
    request.state.form_fields = fields
    return fields


async def upload_form(request: Request) -> FormData:
    """A multipart form with at most one file, its size checked before any of it is read."""
    cached: FormData | None = getattr(request.state, "upload_form", None)
    if cached is not None:
        return cached
    if _content_type(request) != "multipart/form-data":
        return FormData()
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "Send the upload with its length (Content-Length).")
    if int(length) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"The upload is too large: at most {MAX_UPLOAD_BYTES >> 20} MB.")
    # Starlette answers 400 for a malformed body, too many parts, or a text field over the limit.
    parsed = await request.form(max_files=1, max_fields=50, max_part_size=MAX_FORM_BYTES)
    # The file, in memory (it is small enough): its spooled temporary file is closed now, whether
    # or not a route reads it (a request refused for its CSRF token never does).
    items: list[tuple[str, str | UploadFile]] = []
    for name, value in parsed.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            await value.close()
            value = UploadFile(
                io.BytesIO(content), size=len(content), filename=value.filename,
                headers=value.headers,
            )  # fmt: skip
        items.append((name, value))
    form = FormData(items)
    request.state.upload_form = form
    return form


FormFields = Annotated[dict[str, str], Depends(form_fields)]
UploadForm = Annotated[FormData, Depends(upload_form)]


def _tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and secrets.compare_digest(
        str(expected).encode(), str(given).encode()
    )


def _from_another_site(request: Request) -> bool:
    """Whether the browser says the request came from a page of another site (Origin, or
    Sec-Fetch-Site where Origin is absent): such requests may never change anything."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        return (parts.scheme, parts.netloc) != (request.url.scheme, request.url.netloc)
    if origin == "null":
        return True
    return request.headers.get("sec-fetch-site") == "cross-site"


async def load_account(request: Request) -> None:
    """Run for every route: find the signed-in account (only when a session cookie is sent, so
    readers cost no query), and refuse a state-changing request from another site or without
    its CSRF token."""
    if request.url.path.startswith("/api/"):
        # The write API is authorised by its bearer token alone (app/routes/api.py): a cookie
        # carries no authority there, so there is nothing to forge and nothing to check.
        request.state.account = None
        return
    if request.method not in SAFE_METHODS and _from_another_site(request):
        raise HTTPException(403, "This request came from another site and was refused.")
    token = request.cookies.get(SESSION_COOKIE)
    account = None
    if token:
        engine = request.app.state.engine
        account = await run_in_threadpool(accounts.account_for_token, engine, token)
    request.state.account = account
    if request.method in SAFE_METHODS or account is None or request.url.path == "/login":
        return  # anonymous requests carry no authority to forge; /login has its own token
    given = request.headers.get(CSRF_HEADER) or (await form_fields(request)).get(CSRF_FIELD)
    if not _tokens_match(account.csrf_token, given):
        raise HTTPException(
            403,
            "This form has expired or did not come from this site (CSRF token missing or wrong). "
            "Go back, reload the page and try again.",
        )


def current_user(request: Request) -> Account | None:
    return getattr(request.state, "account", None)


CurrentUser = Annotated[Account | None, Depends(current_user)]


def _signed_in(request: Request, account: Account | None) -> Account:
    if account is not None:
        return account
    if request.method in SAFE_METHODS:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    raise HTTPException(401, "Sign in first.")


def require_editor(request: Request, account: CurrentUser) -> Account:
    return _signed_in(request, account)  # every role can edit


def require_admin(request: Request, account: CurrentUser) -> Account:
    account = _signed_in(request, account)
    if not account.is_admin:
        raise HTTPException(403, "Only administrators can do this.")
    return account


Editor = Annotated[Account, Depends(require_editor)]
Admin = Annotated[Account, Depends(require_admin)]


def safe_next(value: str | None) -> str:
    """A path on this site to go to after signing in; anything else (another site) gives /."""
    if not value or len(value) > 2000 or "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def _login_page(
    request: Request,
    next_path: str,
    *,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {"next": next_path, "email": email, "error": error, "login_csrf": csrf}
    response = render(request, "login.html", context, status_code=status_code, headers=headers)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, account: CurrentUser, next: str | None = None) -> Response:
    """The sign-in form for editors."""
    next_path = safe_next(next)
    if account is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_page(request, next_path)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, fields: FormFields) -> Response:
    """Check the form; on success a new session, its cookie, and a redirect to `next`."""
    next_path = safe_next(fields.get("next"))
    email = fields.get("email", "")[:254]
    if not _tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), fields.get(CSRF_FIELD)):
        error = "The sign-in form had expired. Please try again."
        return _login_page(request, next_path, email=email, error=error, status_code=403)
    address = request.client.host if request.client else "unknown"
    engine = request.app.state.engine
    with write_session(engine) as session:
        result = accounts.log_in(session, email, fields.get("password", ""), address)
        token = accounts.start_session(session, result.user) if result.user else None
    if token is None:
        status, headers = 401, None
        if result.retry_after:
            status, headers = 429, {"Retry-After": str(result.retry_after)}
        return _login_page(
            request, next_path, email=email, error=result.error, status_code=status, headers=headers
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts.end_session(engine, old)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End this browser's session (the CSRF check ran in load_account) and go to the timeline."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(request.app.state.engine, token)
    response = RedirectResponse("/", status_code=303)
    secure = request.url.scheme == "https"
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    return response
