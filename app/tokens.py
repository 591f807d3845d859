"""API tokens: a newsroom tool's key to the write API, acting as the editor who made it.

A token is shown once, when it is made; the database keeps only its SHA-256, so a leaked
database leaks no working key. A revoked token, or one whose user is disabled, stops working at
the next request.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts import AccountError
from app.db import write_session
from app.models import AccountRole, ApiToken, User, utcnow

PREFIX = "brink_"  # says what the secret is when it turns up in a log or a paste
MAX_NAME = 100
USED_EVERY = timedelta(minutes=1)  # how stale last_used_at may get before a request refreshes it


@dataclass(frozen=True)
class TokenUser:
    """Who a request with a token acts as."""

    user_id: int
    email: str
    role: str
    token_id: int

    @property
    def is_admin(self) -> bool:
        return self.role == AccountRole.ADMIN


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise AccountError(
            "Give the token a name: the tool or the person that will use it.", "name"
        )
    if len(name) > MAX_NAME:
        raise AccountError(f"The name is too long: at most {MAX_NAME} characters.", "name")
    return name


def create(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the plaintext, which is never stored."""
    if user.disabled_at is not None:
        raise AccountError(f"{user.email} is disabled: their tokens would not work.", "email")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=check_name(name), token_hash=_hash(plaintext), created_at=utcnow()
    )
    session.add(token)
    session.flush()
    return token, plaintext


def verify(engine: Engine, plaintext: str) -> TokenUser | None:
    """The user a token acts as, if it is known, not revoked, and its user is enabled."""
    if not plaintext.startswith(PREFIX) or len(plaintext) > 100:
        return None
    query = (
        select(ApiToken, User)
        .join(User, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == _hash(plaintext),
            ApiToken.revoked_at.is_(None),
            User.disabled_at.is_(None),
        )
    )
    with Session(engine) as session:
        row = session.execute(query).one_or_none()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    if token.last_used_at is None or token.last_used_at < now - USED_EVERY:
        with write_session(engine) as session:
            session.execute(
                update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
            )
    return TokenUser(user.id, user.email, user.role, token.id)


def get(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id, options=[joinedload(ApiToken.user)])


def revoke(token: ApiToken) -> bool:
    """Stop a token working; False if it already was revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True


def list_tokens(session: Session, user_id: int | None = None) -> list[ApiToken]:
    """Tokens, newest first, with their users: one user's, or everyone's."""
    query = select(ApiToken).options(joinedload(ApiToken.user))
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
