"""The admin page for staff accounts: create, change role, disable, reset two-factor, unlock codes, end sessions;
never one's own account disabled or demoted, nor the last enabled admin."""

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEvent, StaffUser
from app.staff import auth
from tests.helpers import soup
from tests.staff.conftest import USERNAME, csrf_token, make_user, post_password, sign_in


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/staff/accounts"), **data})


def test_the_page_lists_accounts_with_role_and_two_factor(app, staff):
    make_user(app, "kim", role="viewer", enrolled=False)
    rows = {row.h2.get_text(): row for row in soup(staff.get("/staff/accounts")).select("main section.account")}
    assert set(rows) == {USERNAME, "kim"}
    assert rows["kim"].select_one("option[selected]")["value"] == "viewer"
    assert "not set up yet" in rows["kim"].get_text() and "Two-factor set up" in rows[USERNAME].get_text()


def test_an_admin_creates_an_account(app, staff):
    response = post(staff, "/staff/accounts", username="New.Person", password="violet tractor sings at dawn", role="viewer")
    assert response.status_code == 303
    page = soup(staff.get(response.headers["Location"]))
    assert "Created the account new.person." in page.select_one(".notice").get_text()
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "new.person"))
        assert user.role == "viewer" and user.totp_secret is None
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert (event.actor, event.action) == (USERNAME, "account_created")


@pytest.mark.parametrize("data, field, message", [
    ({"username": "weak", "password": "aaaaaaaaaaaa", "role": "analyst"}, "password", "harder to guess"),
    ({"username": "has space", "password": "violet tractor sings at dawn", "role": "analyst"}, "username", "lower-case"),
    ({"username": USERNAME, "password": "violet tractor sings at dawn", "role": "analyst"}, "username", "already"),
    ({"username": "x", "password": "violet tractor sings at dawn", "role": "root"}, "role", "Choose one"),
])
def test_bad_accounts_are_form_errors(app, staff, data, field, message):
    response = post(staff, "/staff/accounts", **data)
    assert response.status_code == 400
    assert message in soup(response).select_one(".error-summary").get_text()


def test_a_link_in_the_address_cannot_put_words_on_the_page(staff):
    page = soup(staff.get("/staff/accounts?done=Call+0800+now&account=sam"))
    assert not page.select(".notice")


@pytest.mark.parametrize("action, check", [
    ("disable", lambda user: not user.active),
    ("reset-two-factor", lambda user: user.totp_secret is None),
    ("end-sessions", lambda user: True),
])
def test_actions_end_the_other_accounts_sessions(app, staff, action, check):
    make_user(app, "kim", role="analyst")
    kim = app.test_client()
    assert sign_in(kim, "kim").status_code == 303
    response = post(staff, f"/staff/accounts/kim/{action}")
    assert response.status_code == 303
    assert kim.get("/staff").status_code == 302
    with app.app_context():
        assert check(db.session.scalar(select(StaffUser).where(StaffUser.username == "kim")))


def test_changing_a_role(app, staff):
    make_user(app, "kim", role="analyst")
    assert post(staff, "/staff/accounts/kim/role", role="admin").status_code == 303
    assert post(staff, "/staff/accounts/kim/role", role="owner").status_code == 400
    assert post(staff, "/staff/accounts/nobody/disable").status_code == 400
    assert post(staff, "/staff/accounts/kim/explode").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(StaffUser.role).where(StaffUser.username == "kim")) == "admin"


@pytest.mark.parametrize("action, data, message", [
    ("disable", {}, "You cannot disable your own account"),
    ("role", {"role": "analyst"}, "You cannot change the role of your own account"),
])
def test_finding_an_admin_cannot_disable_or_demote_themselves(app, staff, action, data, message):
    # It used to be allowed, leaving only the command line to undo it.
    make_user(app, "kim", role="admin")
    response = post(staff, f"/staff/accounts/{USERNAME}/{action}", **data)
    assert response.status_code == 400
    assert message in soup(response).select_one(".error-summary").get_text()
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == USERNAME))
        assert (user.active, user.role) == (True, "admin")
    assert staff.get("/staff/accounts").status_code == 200  # still signed in, still an admin


