"""The weight budget and the no-script promise, on every public page in every language.

Budget: a page's HTML, its stylesheet inlined, gzip-compressed, fits in 14 KB, about what a server
can send in the first round trip, so a page shows quickly on a slow mobile connection. The page is
the only request (tests/test_one_request.py).
"""

import gzip
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from app.config import LANGUAGES
from app.extensions import db
from app.models import Draft
from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire.model import Kind
from tests.helpers import FULL_ANSWERS, Respondent

BUDGET = 14 * 1024
GZIP_LEVEL = 6  # a common web server default


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def mistakes(page) -> dict:
    """Form data that puts every question of a page in its error state."""
    data = {}
    for question in page.questions:
        if question.kind is Kind.TEXT:
            data[question.id] = "a" * (question.max_length + 1)
        elif not question.required:
            data[question.id] = "not-an-answer"
        # a required question is left unanswered
    return data


def public_responses(make_app, language: str):
    """(name, response) for every public page and state, and the redirects and files between them."""
    app = make_app()
    client = app.test_client()
    respondent = Respondent(client)
    yield "start", client.get(f"/?lang={language}")
    for path in ("/help", "/privacy", "/leaving-quickly", "/accessibility", "/no-such-page"):
        yield path, client.get(path)

    response = respondent.start()
    yield "start (POST)", response
    while "/question/" in response.headers.get("Location", ""):
        url = response.headers["Location"]
        page = Q.pages[int(url.rsplit("/", 1)[1]) - 1]
        yield url, client.get(url)
        yield f"{url} with errors", respondent.post(url, mistakes(page))
        response = respondent.answer(page.id)
        yield f"{url} (POST)", response
    yield "/question/1 without a CSRF token", client.post("/question/1", data={})
    yield "/question/1, too much sent", respondent.post("/question/1", {"safe_day_street": "a" * 70_000})
    yield "/check", client.get("/check")
    yield "/check (POST)", respondent.submit()
    yield "/done", client.get("/done")

    respondent.start()
    with app.app_context():
        db.session.execute(update(Draft).values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        db.session.commit()
    yield "expired draft", client.get("/question/1")
    yield "/exit", client.get("/exit")

    now = datetime.now(timezone.utc)
    for state, overrides in (
        ("closed", {"SURVEY_OPENS": None, "SURVEY_CLOSES": now - timedelta(days=3)}),
        ("not open yet", {"SURVEY_OPENS": now + timedelta(days=3), "SURVEY_CLOSES": None}),
    ):
        other = make_app(**overrides).test_client()
        yield f"start, survey {state}", other.get(f"/?lang={language}")
        yield f"question page, survey {state}", other.get("/question/1")


def fetched(make_app, language: str) -> list[tuple[str, object, bytes]]:
    """Every public response as (name, response, body), each response closed once read."""
    result = []
    for name, response in public_responses(make_app, language):
        result.append((name, response, response.get_data()))
        response.close()  # a static file is sent from an open file
    return result


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_public_page_fits_in_one_round_trip(make_app, language):
    sizes = {
        name: gzipped_size(body)
        for name, response, body in fetched(make_app, language)
        if response.mimetype == "text/html" and response.status_code not in (301, 302, 303)
    }
    assert len(sizes) > 2 * len(Q.pages), "too few pages were weighed"
    heavy = {name: size for name, size in sizes.items() if size >= BUDGET}
    assert not heavy, f"over the {BUDGET} byte budget (HTML with its CSS, gzip): {heavy}"



def assert_scripts_forbidden(policy: str) -> None:
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}
    if "script-src" in directives:
        assert directives["script-src"] == "script-src 'none'", policy
    else:
        assert directives.get("default-src") == "default-src 'none'", policy
    for name in ("script-src-elem", "script-src-attr", "worker-src"):
        assert name not in directives or directives[name].endswith("'none'"), policy


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_no_response_carries_a_script_and_the_policy_forbids_them(make_app, language):
    for name, response, body in fetched(make_app, language):
        assert b"<script" not in body.lower(), f"{name}: contains a script element"
        policy = response.headers.get("Content-Security-Policy")
        assert policy, f"{name}: no Content-Security-Policy header"
        assert_scripts_forbidden(policy)
