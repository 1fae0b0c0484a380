"""Flask's signed-cookie session, with its signer built once per secret key instead of per request.

Flask builds the cookie's serializer on every request, and itsdangerous then serializes an empty
dict to learn whether the serializer makes text: together a tenth of the cost of serving a cached
question page (bench/pages). The signer depends only on the secret keys, so it is kept until they
change. Everything else (signing, expiry, cookie flags) is Flask's own.
"""

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._signer: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._signer  # one read: another thread may replace it meanwhile, with an equal one
        if kept is None or kept[0] != keys:
            kept = self._signer = (keys, super().get_signing_serializer(app))
        return kept[1]
