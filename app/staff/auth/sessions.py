"""Staff sessions, kept on the server.

The staff cookie (its own, apart from the respondents' session cookie) carries only a random token;
the `staff_sessions` row is keyed by the token's SHA-256. A session ends when its row goes: on
signing out, after STAFF_IDLE_MINUTES without a request, STAFF_SESSION_HOURS after the password was
given whatever the activity, and for every session of an account when it is disabled, its password
or role changes, its two-factor is reset, or its owner signs out everywhere. A copy of the cookie is
then worth nothing. Every sign-in, and passing the second factor, draws a new token.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import Flask, Response, current_app, g, request
from sqlalchemy import delete, or_, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import StaffSession, StaffUser
from app.staff.auth import clock

TOUCH_EVERY = timedelta(seconds=30)  # "last seen" is rewritten at most this often: fewer writes
MAX_TOKEN_LENGTH = 100  # a longer cookie is no token of ours (ours are 43 characters)


def cookie_hash(token: str) -> str:
    """The SHA-256 of a staff cookie's value: the id of its session row, if it has one."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()



def _limits(app: Flask) -> tuple[timedelta, timedelta]:
    return timedelta(minutes=app.config["STAFF_IDLE_MINUTES"]), timedelta(hours=app.config["STAFF_SESSION_HOURS"])


def start(user: StaffUser, two_factor_done: bool, created_at: datetime | None = None) -> str:
    """Store a new session for `user`; returns the token for the cookie. `created_at` carries the
    absolute limit over from the password step to the session after the second factor."""
    token = secrets.token_urlsafe(32)
    at = clock.now()
    db.session.add(
        StaffSession(
            id=cookie_hash(token), user_id=user.id, created_at=created_at or at, last_seen_at=at, two_factor_done=two_factor_done
        )
    )
    db.session.commit()
    return token


def current() -> tuple[StaffSession | None, bool]:
    """The live session named by this request's staff cookie, and whether a session there had just expired.

    An expired session's row is deleted here. A live one has its "last seen" moved on, and is then
    detached from the database session: the request goes on with the session it began with, even if
    another request replaces it meanwhile (a double click's first post, once its code is right), where
    reloading the row after a commit would fail with the row gone.
    """
    token = request.cookies.get(current_app.config["STAFF_COOKIE_NAME"])
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None, False
    row = db.session.get(StaffSession, cookie_hash(token))
    if row is None:
        return None, False
    at = clock.now()
    idle, absolute = _limits(current_app)
    if at - clock.utc(row.last_seen_at) > idle or at - clock.utc(row.created_at) > absolute:
        db.session.delete(row)
        db.session.commit()
        return None, True
    if not row.user.active:
        end(row)
        return None, False
    if at - clock.utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = at
        db.session.commit()
    _ = row.two_factor_done, row.user  # loaded before the row is detached (its account stays in the session)
    db.session.expunge(row)
    return row, False


def renew(row: StaffSession, two_factor_done: bool) -> str:
    """Replace a session by a new one (a new token), keeping when the password was given."""
    user, created_at = row.user, clock.utc(row.created_at)
    end(row)
    return start(user, two_factor_done, created_at)


def end(row: StaffSession) -> None:
    db.session.execute(delete(StaffSession).where(StaffSession.id == row.id))
    db.session.commit()


def end_all(user_id: int) -> int:
    """End every session of an account; returns how many there were."""
    ended = db.session.execute(delete(StaffSession).where(StaffSession.user_id == user_id)).rowcount
    db.session.commit()
    return ended


def purge_expired(app: Flask) -> int:
    """Delete sessions past either limit (called on each sign-in, so the table stays small)."""
    at = clock.now()
    idle, absolute = _limits(app)
    deleted = db.session.execute(
        delete(StaffSession).where(
            or_(StaffSession.last_seen_at < at - idle, StaffSession.created_at < at - absolute)
        )
    ).rowcount
    db.session.commit()
    return deleted


def set_pending_secret(row: StaffSession, secret: str) -> None:
    db.session.execute(update(StaffSession).where(StaffSession.id == row.id).values(pending_totp_secret=secret))
    db.session.commit()
    set_committed_value(row, "pending_totp_secret", secret)  # the row this request holds (detached) too


def set_cookie(response: Response, token: str) -> Response:
    """The staff cookie: HttpOnly, SameSite=Strict (no other site's link or form carries it), Path=/
    and no Domain (as the __Host- prefix requires), Secure in production. No Max-Age: the server
    decides when it ends."""
    app = current_app
    g.staff_cookie = token  # forms rendered after this belong to the new cookie (app/staff/auth/csrf.py)
    response.set_cookie(
        app.config["STAFF_COOKIE_NAME"],
        token,
        httponly=True,
        samesite="Strict",
        secure=app.config["SESSION_COOKIE_SECURE"],
        path="/",
    )
    return response


def clear_cookie(response: Response) -> Response:
    app = current_app
    response.delete_cookie(
        app.config["STAFF_COOKIE_NAME"], path="/", secure=app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict"
    )
    return response
