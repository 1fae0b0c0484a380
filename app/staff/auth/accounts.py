"""Staff accounts: create, disable, enable, passwords, roles, two-factor reset. Plain functions used by the
command line and the admin page; each change is audited, and every change that takes something away
ends the account's sessions at once."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import StaffUser
from app.staff import audit
from app.staff.auth import passwords, sessions, two_factor

ROLES = ("viewer", "analyst", "admin")  # each can do all that the ones before it can
DEFAULT_ROLE = "analyst"
USERNAME_MAX_LENGTH = 64
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class AccountError(ValueError):
    """A problem with an account change asked for (the message is for the person who asked)."""


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def valid_username(username: str) -> bool:
    return USERNAME_PATTERN.fullmatch(normalise_username(username)) is not None


def find_user(username: str) -> StaffUser | None:
    name = normalise_username(username)
    if not valid_username(name):
        return None  # never sent to the database: it holds no such name
    return db.session.scalar(select(StaffUser).where(StaffUser.username == name))


def _existing(username: str) -> StaffUser:
    user = find_user(username)
    if user is None:
        raise AccountError(f"There is no account called {normalise_username(username)}.")
    return user


def _check_password(password: str, username: str) -> None:
    problem = passwords.weakness(password, username)
    if problem:
        raise AccountError(problem)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")


def create_user(username: str, password: str, role: str = DEFAULT_ROLE, actor: str | None = None) -> StaffUser:
    name = normalise_username(username)
    if not valid_username(name):
        raise AccountError(
            f"A username is 1 to {USERNAME_MAX_LENGTH} lower-case letters, digits, dots, hyphens or underscores."
        )
    _check_role(role)
    if find_user(name):
        raise AccountError(f"There is already an account called {name}.")
    _check_password(password, name)
    user = StaffUser(username=name, password_hash=passwords.hash_password(password), active=True, role=role)
    db.session.add(user)
    db.session.commit()
    audit.record(audit.ACCOUNT_CREATED, actor, username=name, role=role)
    return user


def set_password(username: str, password: str, actor: str | None = None) -> StaffUser:
    """Change a password (and re-enable the account); every existing session of that user ends."""
    user = _existing(username)
    _check_password(password, user.username)
    user.password_hash = passwords.hash_password(password)
    user.active = True
    user.failed_passwords, user.last_failed_password_at = 0, None
    db.session.commit()
    sessions.end_all(user.id)
    audit.record(audit.PASSWORD_SET, actor, username=user.username)
    return user


def disable_user(username: str, actor: str | None = None) -> StaffUser:
    """Stop an account signing in; its sessions end at once."""
    user = _existing(username)
    user.active = False
    db.session.commit()
    sessions.end_all(user.id)
    audit.record(audit.ACCOUNT_DISABLED, actor, username=user.username)
    return user


def enable_user(username: str, actor: str | None = None) -> StaffUser:
    user = _existing(username)
    user.active = True
    db.session.commit()
    audit.record(audit.ACCOUNT_ENABLED, actor, username=user.username)
    return user


def set_role(username: str, role: str, actor: str | None = None) -> StaffUser:
    """Give an account another role; its sessions end, so the new role applies from its next sign-in."""
    _check_role(role)
    user = _existing(username)
    user.role = role
    db.session.commit()
    sessions.end_all(user.id)
    audit.record(audit.ROLE_SET, actor, username=user.username, role=role)
    return user


def reset_two_factor(username: str, actor: str | None = None) -> StaffUser:
    """For a lost phone: forget the second factor and recovery codes; the account enrols again at its
    next sign-in (with its password). Its sessions end."""
    user = _existing(username)
    two_factor.reset(user)
    sessions.end_all(user.id)
    audit.record(audit.TWO_FACTOR_RESET, actor, username=user.username)
    return user


def end_sessions(username: str, actor: str | None = None) -> int:
    user = _existing(username)
    ended = sessions.end_all(user.id)
    audit.record(audit.SESSIONS_ENDED, actor, username=user.username, sessions=ended)
    return ended


def list_users() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.username)))


def has_role(user: StaffUser, needed: str) -> bool:
    return user.role in ROLES and ROLES.index(user.role) >= ROLES.index(needed)
