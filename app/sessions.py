"""Flask's signed-cookie session, with the work of reading the cookie done once, not on every request.

- Flask builds the cookie's serializer on every request, and itsdangerous then serializes an empty
  dict to learn whether the serializer makes text. The signer depends only on the secret keys, so
  it is kept until they change.
- Checking a cookie's signature and decoding it (two HMACs, base64, tagged JSON) costs more than
  the rest of a cached question page's own work (bench/pages), and a respondent's browser sends
  the very same cookie on every page until the session changes. A cookie that verified is kept
  with its contents, keyed by its exact text: the same text would verify again, so only the
  cookie's age is checked afresh. Changing the secret keys empties the memo.

Everything else (signing, expiry, cookie flags) is Flask's own. The memo holds what the cookies
themselves carry (signed, not encrypted): a draft's token and the CSRF token.

This session is the respondents' alone. A staff request (under /staff) gets a session that can be
read (it is empty) but not written, and Flask never saves it, so nothing staff do reads, re-sets or
clears a respondent's cookie in the same browser; staff have their own cookie (app/staff/auth/).
"""

import time

from flask import Flask, Request
from flask.sessions import NullSession, SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.lru import LRU

COOKIES_KEPT = 10_000  # sessions seen lately, per process; about 9 MB
_PLAIN = (str, int, float, bool, type(None))


STAFF_PREFIX = "/staff"


def is_staff_path(path: str) -> bool:
    return path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")


class NoRespondentSession(NullSession):
    """What a staff request sees as `session`: empty, and any write is a bug that fails loudly."""

    def _fail(self, *args, **kwargs):
        raise RuntimeError("Staff requests never touch the respondents' session cookie.")

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class SessionInterface(SecureCookieSessionInterface):
    null_session_class = NoRespondentSession

    def __init__(self):
        self._signer: tuple[tuple, URLSafeTimedSerializer | None] | None = None
        self._verified = LRU(COOKIES_KEPT)  # cookie text -> (signed at, Unix time; contents)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._signer  # one read: another thread may replace it meanwhile, with an equal one
        if kept is None or kept[0] != keys:
            self._verified = LRU(COOKIES_KEPT)  # a cookie only the old keys signed must verify afresh
            kept = self._signer = (keys, super().get_signing_serializer(app))
        return kept[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_staff_path(request.path):
            return self.make_null_session(app)  # never saved: Flask skips a null session
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        text = request.cookies.get(self.get_cookie_name(app))
        if not text:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = self._verified.get(text)
        if verified is not None and time.time() - verified[0] <= max_age:
            return self.session_class(verified[1])
        try:
            contents, signed_at = serializer.loads(text, max_age=max_age, return_timestamp=True)
        except BadSignature:  # also an expired cookie: a new, empty session, as in Flask
            return self.session_class()
        # Only flat contents are kept: a nested value would be shared, and changed, between requests.
        if all(isinstance(value, _PLAIN) for value in contents.values()):
            self._verified.put(text, (signed_at.timestamp(), contents))
        return self.session_class(contents)
