"""Two-factor codes sent at once: each attempt is claimed before its code is checked, so a burst of posts
gets no more checks than the account's delays allow; after ten in a row without a success, codes are
locked until an admin unlocks them or a recovery code is used.

The parallel posts go to a real threaded server on 127.0.0.1 (werkzeug's), as a guesser's would, and
each code check is counted by wrapping the function that checks a TOTP code."""

import http.client
import threading
import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from app.extensions import db
from app.models import AuditEvent, StaffUser
from app.staff import auth
from app.staff.auth import code_attempts, two_factor
from tests.helpers import soup
from tests.staff.conftest import USERNAME, csrf_token, make_user, next_code, post_password, sign_in, staff_cookie

PARALLEL = 20
NOW = datetime(2026, 6, 22, 12, 0, 0, tzinfo=timezone.utc)  # the clock stands still: no delay runs out mid-burst


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(auth.clock, "now", lambda: NOW)


@pytest.fixture
def checked(monkeypatch):
    """Every TOTP code checked, counted. Each check is made a little slow, so that posts sent at once
    really overlap (as on a loaded server), whatever the machine."""
    calls, lock = [], threading.Lock()
    real = two_factor.code_matches

    def counting(*args):
        with lock:
            calls.append(args[1])
        time.sleep(0.05)
        return real(*args)

    monkeypatch.setattr(two_factor, "code_matches", counting)
    return calls


@pytest.fixture
def server(make_app):
    """The app on a threaded server (a thread per request, as many pages at once as posts sent)."""
    app = make_app(PAGE_THREADS=PARALLEL)
    http_server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    yield app, http_server.server_port
    http_server.shutdown()
    thread.join(10)


def set_attempts(app, attempts: int, last: datetime | None) -> None:
    with app.app_context():
        db.session.execute(update(StaffUser).values(failed_codes=attempts, last_failed_code_at=last))
        db.session.commit()


def attempts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(StaffUser.failed_codes))


