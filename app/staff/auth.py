"""Staff accounts and sign-in: password hashing, the database-backed lockout, idle sessions.

Plain functions, testable without HTTP. The lockout counts failures in the database, so it holds
however many server processes there are. Nothing about where an attempt came from is stored.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db, login_manager
from app.models import SignInFailure, StaffUser
from app.staff import audit

PASSWORD_MIN_LENGTH = 12
HASH_METHOD = "scrypt"  # slow and salted; werkzeug's default parameters
USERNAME_MAX_LENGTH = 64


class AccountError(ValueError):
    """A problem with an account change asked for on the command line."""


def now() -> datetime:
    """The current time (UTC); tests replace it to move the clock."""
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment  # SQLite drops the zone


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:USERNAME_MAX_LENGTH]


def hash_password(password: str) -> str:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(f"The password must be at least {PASSWORD_MIN_LENGTH} characters long.")
    return generate_password_hash(password, method=HASH_METHOD)


@cache
def _dummy_hash() -> str:
    # Checked against when the username is unknown, so a wrong username takes as long as a wrong password.
    return generate_password_hash(secrets.token_urlsafe(16), method=HASH_METHOD)


def find_user(username: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == normalise_username(username)))


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    """The user for the id in the session cookie, if the account is active and the session still current."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


# Accounts (the command line manages them; there is no sign-up page).


def create_user(username: str, password: str) -> StaffUser:
    name = normalise_username(username)
    if not name or name != username.strip().lower():
        raise AccountError(f"A username must be 1 to {USERNAME_MAX_LENGTH} characters long.")
    if find_user(name):
        raise AccountError(f"There is already an account called {name}.")
    user = StaffUser(username=name, password_hash=hash_password(password), active=True, session_version=0)
    db.session.add(user)
    db.session.commit()
    audit.record(audit.ACCOUNT_CREATED, None, username=name)
    return user


def _existing(username: str) -> StaffUser:
    user = find_user(username)
    if user is None:
        raise AccountError(f"There is no account called {normalise_username(username)}.")
    return user


def set_password(username: str, password: str) -> StaffUser:
    """Change a password (and re-enable the account); every existing session of that user ends."""
    user = _existing(username)
    user.password_hash = hash_password(password)
    user.active = True
    user.session_version += 1
    db.session.execute(delete(SignInFailure).where(SignInFailure.username == user.username))
    db.session.commit()
    audit.record(audit.PASSWORD_SET, None, username=user.username)
    return user


def disable_user(username: str) -> StaffUser:
    """Stop an account signing in; its existing sessions end on their next request."""
    user = _existing(username)
    user.active = False
    user.session_version += 1
    db.session.commit()
    audit.record(audit.ACCOUNT_DISABLED, None, username=user.username)
    return user


def list_users() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.username)))


# Sign-in and lockout.


@dataclass(frozen=True)
class Lockout:
    failures: int  # failures within `minutes` that lock a username
    minutes: int  # both the counting window and how long the lock lasts


def locked_until(username: str, policy: Lockout, at: datetime) -> datetime | None:
    """When the lock on a username ends, or None if it is not locked at `at`.

    A username is locked for `policy.minutes` after any failure that makes `policy.failures`
    failures within `policy.minutes`. Attempts while locked are not counted, so the lock ends on time.
    """
    window = timedelta(minutes=policy.minutes)
    times = [
        _utc(moment)
        for moment in db.session.scalars(
            select(SignInFailure.failed_at)
            .where(SignInFailure.username == username, SignInFailure.failed_at > at - 2 * window)
            .order_by(SignInFailure.failed_at)
        )
    ]
    ends = None
    for index in range(policy.failures - 1, len(times)):
        if times[index] - times[index - policy.failures + 1] <= window:
            ends = max(ends or times[index], times[index] + window)
    return ends if ends and ends > at else None


def sign_in(username: str, password: str, policy: Lockout) -> StaffUser | None:
    """The user if the username and password are right and the username is not locked; else None.

    Every attempt is audited. The password is always checked against a hash (a dummy one for an
    unknown username), so the time taken does not tell whether an account exists.
    """
    at = now()
    name = normalise_username(username)
    user = find_user(name) if name else None
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    locked = locked_until(name, policy, at) is not None
    if user is not None and user.active and password_ok and not locked:
        db.session.execute(delete(SignInFailure).where(SignInFailure.username == name))
        db.session.commit()
        audit.record(audit.SIGN_IN, name)
        return user
    if locked:
        reason = "locked"
    else:
        reason = "unknown_user" if user is None else ("disabled" if not user.active else "wrong_password")
        db.session.add(SignInFailure(username=name, failed_at=at))
    # Old failures count for nothing; keep the table small.
    db.session.execute(
        delete(SignInFailure).where(SignInFailure.failed_at <= at - timedelta(minutes=2 * policy.minutes))
    )
    db.session.commit()
    audit.record(audit.SIGN_IN_FAILED, name or None, reason=reason)
    return None


def idle_too_long(last_seen: int | None, idle_minutes: int, at: datetime) -> bool:
    """Whether a staff session last used at `last_seen` (a Unix time) has been idle too long."""
    return last_seen is None or at.timestamp() - last_seen > idle_minutes * 60
