"""Application factory: configuration, extensions, blueprints, error pages, headers, commands."""

import logging
import os
import re
from datetime import timedelta

from flask import Flask, abort, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, ServiceUnavailable, TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from app import commands, database, health, i18n, request_guard, sessions, stylesheet
from app.config import Config, finalise
from app.extensions import babel, csrf, db, migrate
from app.page_slots import PageSlots
from app.questionnaire import cli as questionnaire_cli
from app.questionnaire import questionnaire_for, versions
from app.surveys import lifecycle as survey_lifecycle
from app.surveys import live as live_survey

# Public pages allow only their own inlined stylesheet (by hash); staff pages load theirs from /static.
# `data:` images: the empty icon in base.html, which stops browsers asking for /favicon.ico.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src {style}; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# A body over MAX_CONTENT_LENGTH is read and dropped up to this many bytes before the 413 page is
# sent: a server that answers and closes with unread data makes the client see a reset connection
# instead of the page. Beyond it the server closes the connection (nginx refuses such bodies first).
DRAIN_LIMIT = 16 * 1024 * 1024
RETRY_AFTER_SECONDS = 60


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    app.config.update(overrides or {})
    finalise(app.config)
    app.session_interface = sessions.SessionInterface()
    # Behind nginx: trust the scheme it reports (https makes request.is_secure true), and nothing
    # else. The client's address in X-Forwarded-For is never read: the app never knows it.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=1, x_host=0, x_port=0, x_prefix=0)
    inline_style, style_hash = stylesheet.load()
    public_policy = CONTENT_SECURITY_POLICY.format(style=style_hash)
    staff_policy = CONTENT_SECURITY_POLICY.format(style="'self'")

    os.makedirs(app.instance_path, exist_ok=True)  # the default SQLite database lives there
    database.init_app(app)  # db.init_app plus SQLite pragmas
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    app.extensions["questionnaire"] = questionnaire_for(app.config["SURVEY_FILE"])
    from app.staff import english_for_staff

    babel.init_app(app, locale_selector=i18n.parsed_once(english_for_staff(i18n.select_locale)))
    # The live survey comes from the database; SURVEY_FILE seeds an empty one (refused if it cannot be).
    survey_lifecycle.init_app(app)
    request_guard.init_app(app)  # before CSRF, which is the first to read the form
    csrf.init_app(app)
    _hide_addresses_from_dev_server_log()

    from app.survey import bp as survey_bp
    from app.survey import survey_url
    from app.survey import release

    release.init_app(app)  # before any blueprint's hooks: the first request after midnight releases
    app.register_blueprint(survey_bp)
    from app.results import bp as results_bp

    app.register_blueprint(results_bp)
    from app.staff import bp as staff_bp

    app.register_blueprint(staff_bp)
    from app.staff import auth as staff_auth

    # Pages take a slot; a refused sign-in post (staff_auth's gate, in front) never does.
    app.wsgi_app = PageSlots(app.wsgi_app, app.config["PAGE_THREADS"])
    staff_auth.init_app(app)  # each process's share of password checking
    health.init_app(app)
    commands.init_app(app)
    questionnaire_cli.init_app(app)

    # Every public page's language switch (base.html) offers the survey's languages, error pages too;
    # a function, so only a page that shows the switch works them out.
    app.jinja_env.globals["survey_languages"] = i18n.survey_languages
    app.jinja_env.globals["survey_url"] = survey_url

    @app.context_processor
    def page_context():
        return {
            "text_direction": i18n.text_direction(),
            "current_language": str(get_locale()),
            "language_url": i18n.language_url,
            "survey_name": app.config["SURVEY_NAME"] or _("Community survey"),
            "survey_status": g.get("survey_status", "open"),
            # The survey's pages are framed as a preview in a staff preview (app/staff/preview_views.py).
            "survey_layout": "staff/preview_base.html" if g.get("preview_file_id") is not None else "base.html",
            "format_day": i18n.format_day,
            "inline_style": inline_style,
            # The last day on which answers were accepted, for "It closed on 22 June".
            "last_open_day": _last_open_day(),
        }

    @app.after_request
    def security_headers(response):
        response = i18n.remember_language(response)
        headers = response.headers
        staff = sessions.is_staff_path(request.path)
        headers["Content-Security-Policy"] = staff_policy if staff or request.endpoint == "static" else public_policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if staff:
            # Here rather than in the staff blueprint, whose hooks skip addresses no route matched (404).
            headers["X-Robots-Tag"] = "noindex, nofollow"
        if request.endpoint != "static":
            # Nothing a respondent saw may come back from the cache (Back button, shared device).
            headers["Cache-Control"] = "no-store"
        return response

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask for it on their own; an empty answer costs nothing and logs no error.
        return "", 204

    @app.get("/proxy-error/<int:code>")
    def proxy_error(code: int):
        # nginx refuses a body over client_max_body_size, or a flood of starts, itself, then shows
        # this page (error_page in deploy/nginx/survey-server.conf), so the respondent gets the
        # app's clear page in their language, not nginx's.
        if code == 429:
            page = render_template("errors/error.html", error=TooManyRequests(), back=None)
            return page, 429, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        abort(413 if code == 413 else 404)

    _register_error_pages(app)
    return app