def post_at_once(port: int, cookie: str, token: str, codes: list[str], path: str = "/staff/two-factor") -> list[int]:
    """Send one post per code, all released together, each on its own connection; their statuses."""
    start, statuses = threading.Barrier(len(codes)), [None] * len(codes)

    def send(index: int, code: str):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = f"csrf_token={token}&code={code}"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"staff={cookie}"}
        start.wait()
        connection.request("POST", path, body, headers)
        statuses[index] = connection.getresponse().status
        connection.close()

    threads = [threading.Thread(target=send, args=(index, code)) for index, code in enumerate(codes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def password_given(app):
    """A browser past the password step: its staff cookie and the two-factor form's token."""
    make_user(app)
    client = app.test_client()
    assert post_password(client).headers["Location"] == "/staff/two-factor"
    return client, staff_cookie(client), csrf_token(client, "/staff/two-factor")


@pytest.mark.parametrize("before, allowed", [
    (3, 1),  # past the free tries, the delay since the last one over: one attempt, then a wait
    (0, 3),  # a fresh account: its three free tries, then a wait
    (code_attempts.LOCKOUT, 0),  # locked: no code from the app is checked at all
])
def test_finding_wrong_codes_sent_at_once_are_checked_once_per_allowed_attempt(server, frozen, checked, before, allowed):
    # It used to read the wait when a request started and count a failure after the check, so every
    # post of a burst passed the wait: of 20 at once, 15 or 16 were checked here (4 in a process with
    # its default 4 page slots, so 12 on a server of 3).
    app, port = server
    _, cookie, token = password_given(app)
    set_attempts(app, before, NOW - timedelta(hours=1) if before else None)
    statuses = post_at_once(port, cookie, token, [f"{100000 + index}" for index in range(PARALLEL)])
    assert set(statuses) <= {200, 429}  # the form again, or "wait": never an error
    assert len(checked) == allowed
    assert attempts(app) == before + allowed  # each check was counted; nothing else was
    # "Not right" only for a code that was checked; every other post is told to wait (429), except on a
    # locked account, whose page says it is locked and what unlocks it.
    assert statuses.count(200) == (PARALLEL if before == code_attempts.LOCKOUT else allowed)


@pytest.mark.parametrize("before", [0, 3])
def test_the_right_code_sent_many_times_at_once_signs_in_once_and_fails_none(server, frozen, checked, before):
    # A double click, or many: one post signs in; the rest are answered with the form, a wait or (once
    # the session they carry is replaced) the sign-in page, never an error.
    app, port = server
    _, cookie, token = password_given(app)
    set_attempts(app, before, NOW - timedelta(hours=1) if before else None)
    statuses = post_at_once(port, cookie, token, [next_code(app)] * PARALLEL)
    assert statuses.count(303) == 1 and set(statuses) <= {200, 302, 303, 429}
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("sign_in") == 1 and actions.count("sign_in_failed") == len(checked) - 1  # each other check: "used already"


def wrong_codes(client, app, count: int, clock_monkeypatch):
    """`count` wrong codes one after another, the clock moved past each delay."""
    moment = [NOW]
    clock_monkeypatch.setattr(auth.clock, "now", lambda: moment[0])
    for _ in range(count):
        moment[0] += timedelta(minutes=2)
        page = client.post("/staff/two-factor", data={"csrf_token": csrf_token(client, "/staff/two-factor"), "code": "123456"})
        assert page.status_code == 200
    return moment


def test_ten_wrong_codes_lock_the_account_until_an_admin_unlocks_it(app, client, monkeypatch):
    make_user(app)
    post_password(client)
    moment = wrong_codes(client, app, code_attempts.LOCKOUT, monkeypatch)
    moment[0] += timedelta(minutes=2)
    assert "not accepted now" in soup(client.get("/staff/two-factor")).select_one(".codes-locked").get_text()
    refused = client.post("/staff/two-factor", data={"csrf_token": csrf_token(client, "/staff/two-factor"), "code": next_code(app)})
    assert refused.status_code == 200 and client.get("/staff").status_code == 302  # the right code is not even checked
    # Not "the code is not right": it was never checked.
    assert soup(refused).select_one(".error-message").get_text(strip=True).endswith("Enter a recovery code.")
    with app.app_context():
        events = [(e.action, e.details) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events.count(("sign_in_failed", {"reason": "wrong_code"})) == code_attempts.LOCKOUT
    assert events[-1] == ("two_factor_locked", {"attempts": code_attempts.LOCKOUT})
    listed = app.test_cli_runner().invoke(args=["staff", "list"]).output
    assert listed == f"{USERNAME}\tadmin\tactive\t2fa-locked\n"
    result = app.test_cli_runner().invoke(args=["staff", "unlock-2fa", USERNAME])
    assert result.exit_code == 0 and result.output == f"Unlocked two-factor codes for {USERNAME}.\n"
    assert client.get("/staff").headers["Location"] == "/staff/login"  # the guesser's session ended
    assert sign_in(client).status_code == 303 and client.get("/staff").status_code == 200  # the same app, no new set-up
    with app.app_context():
        unlocked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_unlocked"))
        assert (unlocked.actor, unlocked.details) == (None, {"username": USERNAME, "by": "admin"})


def test_a_recovery_code_unlocks_a_locked_account(app, client, monkeypatch):
    make_user(app)
    with app.app_context():
        code = two_factor.new_recovery_codes(auth.find_user(USERNAME))[0]
    post_password(client)
    moment = wrong_codes(client, app, code_attempts.LOCKOUT, monkeypatch)
    moment[0] += timedelta(minutes=2)
    page = client.post("/staff/two-factor", data={"csrf_token": csrf_token(client, "/staff/two-factor"), "code": code})
    assert page.status_code == 303 and client.get("/staff").status_code == 200
    assert attempts(app) == 0
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-3:] == ["recovery_code_used", "two_factor_unlocked", "sign_in"]


def test_reset_2fa_also_unlocks(app, client, monkeypatch):
    make_user(app)
    post_password(client)
    wrong_codes(client, app, code_attempts.LOCKOUT, monkeypatch)
    assert app.test_cli_runner().invoke(args=["staff", "reset-2fa", USERNAME]).exit_code == 0
    assert attempts(app) == 0
    assert post_password(client).headers["Location"] == "/staff/two-factor/set-up"


def test_the_set_up_page_claims_each_attempt_too(app, client, monkeypatch):
    make_user(app, enrolled=False)
    post_password(client)
    set_attempts(app, code_attempts.LOCKOUT, None)
    page = soup(client.get("/staff/two-factor/set-up"))
    assert page.select_one(".codes-locked")
    secret = page.select_one(".secret code").get_text().replace(" ", "")
    token = page.select_one("input[name=csrf_token]")["value"]
    right = client.post("/staff/two-factor/set-up", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(auth.clock.now())})
    assert right.status_code == 200 and client.get("/staff").status_code == 302  # locked: not checked, not enrolled
    set_attempts(app, 0, None)
    right = client.post("/staff/two-factor/set-up", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(auth.clock.now())})
    assert right.status_code == 200 and soup(right).select(".recovery-codes code")
    assert attempts(app) == 0


def test_wrong_set_up_codes_sent_at_once_are_checked_once_per_allowed_attempt(server, frozen, checked):
    app, port = server
    make_user(app, enrolled=False)
    client = app.test_client()
    post_password(client)
    token = soup(client.get("/staff/two-factor/set-up")).select_one("input[name=csrf_token]")["value"]
    set_attempts(app, 3, NOW - timedelta(hours=1))
    codes = [f"{200000 + index}" for index in range(PARALLEL)]
    statuses = post_at_once(port, staff_cookie(client), token, codes, "/staff/two-factor/set-up")
    assert set(statuses) <= {200, 429}
    assert len(checked) == 1 and attempts(app) == 4
    assert statuses.count(200) == 1  # the one checked; every other post is told to wait