@pytest.mark.parametrize("action, data", [("disable", {}), ("role", {"role": "viewer"})])
def test_finding_the_last_enabled_admin_cannot_be_disabled_or_demoted(app, staff, action, data):
    # Another admin acting on the only other enabled admin (a disabled admin does not count).
    make_user(app, "kim", role="admin")
    make_user(app, "lee", role="admin")
    with app.app_context():
        auth.disable_user("lee")
    assert post(staff, "/staff/accounts/kim/disable").status_code == 303  # kim goes; sam remains
    with app.app_context():
        auth.enable_user("kim")
        auth.set_role(USERNAME, "analyst")  # from the command line: kim is now the only enabled admin
    kim = app.test_client()
    assert sign_in(kim, "kim").status_code == 303
    response = post(kim, "/staff/accounts/kim/role", role="viewer")  # themselves: refused anyway
    assert response.status_code == 400
    with app.app_context():
        with pytest.raises(auth.AccountError, match="kim is the only enabled admin"):
            auth.disable_user("kim", actor=None)
        with pytest.raises(auth.AccountError, match="kim is the only enabled admin"):
            auth.set_role("kim", "viewer", actor="lee")
        assert db.session.scalar(select(StaffUser.role).where(StaffUser.username == "kim")) == "admin"


def test_a_locked_account_is_shown_and_an_admin_unlocks_it(app, staff):
    from app.staff.auth import code_attempts

    make_user(app, "kim", role="analyst")
    kim = app.test_client()
    assert post_password(kim, "kim").headers["Location"] == "/staff/two-factor"
    with app.app_context():
        db.session.execute(update(StaffUser).where(StaffUser.username == "kim").values(failed_codes=code_attempts.LOCKOUT))
        db.session.commit()
    rows = {row.h2.get_text(): row for row in soup(staff.get("/staff/accounts")).select("main section.account")}
    assert "Locked for two-factor codes" in rows["kim"].get_text() and not rows[USERNAME].select(".account-locked")
    unlock = rows["kim"].select_one("form[action='/staff/accounts/kim/unlock-codes']")
    assert unlock.select_one("input[name=csrf_token]") and not rows[USERNAME].select("form[action$='unlock-codes']")
    assert staff.post("/staff/accounts/kim/unlock-codes", data={"csrf_token": "forged"}).status_code == 400
    response = post(staff, "/staff/accounts/kim/unlock-codes")
    assert response.status_code == 303
    assert "can enter two-factor codes again" in soup(staff.get(response.headers["Location"])).select_one(".notice").get_text()
    assert kim.get("/staff/two-factor").headers["Location"] == "/staff/login"  # the session that guessed has ended
    with app.app_context():
        assert db.session.scalar(select(StaffUser.failed_codes).where(StaffUser.username == "kim")) == 0
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert (event.actor, event.action, event.details) == (USERNAME, "two_factor_unlocked", {"username": "kim", "by": "admin"})
    assert "Unlocked two-factor codes for kim" in soup(staff.get("/staff/audit")).get_text()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app):
    import threading

    make_user(app, "kim", role="admin")
    make_user(app, "lee", role="admin")
    start, outcomes = threading.Barrier(2), []

    def demote(actor, target):
        with app.app_context():
            start.wait()
            try:
                auth.set_role(target, "viewer", actor=actor)
                outcomes.append("demoted")
            except auth.AccountError:
                outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=pair) for pair in (("kim", "lee"), ("lee", "kim"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["demoted", "refused"]
    with app.app_context():
        assert db.session.scalars(select(StaffUser.role).order_by(StaffUser.username)).all().count("admin") == 1
