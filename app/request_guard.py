"""Checks on every form post, run before anything reads the form.

- A form body that parses into something no handler expects is refused. Werkzeug's multipart
  parser can return a field with no name (None) for a mangled Content-Disposition header;
  Flask-WTF's CSRF check calls str methods on every field name and would raise. Such a request gets
  the plain 400 page instead of a 500.
- A post another site's page sent is refused (Fetch Metadata). Browsers say where a request comes
  from in Sec-Fetch-Site even when, as here, no Referer is sent. This stands in for the Referer
  check Flask-WTF would do over HTTPS (see WTF_CSRF_SSL_STRICT in config.py), in front of the
  CSRF token, which stays the main defence. Old browsers send no such header and rely on the token.
"""

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFError

# "same-origin": our own page; "none": typed or bookmarked. Anything else came from another site.
ALLOWED_FETCH_SITES = {"same-origin", "none"}


def body_limit(max_bytes: int, when=lambda: True):
    """Let one view take a body bigger than MAX_CONTENT_LENGTH (a file upload), when `when()` says
    so (who is asking). Declared beside the route, read here before anything reads the form, so
    every other route keeps the small limit."""

    def declare(view):
        view.max_body_bytes = (max_bytes, when)
        return view

    return declare


def refuse_unreadable_or_cross_site_posts():
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        larger = getattr(current_app.view_functions.get(request.endpoint or ""), "max_body_bytes", None)
        if larger and larger[1]():
            request.max_content_length = larger[0]
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ALLOWED_FETCH_SITES:
            raise CSRFError("The form was sent from another site.")
        names = list(request.form.keys()) + list(request.files.keys())
        if any(not isinstance(name, str) for name in names):
            abort(400)


def init_app(app: Flask) -> None:
    """Register before CSRFProtect, whose check is the first to read the form."""
    app.before_request(refuse_unreadable_or_cross_site_posts)
