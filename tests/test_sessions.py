"""The session cookie's signer is built once per secret key and a verified cookie is read once
(app/sessions.py); signatures, expiry and key rotation still work as in Flask: a fallback key keeps
old cookies readable, a new key alone does not."""

import time

import pytest

from tests.helpers import Respondent, question_url


def _open(app, cookie: str):
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}) as ctx:
        return app.session_interface.open_session(app, ctx.request)


def _signed(app, contents: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(contents)


def test_the_signer_is_built_once_per_secret_key(app):
    interface = app.session_interface
    signer = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is signer
    app.secret_key = "another-secret"
    assert interface.get_signing_serializer(app) is not signer


def test_key_rotation_with_a_fallback_keeps_a_draft_and_without_one_does_not(app, client):
    respondent = Respondent(client)
    respondent.start()
    assert respondent.answer("safe_day").status_code == 303
    old_key = app.secret_key

    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    app.secret_key = "rotated-secret"
    assert client.get(question_url("safe_dark")).status_code == 200  # read with the fallback key

    app.config["SECRET_KEY_FALLBACKS"] = []
    app.secret_key = "a-third-secret"
    response = client.get(question_url("safe_dark"))
    assert response.status_code == 302 and response.headers["Location"] == "/"  # the cookie no longer verifies


def test_a_verified_cookie_is_read_once_and_each_request_gets_its_own_session(app):
    cookie = _signed(app, {"draft": "abc", "csrf_token": "xyz"})
    first = _open(app, cookie)
    assert dict(first) == {"draft": "abc", "csrf_token": "xyz"}
    assert cookie in app.session_interface._verified.entries

    first["draft"] = "changed"  # a request changing its session leaves the kept contents alone
    second = _open(app, cookie)
    assert dict(second) == {"draft": "abc", "csrf_token": "xyz"}
    assert second is not first and not second.modified


@pytest.mark.parametrize(
    "tamper",
    [
        # The signature's first character (its last one can carry unused bits of the base64).
        lambda cookie: cookie[: cookie.rindex(".") + 1]
        + ("A" if cookie[cookie.rindex(".") + 1] != "A" else "B")
        + cookie[cookie.rindex(".") + 2 :],
        lambda cookie: "e" + cookie,  # the payload
        lambda cookie: cookie + ".extra",
        lambda cookie: "not-a-cookie",
    ],
)
def test_a_changed_cookie_is_never_taken_for_a_verified_one(app, tamper):
    cookie = _signed(app, {"draft": "abc"})
    assert _open(app, cookie)["draft"] == "abc"
    assert dict(_open(app, tamper(cookie))) == {}


def test_a_kept_cookie_still_expires(app, monkeypatch):
    app.permanent_session_lifetime = 60
    cookie = _signed(app, {"draft": "abc"})
    assert _open(app, cookie)["draft"] == "abc"
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)  # itsdangerous reads the same clock
    assert dict(_open(app, cookie)) == {}


def test_new_secret_keys_forget_every_verified_cookie(app):
    cookie = _signed(app, {"draft": "abc"})
    assert _open(app, cookie)["draft"] == "abc"
    app.secret_key = "another-secret"
    assert dict(_open(app, cookie)) == {}  # signed with the old key only


def test_nested_contents_are_not_kept(app):
    cookie = _signed(app, {"draft": "abc", "seen": [1, 2]})
    session = _open(app, cookie)
    assert session["seen"] == [1, 2]
    assert cookie not in app.session_interface._verified.entries
