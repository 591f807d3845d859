"""/account/tokens: editors make and revoke the API tokens their tools write with.

A new token's plaintext is in the response to the form that made it, and nowhere else: not in a
redirect URL (it would land in the history and in logs), not in the database.
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import tokens
from app.accounts import Account, AccountError
from app.db import SessionDep, write_session
from app.models import ApiToken, User
from app.routes.auth import Editor, FormFields
from app.templating import render

router = APIRouter(include_in_schema=False)


def _row(token: ApiToken, zone: Any) -> dict[str, Any]:
    def when(at: datetime | None) -> dict[str, str] | None:
        if at is None:
            return None
        return {"iso": at.isoformat(), "text": at.astimezone(zone).strftime("%d %b %Y, %H:%M")}

    return {
        "id": token.id,
        "name": token.name,
        "email": token.user.email,
        "created": when(token.created_at),
        "last_used": when(token.last_used_at),
        "revoked": when(token.revoked_at),
    }


def _tokens_page(
    request: Request,
    session: Session,
    account: Account,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    new_token: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    zone = request.app.state.settings.zone
    own = [_row(t, zone) for t in tokens.list_tokens(session, account.user_id)]
    others = []
    if account.is_admin:
        everyone = tokens.list_tokens(session)
        others = [_row(t, zone) for t in everyone if t.user_id != account.user_id]
    notice = None
    revoked = request.query_params.get("revoked", "")
    shown = tokens.get(session, int(revoked)) if revoked.isdigit() and len(revoked) < 10 else None
    if shown is not None and (shown.user_id == account.user_id or account.is_admin):
        notice = f"Revoked “{shown.name}”: tools using it are refused from now on."
    context: dict[str, Any] = {
        "title": "API tokens",
        "own": own,
        "others": others,
        "form": form or {"name": ""},
        "errors": errors or {},
        "notice": notice,
        "new_token": new_token,
        "max_name": tokens.MAX_NAME,
    }
    response = render(request, "account_tokens.html", context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: SessionDep, account: Editor) -> Response:
    """Your API tokens (and, for administrators, everyone's), and a form to make one."""
    return _tokens_page(request, session, account)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, account: Editor, fields: FormFields) -> Response:
    """Make a token and show it, this once."""
    name = fields.get("name", "")[: tokens.MAX_NAME * 2]
    try:
        with write_session(request.app.state.engine) as session:
            user = session.get(User, account.user_id)
            assert user is not None  # signed in, so they exist
            token, plaintext = tokens.create(session, user, name)
            new_token = {"name": token.name, "plaintext": plaintext}
    except AccountError as error:
        with request.app.state.sessions() as session:
            return _tokens_page(
                request,
                session,
                account,
                form={"name": name},
                errors={"name": str(error)},
                status_code=400,
            )
    with request.app.state.sessions() as session:
        return _tokens_page(request, session, account, new_token=new_token)


@router.post("/account/tokens/{token_id:int}/revoke")
def revoke_token(request: Request, token_id: int, account: Editor) -> Response:
    """Revoke one of your tokens (administrators: anyone's); it stops working at once."""
    with write_session(request.app.state.engine) as session:
        token = tokens.get(session, token_id) if token_id < 2**31 else None
        if token is None or (token.user_id != account.user_id and not account.is_admin):
            raise HTTPException(404, "There is no such token.")
        tokens.revoke(token)
    return RedirectResponse(f"/account/tokens?revoked={token_id}", status_code=303)
