"""The admin page for staff accounts: create, change role, disable, reset two-factor, end sessions."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, StaffUser
from tests.helpers import soup
from tests.staff.conftest import USERNAME, csrf_token, make_user, sign_in


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
