"""Sign-in as an attacker would try it: sessions that end on the server, a cookie of its own, the throttle,
the audit trail's contents, odd bytes, weak passwords. Each finding of the security review is a test here."""

import errno
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, StaffSession, StaffUser
from app.staff import auth
from app.staff.auth import clock
from tests.helpers import Respondent, soup, stored_values
from tests.staff.conftest import (
    PASSWORD,
    USERNAME,
    csrf_token,
    make_user,
    post_password,
    sign_in,
    staff_cookie,
)

GENERIC = "The username or password is not right"
REAL_NOW = clock.now


def audit_rows(app):
    with app.app_context():
        return [(e.actor, e.action, e.details, e.count) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def move_clock(monkeypatch, **delta):
    """From now on, the clock reads that much later than the real time."""
    monkeypatch.setattr(clock, "now", lambda: REAL_NOW() + timedelta(**delta))


def export(client, token=None):
    """Download the export; the streamed body is read and closed here, so no generator outlives the test."""
    response = client.post("/staff/export.csv", data={"csrf_token": token or csrf_token(client, "/staff/export"), "values": "codes", "bom": "1"})
    response.get_data()
    response.close()
    return response


def replay(app, cookie_value, token):
    """A fresh browser holding only a copy of the staff cookie (and a CSRF token of its own)."""
    thief = app.test_client()
    thief.set_cookie("staff", cookie_value)
    return thief


def test_sign_in_page(client):
    response = client.get("/staff/login")
    page = soup(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    form = page.select_one("main form[method=post]")
    assert form["action"] == "/staff/login"
    assert form.select_one("input[name=username]")["autocomplete"] == "username"
    assert form.select_one("input[name=password][type=password]")["autocomplete"] == "current-password"
    assert not page.select(".quick-exit, .quick-exit-first, .languages, a[href='/exit']")


def test_missing_fields_are_errors_linked_from_the_summary(client):
    page = soup(client.post("/staff/login", data={"csrf_token": csrf_token(client, "/staff/login")}))
    assert page.title.string.startswith("Error:")
    assert [a["href"] for a in page.select(".error-summary a")] == ["#username", "#password"]


def test_password_is_hashed_with_scrypt(app, staff_user):
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


# Sessions that really end.


def test_the_cookie_holds_only_a_random_id_whose_hash_is_stored(app, staff):
    token = staff_cookie(staff)
    with app.app_context():
        ids = db.session.scalars(select(StaffSession.id)).all()
    assert len(token) >= 40 and token not in ids and len(ids) == 1
    assert token not in "\n".join(stored_values(app))


def test_finding_a_cookie_copied_before_sign_out_no_longer_downloads_an_export(app, staff):
    copied = staff_cookie(staff)
    thief = replay(app, copied, None)
    assert export(thief).status_code == 200  # the copy works while the session lives
    response = staff.post("/staff/logout", data={"csrf_token": csrf_token(staff)})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login?signed_out=1"
    assert "You have signed out." in soup(staff.get(response.headers["Location"])).get_text()
    thief = replay(app, copied, None)
    assert thief.get("/staff/export").headers["Location"] == "/staff/login"
    token = csrf_token(thief, "/staff/login")
    refused = thief.post("/staff/export.csv", data={"csrf_token": token, "values": "codes", "bom": "1"})
    assert refused.status_code == 302 and refused.headers["Location"] == "/staff/login"
    assert audit_rows(app)[-1][:2] == (USERNAME, "sign_out")


@pytest.mark.parametrize(
    "ending",
    ["idle", "absolute", "disabled", "password", "role", "reset_2fa", "everywhere", "admin_ends"],
)
def test_a_copied_cookie_dies_with_every_way_a_session_ends(app, staff, monkeypatch, ending):
    copied = staff_cookie(staff)
    make_user(app, "kim", role="admin")  # another admin, so this one may be disabled or demoted
    with app.app_context():
        if ending == "disabled":
            auth.disable_user(USERNAME)
        elif ending == "password":
            auth.set_password(USERNAME, "another long password")
        elif ending == "role":
            auth.set_role(USERNAME, "analyst")
        elif ending == "reset_2fa":
            auth.reset_two_factor(USERNAME)
        elif ending == "admin_ends":
            auth.end_sessions(USERNAME)
    if ending == "idle":
        move_clock(monkeypatch, minutes=31)
    elif ending == "absolute":
        # Busy all day: never idle, but 12 hours after the password the session ends anyway.
        for minutes in range(20, 12 * 60, 20):
            move_clock(monkeypatch, minutes=minutes)
            assert replay(app, copied, None).get("/staff").status_code == 200
        move_clock(monkeypatch, hours=12, minutes=1)
    elif ending == "everywhere":
        other = app.test_client()
        assert sign_in(other).status_code == 303
        assert other.post("/staff/sign-out-everywhere", data={"csrf_token": csrf_token(other)}).status_code == 303
        assert other.get("/staff").status_code == 302
    response = replay(app, copied, None).get("/staff")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_idle_and_absolute_endings_say_why(app, staff, monkeypatch):
    move_clock(monkeypatch, minutes=29)
    assert staff.get("/staff").status_code == 200  # activity moves the idle clock on
    move_clock(monkeypatch, minutes=29 + 31)
    response = staff.get("/staff")
    assert response.headers["Location"] == "/staff/login?expired=1"
    assert "not used for 30 minutes" in soup(staff.get(response.headers["Location"])).get_text()


def test_a_new_session_id_at_sign_in_and_after_the_second_factor(app, client, staff_user):
    post_password(client)
    first = staff_cookie(client)
    post_password(client)  # signing in again: a new id, and the first one ends
    after_password = staff_cookie(client)
    assert after_password != first and replay(app, first, None).get("/staff/two-factor").status_code == 302
    assert client.get("/staff").headers["Location"] == "/staff/two-factor"  # a password alone opens nothing
    assert client.get("/staff/export").headers["Location"] == "/staff/two-factor"
    token = csrf_token(client, "/staff/two-factor")
    from tests.staff.conftest import next_code

    assert client.post("/staff/two-factor", data={"csrf_token": token, "code": next_code(app)}).status_code == 303
    assert staff_cookie(client) != after_password
    assert replay(app, after_password, None).get("/staff/two-factor").status_code == 302


# The staff cookie is its own.


def test_finding_signing_in_keeps_a_respondents_draft_in_the_same_browser(app, client, staff_user):
    respondent = Respondent(client)
    respondent.start()
    assert respondent.answer("safe_day").status_code == 303
    assert sign_in(client).status_code == 303
    assert client.post("/staff/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    page = soup(client.get("/question/1"))
    assert page.select_one("input[name=safe_day_street][checked]")["value"] == "very_safe"


def test_the_respondents_quick_exit_does_not_sign_staff_out_on_the_server(app, staff):
    # The browser's Clear-Site-Data removes every cookie; the server ends only the respondent's draft.
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(StaffSession))
    staff.get("/exit")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == before == 1


# The throttle: growing delays, never a lock; no hashing when refused.


def test_finding_wrong_passwords_do_not_lock_the_owner_out(app, client, staff_user, monkeypatch):
    attacker = app.test_client()
    for _ in range(3):
        assert post_password(attacker, USERNAME, "not the password at all").status_code == 200
    # Now each attempt waits for a growing delay; attempts during it are refused (429) and do not count.
    refused = post_password(attacker, USERNAME, "not the password at all")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many attempts" in soup(refused).select_one(".error-summary").get_text()
    move_clock(monkeypatch, seconds=2)
    assert post_password(attacker, USERNAME, "not the password at all").status_code == 200  # the 4th counts
    assert post_password(attacker, USERNAME, "not the password at all").headers["Retry-After"] == "2"
    # However long the attack goes on, the real owner waits at most STAFF_SIGNIN_MAX_DELAY_SECONDS.
    with app.app_context():
        user = auth.find_user(USERNAME)
        user.failed_passwords = 500
        db.session.commit()
    move_clock(monkeypatch, seconds=2 + 61)
    assert sign_in(client).status_code == 303


def test_a_refused_attempt_hashes_nothing(app, client, staff_user, monkeypatch):
    checked = []
    real = auth.passwords.check_password_hash
    monkeypatch.setattr(auth.passwords, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    for _ in range(3):
        post_password(client, USERNAME, "not the password at all")
    assert len(checked) == 3
    for _ in range(5):
        assert post_password(client, USERNAME, "not the password at all").status_code == 429
    assert len(checked) == 3


def test_unknown_usernames_are_throttled_alike_and_leave_no_row(app, client):
    for _ in range(3):
        assert post_password(client, "nobody", "some password here").status_code == 200
    assert post_password(client, "nobody", "some password here").status_code == 429
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0
    assert "nobody" not in "\n".join(stored_values(app))


def test_an_unknown_username_still_checks_a_password_hash(app, client, monkeypatch):
    checked = []
    real = auth.passwords.check_password_hash
    monkeypatch.setattr(auth.passwords, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    post_password(client, "nobody", "some password")
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_a_process_checks_a_bounded_number_of_passwords(make_app):
    app = make_app(STAFF_PASSWORD_CHECKS_PER_MINUTE=1, STAFF_PASSWORD_CHECKS_BURST=2)  # one more a minute
    statuses = [post_password(app.test_client(), f"user{index}", "some password here").status_code for index in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429
    page = post_password(app.test_client(), "someone", "some password here")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1
    assert soup(page).h1.get_text() == "The staff area is busy"
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_refused_sign_in_post_is_answered_after_a_pause_while_few_wait(make_app, monkeypatch):
    # A flood's clients post again as soon as they are answered: held through a pause, each sends one
    # post a pause instead of thousands a second. Only STAFF_REFUSALS_HELD wait at once; the rest are
    # answered at once, so a bigger flood can never hold every thread.
    app = make_app(STAFF_PASSWORD_CHECKS_PER_MINUTE=1, STAFF_PASSWORD_CHECKS_BURST=1,
                   STAFF_REFUSAL_PAUSE_MS=1500, STAFF_REFUSALS_HELD=1)
    first, second = app.test_client(), app.test_client()
    tokens = csrf_token(first, "/staff/login"), csrf_token(second, "/staff/login")
    assert post_password(first, "someone", "some password here", tokens[0]).status_code == 200  # the minute's check
    pauses, waiting, go_on = [], threading.Event(), threading.Event()

    def pause(seconds):
        pauses.append(seconds)
        waiting.set()
        go_on.wait(10)

    monkeypatch.setattr(auth.throttle.time, "sleep", pause)
    held = {}
    thread = threading.Thread(target=lambda: held.update(page=post_password(first, "someone", "x" * 12, tokens[0])))
    thread.start()
    assert waiting.wait(10)
    at_once = post_password(second, "another", "some password here", tokens[1])  # the one hold is taken
    assert at_once.status_code == 429 and pauses == [1.5]
    go_on.set()
    thread.join(10)
    assert held["page"].status_code == 429 and soup(held["page"]).h1.get_text() == "The staff area is busy"
    assert 1 <= int(held["page"].headers["Retry-After"]) <= 59  # the pause already waited is taken off
    assert post_password(second, "another", "some password here", tokens[1]).status_code == 429
    assert pauses == [1.5, 1.5]  # free again: the next refusal waits


def test_a_refused_sign_in_post_never_waits_for_a_page_thread(make_app):
    # Pages run at most PAGE_THREADS at once in a process; refusals are answered in front of that limit,
    # on threads of their own, so a flood cannot queue in front of respondents (nor they in front of it).
    app = make_app(PAGE_THREADS=1, STAFF_PASSWORD_CHECKS_PER_MINUTE=1, STAFF_PASSWORD_CHECKS_BURST=1)
    client = app.test_client()
    token = csrf_token(client, "/staff/login")
    assert post_password(client, "someone", "some password here", token).status_code == 200
    slots = app.wsgi_app.wsgi_app.slots  # the sign-in gate, then the page slots
    slots.acquire()  # another request is building its page
    try:
        results = {}
        page = threading.Thread(target=lambda: results.update(page=app.test_client().get("/")))
        page.start()
        refusal = threading.Thread(target=lambda: results.update(refused=post_password(client, "someone", "x" * 12, token)))
        refusal.start()
        refusal.join(10)
        assert results["refused"].status_code == 429
        page.join(0.3)
        assert page.is_alive()  # waits for the slot
    finally:
        slots.release()
    page.join(10)
    assert results["page"].status_code == 200


def test_a_process_hashes_one_password_at_a_time(app):
    checks = app.extensions["staff_password_checks"]
    with checks.slot():
        with pytest.raises(auth.throttle.Busy):
            with checks.slot():
                pass
    with checks.slot():
        pass  # free again


HOLD_A_LOCK = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


def test_the_server_hashes_one_password_at_a_time_across_its_processes(app, client, staff_user, monkeypatch):
    # Another worker process of the same server is checking a password: this one refuses at once.
    checks = app.extensions["staff_password_checks"]
    assert len(checks.lock_paths) == 1
    hashed = []
    real = auth.passwords.check_password_hash
    monkeypatch.setattr(auth.passwords, "check_password_hash", lambda h, p: hashed.append(h) or real(h, p))
    other_worker = subprocess.Popen([sys.executable, "-c", HOLD_A_LOCK, checks.lock_paths[0]], stdout=subprocess.PIPE, text=True)
    try:
        assert other_worker.stdout.readline() == "held\n"
        with pytest.raises(auth.throttle.Busy):
            with checks.slot():
                pass
        refused = post_password(client)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert "The staff area is busy" in soup(refused).select_one(".error-summary").get_text()
        assert hashed == []
    finally:
        other_worker.kill()
        other_worker.wait()
        other_worker.stdout.close()
    # The lock went with the process that held it (as when a worker dies mid-check).
    assert post_password(client).status_code == 303 and len(hashed) == 1


def test_each_server_has_its_own_cap(make_app, tmp_path):
    first = make_app().extensions["staff_password_checks"]
    second = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'other.sqlite3'}").extensions["staff_password_checks"]
    assert set(first.lock_paths).isdisjoint(second.lock_paths)
    with first.slot():
        with second.slot():
            pass


def test_a_cap_of_two_checks_at_once(make_app):
    checks = make_app(STAFF_CONCURRENT_PASSWORD_CHECKS=2).extensions["staff_password_checks"]
    assert len(checks.lock_paths) == 2
    held = []

    def hold():
        with checks.slot():
            held.append(True)
            release.wait(10)

    release = threading.Event()
    worker = threading.Thread(target=hold)
    worker.start()
    try:
        while not held:
            time.sleep(0.01)
        with checks.slot():  # the second slot, from another thread of the same process
            with pytest.raises(auth.throttle.Busy):
                with checks.slot():
                    pass
    finally:
        release.set()
        worker.join()


# The audit trail's contents.


def test_finding_text_typed_for_an_unknown_account_is_never_stored(app, client, staff_user):
    typed = "MyS3cret-password-typed-in-the-wrong-box"
    for _ in range(3):
        post_password(client, typed, "anything at all")
    post_password(client, USERNAME, "not the password at all")
    rows = audit_rows(app)
    assert typed.lower() not in json.dumps(rows).lower()
    assert typed.lower() not in "\n".join(stored_values(app)).lower()
    unknown = [row for row in rows if row[1] == "sign_in_failed_unknown"]
    assert unknown == [(None, "sign_in_failed_unknown", {}, 3)]  # one row a day, counted
    assert rows[-1][:3] == (USERNAME, "sign_in_failed", {"reason": "wrong_password"})
    sign_in(client)
    page = soup(client.get("/staff/audit")).get_text()
    assert "3 failed sign-ins for unknown accounts" in page and typed.lower() not in page.lower()


@pytest.mark.parametrize(
    "username, password",
    [(USERNAME, "wrong password here"), ("nobody", PASSWORD), ("disabled", PASSWORD)],
)
def test_one_generic_message_for_any_failure(app, client, staff_user, username, password):
    make_user(app, "disabled")
    with app.app_context():
        auth.disable_user("disabled")
    response = post_password(client, username, password)
    assert response.status_code == 200
    assert GENERIC in soup(response).select_one(".error-summary").get_text()
    assert client.get("/staff").status_code == 302


def test_nothing_about_the_address_or_browser_is_stored(app, client, staff_user):
    environ = {"REMOTE_ADDR": "198.51.100.77", "HTTP_USER_AGENT": "DistinctiveAgent/1.0", "HTTP_REFERER": "https://ref.example/"}
    client.environ_base.update(environ)
    post_password(client, USERNAME, "wrong password!!")
    sign_in(client)
    export(client)
    dump = "\n".join(stored_values(app)) + json.dumps(audit_rows(app))
    for value in ("198.51.100.77", "DistinctiveAgent", "ref.example"):
        assert value not in dump


# Exports only by POST with the CSRF token.


def test_finding_an_export_cannot_be_started_by_a_link(app, staff):
    before = len(audit_rows(app))
    assert staff.get("/staff/export.csv").status_code == 405
    assert staff.get("/staff/codebook.csv").status_code == 405
    assert staff.post("/staff/export.csv", data={"values": "codes", "bom": "1"}).status_code == 400
    assert staff.post("/staff/export.csv", data={"csrf_token": "forged", "values": "codes"}).status_code == 400
    cross = staff.post("/staff/export.csv", data={"csrf_token": csrf_token(staff, "/staff/export"), "values": "codes", "bom": "1"},
                       headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 400
    assert len(audit_rows(app)) == before
    ok = export(staff)
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"


def test_csrf_on_every_staff_post(app, client, staff_user):
    for rule in [r for r in app.url_map.iter_rules() if r.rule.startswith("/staff") and "POST" in r.methods]:
        url = rule.rule.replace("<username>", USERNAME).replace("<action>", "disable").replace("<int:file_id>", "1").replace("<int:number>", "1")
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data={"username": USERNAME, "password": PASSWORD, **data})
            assert response.status_code == 400, rule.rule
            assert soup(response).h1.get_text() == "Sorry, that form has expired"


# Odd bytes and weak passwords.

ODD = ["\x00", "a\x00b", "\x01", "\u200b", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "\x7f", "\u202e"]


@pytest.mark.parametrize("odd", ODD)
def test_finding_odd_bytes_in_any_staff_field_are_form_errors(app, staff, odd):
    fields = {
        "/staff/login": {"username": f"sam{odd}", "password": f"pass{odd}word long"},
        "/staff/accounts": {"username": f"new{odd}", "password": f"correct horse{odd} battery", "role": f"admin{odd}"},
        "/staff/export.csv": {"start": f"2026{odd}-01-01", "end": odd, "values": odd, "bom": odd},
    }
    for url, data in fields.items():
        client = staff if url != "/staff/login" else app.test_client()
        token = csrf_token(client, "/staff/login" if url == "/staff/login" else "/staff/export")
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 400, (url, response.status_code)
        assert soup(response).select_one(".error-summary"), url
    token = csrf_token(staff)
    assert staff.get(f"/staff/breakdown?question={odd}&by={odd}").status_code == 400
    assert staff.get(f"/staff/audit?before={odd}").status_code == 200
    assert staff.post(f"/staff/accounts/{odd or 'x'}/disable", data={"csrf_token": token}).status_code in (400, 404)
    assert staff.post("/staff/two-factor", data={"csrf_token": token, "code": f"12{odd}34"}).status_code in (302, 303)


def test_odd_bytes_in_the_code_field_are_a_form_error(app, client, staff_user):
    post_password(client)
    token = csrf_token(client, "/staff/two-factor")
    response = client.post("/staff/two-factor", data={"csrf_token": token, "code": "12\x0034"})
    assert response.status_code == 400 and soup(response).select_one(".error-summary")


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "password1234", "qwertyuiop12", "123456789012", "sam sam sam sam", "Password2026!"]
)
def test_finding_weak_passwords_are_refused(app, password):
    with app.app_context(), pytest.raises(auth.AccountError, match="harder to guess|at least 12"):
        auth.create_user("sam", password)


def test_a_long_unusual_passphrase_is_accepted(app):
    with app.app_context():
        assert auth.create_user("sam", "violet tractor sings at dawn").username == "sam"


def test_the_lock_files_are_in_the_service_own_directory_not_the_shared_tmp(make_app, tmp_path):
    app = make_app(STAFF_LOCK_DIR="")  # not set: the instance folder
    default = app.extensions["staff_password_checks"]
    assert [os.path.dirname(path) for path in default.lock_paths] == [app.instance_path]
    chosen = make_app(STAFF_LOCK_DIR=str(tmp_path / "run")).extensions["staff_password_checks"]
    assert [os.path.dirname(path) for path in chosen.lock_paths] == [str(tmp_path / "run")]
    assert oct(os.stat(tmp_path / "run").st_mode & 0o777) == "0o700"


def test_the_lock_files_are_not_named_from_the_database_password(tmp_path):
    one = auth.throttle.lock_files("postgresql+psycopg://survey:hunter2@db/survey", 1, str(tmp_path))
    other = auth.throttle.lock_files("postgresql+psycopg://survey:other-secret@db/survey", 1, str(tmp_path))
    assert one == other  # the password plays no part in the name
    assert one != auth.throttle.lock_files("postgresql+psycopg://survey:hunter2@db/other", 1, str(tmp_path))
    real = hashlib.sha256(b"postgresql+psycopg://survey:hunter2@db/survey").hexdigest()[:16]
    assert real not in one[0]


def test_a_planted_symlink_is_busy_for_that_attempt_and_never_drops_the_cap(make_app, tmp_path):
    checks = make_app(STAFF_LOCK_DIR=str(tmp_path / "locks")).extensions["staff_password_checks"]
    [path] = checks.lock_paths
    target = tmp_path / "elsewhere"
    os.symlink(target, path)
    with pytest.raises(auth.throttle.Busy):
        with checks.slot():
            pass
    assert not target.exists() and checks.lock_paths == [path]  # not followed; the cap stays
    os.remove(path)
    with checks.slot():
        with pytest.raises(auth.throttle.Busy):  # the cap still holds across attempts
            with checks.slot():
                pass


def test_running_out_of_descriptors_is_a_429_once_not_a_cap_dropped_for_good(app, client, staff_user, monkeypatch):
    checks = app.extensions["staff_password_checks"]
    paths = list(checks.lock_paths)
    real_open = os.open
    failures = [OSError(errno.EMFILE, "Too many open files")]

    def open_once_failing(path, *args):
        if failures and path in paths:
            raise failures.pop()
        return real_open(path, *args)

    monkeypatch.setattr(auth.throttle.os, "open", open_once_failing)
    refused = post_password(client)
    assert refused.status_code == 429 and "The staff area is busy" in soup(refused).select_one(".error-summary").get_text()
    assert checks.lock_paths == paths
    assert post_password(client).status_code == 303
    with checks.slot():
        with pytest.raises(auth.throttle.Busy):
            with checks.slot():
                pass
