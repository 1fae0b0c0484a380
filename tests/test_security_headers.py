"""Security headers on every kind of response: pages, redirects, errors, static files, /exit, /healthz."""

import subprocess
import sys
from pathlib import Path

import pytest
from flask import abort

from app import stylesheet

CSP = (
    "default-src 'none'; style-src {style}; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PUBLIC_CSP = CSP.format(style=stylesheet.load()[1])  # only the inlined stylesheet, by its hash
STAFF_CSP = CSP.format(style="'self'")
ROOT = Path(__file__).resolve().parent.parent


def assert_security_headers(response, policy=PUBLIC_CSP):
    headers = response.headers
    assert headers["Content-Security-Policy"] == policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # only in production, over HTTPS


@pytest.fixture
def client_with_failure(make_app):
    app = make_app()

    @app.get("/test-only/fail")
    def fail():
        raise RuntimeError("boom")

    @app.get("/test-only/teapot")
    def teapot():
        abort(418)

    return app.test_client()


def _started(client):
    from tests.helpers import Respondent

    respondent = Respondent(client)
    respondent.start()
    return respondent


REQUESTS = {
    "start page": ("GET", "/", 200),
    "help page": ("GET", "/help", 200),
    "accessibility statement": ("GET", "/accessibility", 200),
    "redirect without a draft": ("GET", "/question/1", 302),
    "not found": ("GET", "/no-such-page", 404),
    "method not allowed": ("PUT", "/question/1", 405),
    "missing CSRF token": ("POST", "/start", 400),
    "unexpected error": ("GET", "/test-only/fail", 500),
    "other HTTP error": ("GET", "/test-only/teapot", 418),
    "static file": ("GET", "/static/site.css", 200),
    "favicon": ("GET", "/favicon.ico", 204),
    "quick exit": ("GET", "/exit", 303),
    "health check": ("GET", "/healthz", 200),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_every_response_type_has_the_security_headers(client_with_failure, name):
    method, url, status = REQUESTS[name]
    response = client_with_failure.open(url, method=method)
    response.close()  # a static file is streamed from an open file
    assert response.status_code == status
    assert_security_headers(response, STAFF_CSP if url.startswith("/static/") else PUBLIC_CSP)


def test_question_page_redirect_and_too_large_have_the_headers(client):
    respondent = _started(client)
    page = client.get("/question/1")
    assert page.status_code == 200
    assert_security_headers(page)
    assert page.headers["Cache-Control"] == "no-store"
    moved = respondent.answer(__import__("app.questionnaire", fromlist=["QUESTIONNAIRE"]).QUESTIONNAIRE.pages[0].id)
    assert moved.status_code == 303
    assert_security_headers(moved)
    too_large = respondent.post("/question/2", {"x": "a" * 70_000})
    assert too_large.status_code == 413
    assert_security_headers(too_large)


def test_quick_exit_leaves_for_the_configured_site(client):
    response = client.get("/exit")
    assert response.headers["Location"] == "https://www.bbc.co.uk/weather"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'


def test_health_check_sets_no_cookie_and_is_never_cached(client):
    response = client.get("/healthz?lang=pl")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_says_503_when_the_database_is_unreachable():
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-directory/none.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


HSTS_PROBE = """
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
print(app.test_client().get("/healthz").headers.get("Strict-Transport-Security"))
"""


@pytest.mark.parametrize(
    "environment, expected",
    [
        ({"APP_ENV": "production", "SECRET_KEY": "a-real-secret"}, "max-age=31536000; includeSubDomains"),
        ({"APP_ENV": "development"}, "None"),
    ],
)
def test_hsts_only_in_production(environment, expected):
    # Settings are read from the environment at import, so a fresh interpreter reads them.
    env = {"PATH": "/usr/bin:/bin", **environment}
    result = subprocess.run(
        [sys.executable, "-c", HSTS_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_refusals_from_the_flood_brakes_have_the_headers(make_app):
    from tests.helpers import Respondent

    app = make_app(POSTS_PER_DRAFT_PER_MINUTE=1, POSTS_PER_DRAFT_BURST=1)
    respondent = Respondent(app.test_client())
    respondent.start()
    respondent.start()
    refused = respondent.start()
    assert refused.status_code == 429
    assert_security_headers(refused)
    assert refused.headers["Cache-Control"] == "no-store"
    trapped = Respondent(app.test_client()).post("/start", {"website": "spam"})
    assert trapped.status_code == 400
    assert_security_headers(trapped)


def test_the_scheme_from_the_proxy_is_trusted_and_a_forwarded_address_never_read(make_app):
    app = make_app()

    @app.get("/test-only/seen")
    def seen():
        from flask import request

        return f"{request.scheme} {request.is_secure} {request.remote_addr}"

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"}
    body = app.test_client().get("/test-only/seen", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert body.get_data(as_text=True) == "https True 127.0.0.1"
    assert not [p for p in ROOT.joinpath("app").rglob("*.py") if "remote_addr" in p.read_text()]
