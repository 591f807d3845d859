"""Accounts: users and passwords, login sessions, and throttling of failed logins.

Sessions live in the database, so every worker (and every machine) sees a logout at once. A
session ends 14 days after it was last used, and 30 days after it began whatever happens.
Failed logins are rows too: 5 per account, or 20 per client address, in 15 minutes, and further
attempts are refused until the oldest of them is 15 minutes old.
"""

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from app.db import write_session
from app.models import AccountRole, LoginFailure, LoginSession, User, utcnow

SESSION_IDLE = timedelta(days=14)
SESSION_LIFETIME = timedelta(days=30)
SEEN_EVERY = timedelta(minutes=5)  # how stale last_seen_at may get before a request refreshes it
FAILURE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
ROLES = [role.value for role in AccountRole]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_hasher = PasswordHasher()  # Argon2id, argon2-cffi's RFC 9106 "low memory" parameters


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why, for people."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """The stored form of an address: trimmed, lower-case; refuses what is not an address."""
    email = email.strip().lower()
    if not email:
        raise AccountError("Enter an email address.", "email")
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise AccountError(f"{email!r} is not an email address.", "email")
    return email


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"The password is too short: use at least {MIN_PASSWORD} characters.", "password"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"The password is too long: at most {MAX_PASSWORD}.", "password")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.", "role")
    return role


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user_or_error(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise AccountError(f"No user {email.strip().lower()!r}.", "email")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def add_user(session: Session, email: str, role: str, password: str) -> User:
    email = normalise_email(email)
    check_role(role)
    check_password(password)
    if find_user(session, email) is not None:
        raise AccountError(f"There is already a user {email!r}.", "email")
    user = User(email=email, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    end_sessions(session, user)  # whoever knew the old password is signed out


def active_admins(session: Session) -> int:
    query = select(func.count()).where(User.role == AccountRole.ADMIN, User.disabled_at.is_(None))
    return session.scalar(query) or 0


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role == AccountRole.ADMIN and user.disabled_at is None and active_admins(session) <= 1:
        raise AccountError(f"{user.email} is the last active administrator.", "role")


def set_role(session: Session, user: User, role: str) -> None:
    check_role(role)
    if role != user.role:
        _keep_an_admin(session, user)
        user.role = role


def disable_user(session: Session, user: User) -> None:
    """Disable an account and end all its sessions at once."""
    if user.disabled_at is None:
        _keep_an_admin(session, user)
        user.disabled_at = utcnow()
    end_sessions(session, user)


def enable_user(user: User) -> None:
    user.disabled_at = None


def end_sessions(session: Session, user: User) -> None:
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


@dataclass(frozen=True)
class Account:
    """The signed-in user of a request, as pages and checks need them."""

    user_id: int
    email: str
    role: str
    session_id: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == AccountRole.ADMIN


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new login session for `user`; returns the token for the cookie (stored only hashed)."""
    now = utcnow()
    session.execute(
        delete(LoginSession).where(
            (LoginSession.expires_at < now) | (LoginSession.last_seen_at < now - SESSION_IDLE)
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            id=_session_id(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token


def end_session(engine: Engine, token: str) -> None:
    with write_session(engine) as session:
        session.execute(delete(LoginSession).where(LoginSession.id == _session_id(token)))


def account_for_token(engine: Engine, token: str) -> Account | None:
    """The account a session cookie signs in, if the session is live and the user enabled."""
    if not token or len(token) > 100:
        return None
    now = utcnow()
    session_id = _session_id(token)
    query = (
        select(LoginSession, User)
        .join(User, LoginSession.user_id == User.id)
        .where(
            LoginSession.id == session_id,
            LoginSession.expires_at > now,
            LoginSession.last_seen_at > now - SESSION_IDLE,
            User.disabled_at.is_(None),
        )
    )
    with Session(engine) as session:
        row = session.execute(query).one_or_none()
    if row is None:
        return None
    login, user = row
    if login.last_seen_at < now - SEEN_EVERY:
        with write_session(engine) as session:
            session.execute(
                update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=now)
            )
    return Account(user.id, user.email, user.role, session_id, login.csrf_token)


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    error: str | None = None
    retry_after: int | None = None  # seconds, when throttled


def _throttle_keys(email: str, address: str) -> list[tuple[str, int]]:
    return [(f"account:{email}", ACCOUNT_FAILURES), (f"address:{address}", ADDRESS_FAILURES)]


def _retry_after(session: Session, key: str, limit: int, now: datetime) -> int | None:
    """Seconds until fewer than `limit` failures for `key` remain in the window, if throttled."""
    since = now - FAILURE_WINDOW
    query = (
        select(LoginFailure.failed_at)
        .where(LoginFailure.key == key, LoginFailure.failed_at > since)
        .order_by(LoginFailure.failed_at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    expiring = session.scalar(query)
    if expiring is None:
        return None
    return max(1, math.ceil((expiring + FAILURE_WINDOW - now).total_seconds()))


def log_in(session: Session, email: str, password: str, address: str) -> LoginResult:
    """Check a login attempt, throttled; on success the user, with the hash renewed if due."""
    email = email.strip().lower()[:254]
    now = utcnow()
    keys = _throttle_keys(email, address)
    waits = [_retry_after(session, key, limit, now) for key, limit in keys]
    if any(waits):
        wait = max(w for w in waits if w)
        minutes = math.ceil(wait / 60)
        message = f"Too many failed attempts. Try again in {minutes} minute(s)."
        return LoginResult(error=message, retry_after=wait)
    user = find_user(session, email) if email else None
    # Unknown addresses cost a verification too, so timing does not tell which accounts exist.
    valid = _verify(user.password_hash if user else _dummy_hash(), password)
    if user is None or not valid:
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - FAILURE_WINDOW))
        session.add_all(LoginFailure(key=key, failed_at=now) for key, _ in keys)
        return LoginResult(error="Wrong email or password.")
    if user.disabled_at is not None:
        return LoginResult(error="This account is disabled. Ask an administrator.")
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0][0]))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user=user)
