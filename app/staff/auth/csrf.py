"""CSRF tokens for staff forms, bound to the staff cookie and never to the respondents' session.

A staff form's token is an HMAC, under a key made from SECRET_KEY, of the SHA-256 of the staff
cookie. Once signed in, that hash is the id of the session's row on the server, so the token is
bound to the session: a token from another session is refused, every new session (each sign-in,
and again after the second factor) brings new tokens, and they end with it. The sign-in page, for a
browser with no staff cookie yet, gives it one holding a random value with no session behind it
(a signed double-submit cookie), so signing in needs nothing from the respondents' side either.

So a respondent's quick exit, which clears their session, leaves an open staff form working, and
no staff request reads or writes the respondents' cookie (app/sessions.py refuses it outright).

Every staff POST is checked once, in the staff guard, before the view runs; Flask-WTF's own check,
which keeps its secret in the respondents' session, skips the staff blueprint.
"""

import hashlib
import hmac
import secrets

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from app.staff.auth.sessions import MAX_TOKEN_LENGTH, cookie_hash

FIELD = "csrf_token"


def _cookie() -> str:
    """The staff cookie this request carries (or the one this response is giving); "" when none."""
    given = g.get("staff_cookie")
    if given:
        return given
    value = request.cookies.get(current_app.config["STAFF_COOKIE_NAME"], "")
    return value if 0 < len(value) <= MAX_TOKEN_LENGTH else ""


def _for(cookie: str) -> bytes:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"staff-csrf\0" + cookie_hash(cookie).encode(), hashlib.sha256).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def token() -> str:
    """The token for this request's staff forms. A browser without a staff cookie is given one
    (set on the response by `give_cookie`), with no session behind it until the password is right.

    Masked afresh each time (a random pad, then the pad XOR the HMAC), so a page never shows the
    same bytes twice and compression cannot be used to guess it (BREACH)."""
    cookie = _cookie()
    if not cookie:
        cookie = g.staff_cookie = secrets.token_urlsafe(32)
        g.staff_cookie_is_new = True
    pad = secrets.token_bytes(32)
    return (pad + _xor(pad, _for(cookie))).hex()


def valid(sent: str | None) -> bool:
    cookie = _cookie()
    if not cookie or not isinstance(sent, str) or len(sent) != 128:
        return False
    try:
        raw = bytes.fromhex(sent)
    except ValueError:
        return False
    return hmac.compare_digest(_xor(raw[:32], raw[32:]), _for(cookie))


def check() -> None:
    """The staff guard's check of every staff POST: the form's token must be this cookie's."""
    if not valid(request.form.get(FIELD)):
        raise CSRFError("The staff form's token is missing or not this session's.")


def give_cookie(response):
    """After a staff request: set the staff cookie `token` made, unless the view set one itself."""
    from app.staff.auth import sessions

    if g.pop("staff_cookie_is_new", False):
        name = current_app.config["STAFF_COOKIE_NAME"] + "="
        if not any(header.startswith(name) for header in response.headers.getlist("Set-Cookie")):
            sessions.set_cookie(response, g.staff_cookie)
    return response


class StaffCSRF(CSRF):
    """WTForms' CSRF hook for staff forms: the token above, checked again when the form validates."""

    def generate_csrf_token(self, csrf_token_field):
        return token()

    def validate_csrf_token(self, form, field):
        if not valid(field.data):
            raise ValidationError("The form has expired. Reload the page and try again.")
