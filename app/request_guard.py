"""Refuse a form body that parses into something no form handler expects, before anything reads it.

Werkzeug's multipart parser can return a field with no name (None) for a mangled
Content-Disposition header; Flask-WTF's CSRF check calls str methods on every field name and would
raise. Such a request gets the plain 400 page instead of a 500.
"""

from flask import Flask, abort, request


def refuse_unreadable_forms():
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        names = list(request.form.keys()) + list(request.files.keys())
        if any(not isinstance(name, str) for name in names):
            abort(400)


def init_app(app: Flask) -> None:
    """Register before CSRFProtect, whose check is the first thing to read the form."""
    app.before_request(refuse_unreadable_forms)
