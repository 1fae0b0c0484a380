"""Staff accounts: create, disable, enable, passwords, roles, two-factor reset and unlock. Plain functions used by the
command line and the admin page; each change is audited, and every change that takes something away
ends the account's sessions at once. No change may leave the service without an enabled admin, and
an admin never disables or demotes themselves from the page (only the command line could undo it)."""

import re

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import StaffUser
from app.staff import audit
from app.staff.auth import code_attempts, passwords, sessions, two_factor

ROLES = ("viewer", "analyst", "editor", "admin")
# The access levels (app/staff/__init__.py) each role has. Viewers and analysts read the data;
# an editor looks after the survey itself (its files, preview, dates, published results) and opens
# nothing of the data; an admin may do everything.
LEVELS = {
    "viewer": {"signed_in", "viewer"},
    "analyst": {"signed_in", "viewer", "analyst"},
    "editor": {"signed_in", "editor"},
    "admin": {"signed_in", "viewer", "analyst", "editor", "admin"},
}
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
    """Change a password; every existing session of that user ends. A disabled account stays disabled:
    enabling it is its own change (`enable_user`), with its own audit entry."""
    user = _existing(username)
    _check_password(password, user.username)
    user.password_hash = passwords.hash_password(password)
    user.failed_passwords, user.last_failed_password_at = 0, None
    db.session.commit()
    sessions.end_all(user.id)
    audit.record(audit.PASSWORD_SET, actor, username=user.username)
    return user


def _not_yourself(user: StaffUser, actor: str | None, doing: str) -> None:
    if actor is not None and actor == user.username:
        raise AccountError(f"You cannot {doing} your own account: ask another admin.")


def _change_keeping_an_admin(user: StaffUser, **values) -> None:
    """Apply `values` to an enabled admin only if another enabled admin remains, or refuse.

    The condition is in the UPDATE itself, so SQLite (one writer at a time) never lets two changes at
    once both pass it; on PostgreSQL the enabled admins' rows are locked first, so two admins demoting
    each other at once take turns, and the second sees the first's change."""
    admins = (StaffUser.role == "admin", StaffUser.active.is_(True))
    # In one order (by id), so two such changes at once never lock the rows in opposite orders (a deadlock).
    db.session.execute(select(StaffUser.id).where(*admins).order_by(StaffUser.id).with_for_update())
    other = aliased(StaffUser)
    another = select(other.id).where(other.role == "admin", other.active.is_(True), other.id != user.id).exists()
    changed = db.session.execute(
        update(StaffUser).where(StaffUser.id == user.id, another).values(**values).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise AccountError(f"{user.username} is the only enabled admin: make another account an admin first.")
    db.session.commit()


def disable_user(username: str, actor: str | None = None) -> StaffUser:
    """Stop an account signing in; its sessions end at once. Never one's own, nor the last enabled admin."""
    user = _existing(username)
    _not_yourself(user, actor, "disable")
    if user.active and user.role == "admin":
        _change_keeping_an_admin(user, active=False)
    else:
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
    """Give an account another role; its sessions end, so the new role applies from its next sign-in.
    Never one's own, and never the last enabled admin's."""
    _check_role(role)
    user = _existing(username)
    _not_yourself(user, actor, "change the role of")
    if user.active and user.role == "admin" and role != "admin":
        _change_keeping_an_admin(user, role=role)
    else:
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


def unlock_codes(username: str, actor: str | None = None) -> StaffUser:
    """Let an account locked for codes (too many wrong ones in a row) try codes again, keeping its
    authenticator app. Its sessions end, so whoever made those attempts must give the password again:
    if it was not the account's owner, set a new password first."""
    user = _existing(username)
    code_attempts.reset(user)
    sessions.end_all(user.id)
    audit.record(audit.TWO_FACTOR_UNLOCKED, actor, username=user.username, by="admin")
    return user


def end_sessions(username: str, actor: str | None = None) -> int:
    user = _existing(username)
    ended = sessions.end_all(user.id)
    audit.record(audit.SESSIONS_ENDED, actor, username=user.username, sessions=ended)
    return ended


def list_users() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.username)))


def has_role(user: StaffUser, needed: str) -> bool:
    return needed in LEVELS.get(user.role, ())
