"""The session cookie's signer is built once per secret key (app/sessions.py), and key rotation
still works as in Flask: a fallback key keeps old cookies readable, a new key alone does not."""

from tests.helpers import Respondent, question_url


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
