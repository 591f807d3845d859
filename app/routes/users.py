"""/admin/users: administrators add accounts, change roles, disable and enable them."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app import accounts
from app.accounts import AccountError
from app.db import SessionDep, write_session
from app.models import User
from app.routes.auth import Admin, FormFields
from app.templating import render

router = APIRouter()

NOTICES = {
    "added": "Added {email}.",
    "role": "{email} is now {role}.",
    "disabled": "Disabled {email}; their sessions have ended.",
    "enabled": "Enabled {email}.",
}


def _users_page(
    request: Request,
    session: Session,
    admin: accounts.Account,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    users = accounts.list_users(session)
    notice = None
    done, user_id = request.query_params.get("done"), request.query_params.get("user")
    shown = next((u for u in users if str(u.id) == user_id), None)
    if done in NOTICES and shown is not None:
        notice = NOTICES[done].format(email=shown.email, role=shown.role)
    context: dict[str, Any] = {
        "title": "Users",
        "users": [
            {"user": user, "is_self": user.id == admin.user_id, "state": _state(user)}
            for user in users
        ],
        "roles": accounts.ROLES,
        "form": form or {"email": "", "role": "editor"},
        "errors": errors or {},
        "notice": notice,
        "min_password": accounts.MIN_PASSWORD,
    }
    response = render(request, "admin_users.html", context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _state(user: User) -> str:
    if user.disabled_at is None:
        return "Active"
    return f"Disabled {user.disabled_at:%d %b %Y}"


def _done(what: str, user: User) -> RedirectResponse:
    return RedirectResponse(f"/admin/users?done={what}&user={user.id}", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, admin: Admin) -> Response:
    """Every account, with its role and state."""
    return _users_page(request, session, admin)


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(request: Request, admin: Admin, fields: FormFields) -> Response:
    """Add an editor or an administrator, with an initial password."""
    form = {"email": fields.get("email", "")[:254], "role": fields.get("role", "editor")}
    try:
        with write_session(request.app.state.engine) as session:
            user = accounts.add_user(
                session, form["email"], form["role"], fields.get("password", "")
            )
    except AccountError as error:
        errors = {error.field or "email": str(error)}
        with request.app.state.sessions() as session:
            return _users_page(request, session, admin, form=form, errors=errors, status_code=400)
    return _done("added", user)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def change_user(request: Request, user_id: int, admin: Admin, fields: FormFields) -> Response:
    """Change one account: `action` is role (with `role`), disable or enable."""
    action = fields.get("action")
    try:
        with write_session(request.app.state.engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise HTTPException(404, "There is no such user.")
            if action == "role":
                accounts.set_role(session, user, fields.get("role", ""))
            elif action == "disable":
                if user.id == admin.user_id:
                    raise AccountError("You cannot disable your own account.")
                accounts.disable_user(session, user)
            elif action == "enable":
                accounts.enable_user(user)
            else:
                raise HTTPException(400, "Unknown action.")
    except AccountError as error:
        with request.app.state.sessions() as session:
            errors = {"change": str(error)}
            return _users_page(request, session, admin, errors=errors, status_code=400)
    return _done({"role": "role", "disable": "disabled", "enable": "enabled"}[action], user)
