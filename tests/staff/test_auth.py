"""Sign-in, lockout, the one guard on every staff route, CSRF, sign-out and idle sessions."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, SignInFailure, StaffUser
from app.staff import auth
from tests.helpers import soup, stored_values
from tests.staff.conftest import PASSWORD, USERNAME, csrf_token, sign_in

GENERIC = "The username or password is not right"


def staff_rules(app, method):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff") and method in rule.methods]


def audit_actions(app):
    with app.app_context():
        return [(e.actor, e.action, e.details) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


REAL_NOW = auth.now


def move_clock(monkeypatch, minutes):
    """From now on, the clock reads `minutes` later than the real time."""
    monkeypatch.setattr(auth, "now", lambda: REAL_NOW() + timedelta(minutes=minutes))


def test_there_are_staff_routes_to_check(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")}
    assert {"staff.login", "staff.logout", "staff.dashboard", "staff.export_csv", "staff.codebook_csv",
            "staff.audit_trail", "staff.breakdown", "staff.export"} <= endpoints


def test_every_staff_route_refuses_an_anonymous_visitor(app, client, staff_user):
    token = csrf_token(client, "/staff/login")
    checked = 0
    for method in ("GET", "POST"):
        for rule in staff_rules(app, method):
            if rule.endpoint == "staff.login":
                continue
            response = client.open(rule.rule, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 302, (method, rule.rule)
            assert response.headers["Location"] == "/staff/login", rule.rule
            assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
            checked += 1
    assert checked >= 7


@pytest.mark.parametrize("path", ["/staff/no-such-page", "/staff/export/nothing", "/staff"])
def test_no_staff_address_is_indexed_not_even_a_missing_one(client, path):
    response = client.get(path)
    assert response.status_code in (302, 404)
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_public_pages_may_be_indexed(client):
    assert "X-Robots-Tag" not in client.get("/").headers
    assert "X-Robots-Tag" not in client.get("/staffing").headers  # a 404 outside the staff area


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
    assert page.select_one("label[for=username]") and page.select_one("label[for=password]")
    assert not page.select(".quick-exit, .quick-exit-first, .languages, a[href='/exit']")
    assert page.select_one("a.skip-link[href='#main']")
    assert page.select_one("meta[name=robots]")["content"] == "noindex, nofollow"


def test_missing_fields_are_errors_linked_from_the_summary(client):
    token = csrf_token(client, "/staff/login")
    page = soup(client.post("/staff/login", data={"csrf_token": token}))
    assert page.title.string.startswith("Error:")
    assert [a["href"] for a in page.select(".error-summary a")] == ["#username", "#password"]
    assert page.select_one("#username")["aria-describedby"] == "username-error"


def test_signing_in_starts_a_new_session_holding_no_address(app, client, staff_user):
    with client.session_transaction() as session:
        session["draft"] = "a survey draft token from before"
    response = client.post(
        "/staff/login",
        data={"csrf_token": csrf_token(client, "/staff/login"), "username": "  Analyst ", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "TestBrowser/9.9"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/staff"
    with client.session_transaction() as session:
        assert "draft" not in session
        assert "_id" not in session  # Flask-Login's hash of the address and user agent
        assert session["_user_id"].startswith("1:")
    assert client.get("/staff").status_code == 200
    assert audit_actions(app)[-1][:2] == (USERNAME, "sign_in")


def test_password_is_hashed_with_scrypt(app, staff_user):
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    "username, password, reason",
    [
        (USERNAME, "wrong password here", "wrong_password"),
        ("nobody", PASSWORD, "unknown_user"),
        ("disabled", PASSWORD, "disabled"),
    ],
)
def test_one_generic_message_for_any_failure(app, client, staff_user, username, password, reason):
    with app.app_context():
        auth.create_user("disabled", PASSWORD)
        auth.disable_user("disabled")
    response = sign_in(client, username, password)
    page = soup(response)
    assert response.status_code == 200
    assert GENERIC in page.select_one(".error-summary").get_text()
    assert page.title.string.startswith("Error: Sign in")
    assert client.get("/staff").status_code == 302
    assert audit_actions(app)[-1] == (username, "sign_in_failed", {"reason": reason})


def test_an_unknown_username_still_checks_a_password_hash(app, client, monkeypatch):
    checked = []
    real_check = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h) or real_check(h, p))
    sign_in(client, "nobody", "some password")
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_lockout_holds_across_two_app_instances_sharing_one_database(make_app, monkeypatch, tmp_path):
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = make_app(SQLALCHEMY_DATABASE_URI=database), make_app(SQLALCHEMY_DATABASE_URI=database)
    with first.app_context():
        auth.create_user(USERNAME, PASSWORD)
    one, two = first.test_client(), second.test_client()
    for _ in range(5):
        assert sign_in(one, USERNAME, "not the password").status_code == 200
    # The sixth attempt, on the other server, with the right password: locked, with the same message.
    response = sign_in(two, USERNAME, PASSWORD)
    assert GENERIC in soup(response).select_one(".error-summary").get_text()
    assert two.get("/staff").status_code == 302
    with second.app_context():
        assert db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc())).details == {"reason": "locked"}
        assert len(db.session.scalars(select(SignInFailure)).all()) == 5  # attempts while locked do not extend it
    move_clock(monkeypatch, 14)
    assert sign_in(two, USERNAME, PASSWORD).status_code == 200  # still locked
    move_clock(monkeypatch, 16)  # 16 minutes after the fifth failure
    assert sign_in(two, USERNAME, PASSWORD).status_code == 303
    with second.app_context():
        assert db.session.scalars(select(SignInFailure)).all() == []


def test_failures_spread_over_more_than_the_window_do_not_lock(app, client, staff_user, monkeypatch):
    for _ in range(4):
        sign_in(client, USERNAME, "not the password")
    move_clock(monkeypatch, 16)
    sign_in(client, USERNAME, "not the password")
    assert sign_in(client).status_code == 303


def test_lockout_is_per_username(app, client, staff_user):
    with app.app_context():
        auth.create_user("colleague", PASSWORD)
    for _ in range(5):
        sign_in(client, USERNAME, "not the password")
    assert sign_in(client, "colleague", PASSWORD).status_code == 303


@pytest.mark.parametrize("signed_in", [False, True])
def test_csrf_on_every_staff_post(app, client, staff_user, signed_in):
    if signed_in:
        sign_in(client)
    rules = staff_rules(app, "POST")
    assert {rule.endpoint for rule in rules} >= {
        "staff.login", "staff.logout", "staff.export_csv", "staff.export_xlsx", "staff.export_spss", "staff.r_script",
    }
    for rule in rules:
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(rule.rule, data={"username": USERNAME, "password": PASSWORD, **data})
            assert response.status_code == 400, rule.rule
            assert soup(response).h1.get_text() == "Sorry, that form has expired"
    assert (client.get("/staff").status_code == 200) is signed_in


def test_sign_out_is_a_post_that_ends_the_session(app, staff):
    assert staff.get("/staff/logout").status_code == 405
    page = soup(staff.get("/staff"))
    form = page.select_one("header form[action='/staff/logout'][method=post]")
    response = staff.post("/staff/logout", data={"csrf_token": form.select_one("input[name=csrf_token]")["value"]})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert "You have signed out." in soup(staff.get("/staff/login")).get_text()
    assert staff.get("/staff").status_code == 302
    assert audit_actions(app)[-1][:2] == (USERNAME, "sign_out")


def test_idle_sessions_end_after_30_minutes(app, staff, monkeypatch):
    move_clock(monkeypatch, 29)
    assert staff.get("/staff/audit").status_code == 200  # activity moves the idle clock on
    move_clock(monkeypatch, 29 + 29)
    assert staff.get("/staff/audit").status_code == 200
    move_clock(monkeypatch, 29 + 29 + 31)
    response = staff.get("/staff/audit")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login?expired=1"
    assert "not used for 30 minutes" in soup(staff.get(response.headers["Location"])).get_text()
    monkeypatch.undo()
    assert staff.get("/staff").status_code == 302
    assert audit_actions(app)[-1][:2] == (USERNAME, "session_expired")


def test_disabling_an_account_or_changing_its_password_ends_its_sessions(app, staff):
    with app.app_context():
        auth.set_password(USERNAME, "another long password")
    assert staff.get("/staff").status_code == 302
    assert sign_in(staff, USERNAME, "another long password").status_code == 303
    with app.app_context():
        auth.disable_user(USERNAME)
    assert staff.get("/staff").status_code == 302


def test_nothing_about_the_address_or_browser_is_stored(app, client, staff_user):
    environ = {"REMOTE_ADDR": "198.51.100.77", "HTTP_USER_AGENT": "DistinctiveAgent/1.0", "HTTP_REFERER": "https://ref.example/"}
    client.get("/staff/login", environ_base=environ)
    token = csrf_token(client, "/staff/login")
    for password in ("wrong password!!", PASSWORD):
        client.post("/staff/login", data={"csrf_token": token, "username": USERNAME, "password": password}, environ_base=environ)
    client.get("/staff/export.csv", environ_base=environ)
    dump = "\n".join(stored_values(app))
    for value in ("198.51.100.77", "DistinctiveAgent", "ref.example"):
        assert value not in dump
    rows = json.dumps(audit_actions(app))
    assert "198.51.100.77" not in rows


def test_the_audit_trail_pages_back_through_older_events(app, staff):
    from app.staff import audit

    with app.app_context():
        for index in range(104):
            audit.record(audit.CODEBOOK, f"user{index}", bom=True)
    page = soup(staff.get("/staff/audit"))
    rows = page.select("main tbody tr")
    assert len(rows) == 100
    assert rows[0].select("td")[1].get_text() == "user103"  # newest first
    older = page.select_one("main a[href^='/staff/audit?before=']")["href"]
    rest = soup(staff.get(older)).select("main tbody tr")
    assert [row.select("td")[2].get_text() for row in rest][-1] == "Created the account analyst"
    assert len(rest) == 6  # 4 more codebook downloads, the sign-in, the account creation
