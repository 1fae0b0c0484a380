"""Staff sign-in: passwords, the throttle, two-factor codes and server-side sessions.

- `passwords`: what a new password must be, scrypt hashing.
- `throttle`: growing delays per username, and each process's share of password checking.
- `two_factor`: TOTP enrolment and codes, recovery codes.
- `code_attempts`: each code attempt claimed before its check, the delays, and the lockout.
- `sessions`: the staff cookie and the session rows behind it.
- `accounts`: creating and changing accounts (command line and admin page).
- `csrf`: staff forms' CSRF tokens, bound to the staff cookie, apart from the respondents' session.

`check_password` below is the password step of signing in, in the order that keeps a flood cheap:
everything that can refuse an attempt without hashing runs first.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import update

from app.extensions import db
from app.models import StaffUser
from app.staff import audit
from app.staff.auth import clock, code_attempts, passwords, throttle, two_factor
from app.staff.auth.accounts import (  # noqa: F401  (the names the rest of the app uses)
    ROLES,
    AccountError,
    create_user,
    disable_user,
    enable_user,
    end_sessions,
    find_user,
    has_role,
    list_users,
    normalise_username,
    reset_two_factor,
    set_password,
    set_role,
    unlock_codes,
    valid_username,
)


@dataclass(frozen=True)
class Attempt:
    """What became of a sign-in attempt: the account on success, else how long to wait (0: just wrong)."""

    user: StaffUser | None = None
    retry_after: float = 0.0
    busy: bool = False  # refused because the server is checking as many passwords as it may at once


def checks() -> throttle.PasswordChecks:
    return current_app.extensions["staff_password_checks"]


def check_password(username: str, password: str) -> Attempt:
    """The password step. Refuses without hashing when the username must wait or the process is busy;
    otherwise checks the password (against a dummy hash for an unknown account) and counts a failure.

    Audited: a sign-in failure names a real account, or says "unknown account", never the text typed.
    Refusals before hashing are not audited: a flood of them would write a row each.
    """
    at = clock.now()
    max_delay = current_app.config["STAFF_SIGNIN_MAX_DELAY_SECONDS"]
    name = normalise_username(username)
    user = find_user(name)
    if user is not None:
        failures, last = user.failed_passwords, user.last_failed_password_at
        last = clock.utc(last) if last else None
    else:
        failures, last = checks().unknown_failures(name)
    wait = throttle.wait(failures, last, at, max_delay)
    if wait:
        return Attempt(retry_after=wait)
    try:
        with checks().slot():
            right = passwords.matches(user.password_hash if user else None, password)
    except throttle.Busy as busy:
        return Attempt(retry_after=busy.retry_after, busy=True)
    if user is None:
        checks().unknown_failed(name, at)
        audit.record_unknown_sign_in_failure()
        return Attempt(retry_after=0.0)
    if right and user.active:
        user.failed_passwords, user.last_failed_password_at = 0, None
        db.session.commit()
        return Attempt(user=user)
    # Counted in one UPDATE, so failures from several processes at once all count.
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_passwords=StaffUser.failed_passwords + 1, last_failed_password_at=at)
    )
    db.session.commit()
    audit.record(audit.SIGN_IN_FAILED, user.username, reason="wrong_password" if user.active else "disabled")
    return Attempt()


def code_wait(user: StaffUser) -> float:
    """Seconds before this account's next code may be tried (from the row already read)."""
    return code_attempts.wait(user)


def codes_locked(user: StaffUser) -> bool:
    return code_attempts.locked(user)


def check_code(user: StaffUser, code: str) -> bool:
    """The second step: a TOTP code (once only) or a recovery code (once only).

    The attempt is claimed before the code is checked (code_attempts.py), so posts sent at once get
    one check per allowed attempt; a refused one is False, unchecked and unaudited. Once the account is
    locked for codes, only a recovery code is checked, and using one unlocks it."""
    was_locked = code_attempts.locked(user)
    if not code_attempts.claim(user, past_lockout=two_factor.looks_like_recovery_code(code)):
        return False
    if two_factor.use_code(user, code, clock.now()):
        used = "app"
    elif two_factor.use_recovery_code(user, code):
        used = "recovery_code"
    else:
        code_failed(user)
        return False
    code_attempts.reset(user)
    if used == "recovery_code":
        audit.record(audit.RECOVERY_CODE_USED, user.username, left=two_factor.recovery_codes_left(user))
        if was_locked:
            audit.record(audit.TWO_FACTOR_UNLOCKED, user.username, username=user.username, by="recovery_code")
    return True


def code_failed(user: StaffUser) -> None:
    """Audit a wrong code this request checked (it was counted when claimed), and the lockout if this
    attempt reached it. An attempt refused before any check is not audited: a flood would write a row each."""
    if not code_attempts.claimed():
        return
    audit.record(audit.SIGN_IN_FAILED, user.username, reason="wrong_code")
    if user.failed_codes == code_attempts.LOCKOUT:
        audit.record(audit.TWO_FACTOR_LOCKED, user.username, attempts=code_attempts.LOCKOUT)


def init_app(app) -> None:
    """Each process's share of password checking, and staff CSRF tokens apart from the respondents'."""
    from flask import g, request
    from flask_wtf.csrf import generate_csrf

    from app.extensions import csrf as respondents_csrf
    from app.sessions import is_staff_path
    from app.staff import bp
    from app.staff.auth import csrf

    respondents_csrf.exempt(bp)  # checked by the staff guard instead, against the staff cookie
    # `csrf_token()` in templates (macros imported without context see only globals): the staff
    # token on staff pages, Flask-WTF's (kept in the respondents' session) everywhere else.
    app.jinja_env.globals["csrf_token"] = lambda: csrf.token() if is_staff_path(request.path) else generate_csrf()
    # The two-factor pages say when the account is locked for codes (and what unlocks it).
    app.jinja_env.globals["codes_locked"] = lambda: g.get("staff_session") is not None and codes_locked(g.staff_session.user)
    config = app.config
    checks = app.extensions["staff_password_checks"] = throttle.PasswordChecks(
        config["STAFF_PASSWORD_CHECKS_PER_MINUTE"],
        config["STAFF_PASSWORD_CHECKS_BURST"],
        config["STAFF_CONCURRENT_PASSWORD_CHECKS"],
        throttle.lock_files(
            config["SQLALCHEMY_DATABASE_URI"],
            max(config["STAFF_CONCURRENT_PASSWORD_CHECKS"], 1),
            config["STAFF_LOCK_DIR"] or app.instance_path,
        ),
    )
    app.wsgi_app = throttle.SignInGate(
        app.wsgi_app, app, checks, config["STAFF_REFUSAL_PAUSE_MS"] / 1000, config["STAFF_REFUSALS_HELD"]
    )