def _last_open_day():
    closes = live_survey.dates()[1]
    return closes - timedelta(microseconds=1) if closes else None


def _same_site(path: str) -> str | None:
    """The path for a "try again" link, or None when a browser could read it as another site."""
    if path.startswith("/") and not path.startswith(("//", "/\\")) and path.isprintable():
        return path
    return None


def drain_request_body() -> None:
    """Read and drop the rest of a refused body, up to DRAIN_LIMIT."""
    stream = request.environ.get("wsgi.input")
    length = request.content_length
    remaining = DRAIN_LIMIT if length is None else min(length, DRAIN_LIMIT)
    while stream is not None and remaining > 0:
        chunk = stream.read(min(64 * 1024, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # The draft is untouched: the page explains and offers a way back to the same question.
        if request.content_length and not request.form and not request.files:
            # A body that is no form at all (not UTF-8, broken multipart) is not a cookie problem.
            return render_template("errors/error.html", error=error, back=i18n.this_page_path()), 400
        return render_template("errors/error.html", error=error, csrf=True, back=i18n.this_page_path()), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code == 413:
            drain_request_body()
        return render_template("errors/error.html", error=error, back=None), error.code

    def database_unavailable(error):
        # Unreachable, locked past the busy timeout, or a full disk: nothing was committed, so the
        # respondent can send the same page again in a minute. A warning, not a traceback per request.
        # The driver's own first line ("database is locked", "connection refused"): it names the
        # cause and, unlike SQLAlchemy's text, no statement.
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0][:200]
        app.logger.warning(
            "Database unavailable (%s: %s) on %s %s", type(error).__name__, reason, request.method, request.path
        )
        return try_again()

    def version_changed(error):
        # The service's file and the database disagree: nothing is stored until it restarts with a new version.
        app.logger.error("%s", error)
        return try_again()

    def try_again():
        try:
            db.session.rollback()
        except Exception:  # the connection itself is gone; the pool replaces it
            db.session.close()
        back = _same_site(request.path)
        # Only a respondent's own answers are sent back in the page: a staff post holds a password or
        # a code, which must never be written into HTML (nor into a browser's cache or history).
        resendable = request.method == "POST" and back and request.endpoint in RESENDABLE
        resend = list(request.form.items(multi=True)) if resendable else None
        page = render_template("errors/error.html", error=ServiceUnavailable(), back=back, resend=resend)
        return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    app.extensions["database_unavailable"] = database.unavailable_errors(app)
    for error_class in app.extensions["database_unavailable"]:
        app.register_error_handler(error_class, database_unavailable)
    app.register_error_handler(versions.VersionChanged, version_changed)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_template("errors/error.html", error=None, back=None), 500


# The public survey's forms whose fields the "try again" page may carry back: the answers of a
# question page, and the start and submit posts (a CSRF token only).
RESENDABLE = frozenset({"survey.question", "survey.check", "survey.begin"})

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
