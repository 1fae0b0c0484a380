"""Application factory: configuration, extensions, blueprints, error pages, headers, commands."""

import logging
import os
import re
from datetime import timedelta

from flask import Flask, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app import commands, database, health, i18n, request_guard, sessions
from app.config import Config, finalise
from app.extensions import babel, csrf, db, migrate

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    app.config.update(overrides or {})
    finalise(app.config)
    app.session_interface = sessions.SessionInterface()

    os.makedirs(app.instance_path, exist_ok=True)  # the default SQLite database lives there
    database.init_app(app)  # db.init_app plus SQLite pragmas
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    from app.staff import english_for_staff

    babel.init_app(app, locale_selector=i18n.parsed_once(english_for_staff(i18n.select_locale)))
    request_guard.init_app(app)  # before CSRF, which is the first to read the form
    csrf.init_app(app)
    _hide_addresses_from_dev_server_log()

    from app.survey import bp as survey_bp

    app.register_blueprint(survey_bp)
    from app.staff import bp as staff_bp

    app.register_blueprint(staff_bp)
    from app.staff import auth as staff_auth

    staff_auth.init_app(app)  # each process's share of password checking
    health.init_app(app)
    commands.init_app(app)

    @app.context_processor
    def page_context():
        return {
            "text_direction": i18n.text_direction(),
            "languages": app.config["LANGUAGES"],
            "current_language": str(get_locale()),
            "language_url": i18n.language_url,
            "survey_name": app.config["SURVEY_NAME"] or _("Community survey"),
            "survey_status": g.get("survey_status", "open"),
            "format_day": i18n.format_day,
            # The last day on which answers were accepted, for "It closed on 22 June".
            "last_open_day": app.config["SURVEY_CLOSES"] - timedelta(microseconds=1)
            if app.config["SURVEY_CLOSES"]
            else None,
        }

    @app.after_request
    def security_headers(response):
        response = i18n.remember_language(response)
        headers = response.headers
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.path == "/staff" or request.path.startswith("/staff/"):
            # Here rather than in the staff blueprint, whose hooks skip addresses no route matched (404).
            headers["X-Robots-Tag"] = "noindex, nofollow"
        if request.endpoint != "static":
            # Nothing a respondent saw may come back from the cache (Back button, shared device).
            headers["Cache-Control"] = "no-store"
        return response

    _register_error_pages(app)
    return app


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # The draft is untouched: the page explains and offers a way back to the same question.
        if request.content_length and not request.form and not request.files:
            # A body that is no form at all (not UTF-8, broken multipart) is not a cookie problem.
            return render_template("errors/error.html", error=error, back=request.path), 400
        return render_template("errors/error.html", error=error, csrf=True, back=request.path), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        return render_template("errors/error.html", error=error, back=None), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_template("errors/error.html", error=None, back=None), 500


_ADDRESS_AND_TIME = re.compile(r"^\S+ - - \[[^\]]*\] ")


class _NoAddressFilter(logging.Filter):
    """The development server logs the client's address and the time; keep only the request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _ADDRESS_AND_TIME.sub("", str(record.msg))
        return True


def _hide_addresses_from_dev_server_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, _NoAddressFilter) for f in logger.filters):
        logger.addFilter(_NoAddressFilter())
