"""Two-factor code attempts, each claimed before its code is checked.

A code is six digits, so what guards it is how many guesses get checked. An attempt is first claimed
with one conditional UPDATE of the account's row: it counts the attempt, and matches only if the count
is still the one this request read and the account's delay since its last attempt has passed. Of any
number of posts at once, one claims each allowed attempt and the rest are refused unchecked, on SQLite
(one writer at a time, the condition read under the write lock) and PostgreSQL (the row is locked and
the condition read again) alike. The delays are the password's: after three attempts, 1, 2, 4... s up
to STAFF_SIGNIN_MAX_DELAY_SECONDS.

A success sets the count back to 0. After LOCKOUT attempts in a row without one, codes from the app are
no longer checked at all, until an admin unlocks the account (or resets its two-factor), or a recovery
code is used: 80 random bits, so guessing one is hopeless, and still one attempt per delay.

`failed_codes` is thus the attempts since the last success (the one being checked included), and
`last_failed_code_at` the moment the last one was claimed.
"""

from datetime import timedelta

from flask import current_app, g
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import StaffUser
from app.staff.auth import clock, throttle

LOCKOUT = 10


def locked(user: StaffUser) -> bool:
    """Whether codes from the app are refused until an admin unlocks the account or a recovery code is used."""
    return user.failed_codes >= LOCKOUT


def wait(user: StaffUser) -> float:
    """Seconds before the account's next attempt can be claimed (0: now)."""
    last = clock.utc(user.last_failed_code_at) if user.last_failed_code_at else None
    return throttle.wait(user.failed_codes, last, clock.now(), current_app.config["STAFF_SIGNIN_MAX_DELAY_SECONDS"])


def claim(user: StaffUser, past_lockout: bool = False) -> bool:
    """Claim the right to check one code, before checking it; False: check nothing.

    `past_lockout` is for a recovery code, which may still be tried when codes are locked.
    """
    attempts = user.failed_codes
    g.staff_code_refused = True  # until claimed: the view then answers "wait", having checked nothing
    if (attempts >= LOCKOUT and not past_lockout) or wait(user):
        return False  # decided from the row already read: a flood of refusals writes nothing
    at = clock.now()
    delay = throttle.delay_after(attempts, current_app.config["STAFF_SIGNIN_MAX_DELAY_SECONDS"])
    claimed = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            StaffUser.failed_codes == attempts,  # nobody else claimed since this request read the row
            or_(StaffUser.last_failed_code_at.is_(None), StaffUser.last_failed_code_at <= at - timedelta(seconds=delay)),
        )
        .values(failed_codes=attempts + 1, last_failed_code_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    _commit_keeping_loaded_rows()  # at once, so every other process sees the attempt taken
    if claimed:
        set_committed_value(user, "failed_codes", attempts + 1)
        set_committed_value(user, "last_failed_code_at", at)
    g.staff_code_claimed = claimed == 1
    g.staff_code_refused = claimed != 1
    return claimed == 1


def claimed() -> bool:
    """Whether this request claimed an attempt (and so checked a code); asked once."""
    return g.pop("staff_code_claimed", False)


def refused() -> bool:
    """Whether this request's attempt was refused before any check (a wait, a lock, or another post
    claimed it first); asked once."""
    return g.pop("staff_code_refused", False)


def reset(user: StaffUser) -> None:
    """No attempts counted: after a right code, an admin's unlock or a two-factor reset."""
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_codes=0, last_failed_code_at=None)
        .execution_options(synchronize_session=False)
    )
    _commit_keeping_loaded_rows()
    set_committed_value(user, "failed_codes", 0)
    set_committed_value(user, "last_failed_code_at", None)


def _commit_keeping_loaded_rows() -> None:
    """Commit without expiring what this request has loaded. A refused attempt goes on to show the form
    again; had its commit expired the staff session it read, reloading it would fail if a right code
    posted at the same moment had meanwhile replaced that session (a double click does it)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
