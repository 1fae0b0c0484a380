"""Hostile input on every form endpoint: random, overlong, non-UTF-8, duplicated and missing fields.

Whatever arrives, the answer is never a 5xx, and answers already saved stay saved. Each example
starts a new respondent on one app (one database) per test, so examples stay cheap.
"""

import re
from urllib.parse import quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import Draft
from app.survey.release import waiting_count
from app.questionnaire import QUESTIONNAIRE
from app.survey import drafts
from app.survey.state import today_london
from app.survey.views import DRAFT_KEY
from tests.helpers import Respondent

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    # One app per test on purpose: each example makes its own client and draft.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

QUESTIONS = [q for page in QUESTIONNAIRE.pages for q in page.questions]
CODES = sorted({option.code for q in QUESTIONS for option in q.options})
NAMES = ["csrf_token", "website", "username", "password"] + [q.id for q in QUESTIONS]

field_names = st.one_of(st.sampled_from(NAMES), st.text(max_size=20))
field_values = st.one_of(
    st.sampled_from(CODES),
    st.text(max_size=40),
    # Just over a text limit, far over it, and over MAX_CONTENT_LENGTH (64 KB).
    st.sampled_from([501, 5_000, 70_000]).map(lambda n: "é" * n),
)
pairs = st.lists(st.tuples(field_names, field_values), max_size=8)
junk = st.binary(max_size=80)
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain",
    "application/json",
    "",
]


@st.composite
def hostile_bodies(draw):
    """(body bytes, content type) with the CSRF token marked by {csrf} to fill in per respondent."""
    fields = draw(pairs)
    csrf = draw(st.sampled_from(["valid", "missing", "duplicated", "wrong"]))
    if csrf == "valid":
        fields = [("csrf_token", "{csrf}")] + fields
    elif csrf == "duplicated":
        fields = [("csrf_token", "{csrf}"), ("csrf_token", "{csrf}x")] + fields
    elif csrf == "wrong":
        fields = [("csrf_token", "not-a-token")] + fields
    shape = draw(st.sampled_from(["urlencoded", "multipart", "non-utf8", "raw"]))
    if shape == "urlencoded":
        body = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in fields).encode()
        return body, "application/x-www-form-urlencoded"
    if shape == "multipart":
        boundary, body = encode_multipart(MultiDict(fields), boundary="----hostile")
        return body, f"multipart/form-data; boundary={boundary}"
    if shape == "non-utf8":
        body = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in fields).encode()
        return body + b"&" + draw(junk) + b"=" + draw(junk) + b"\xff\xfe", "application/x-www-form-urlencoded"
    return draw(junk), draw(st.sampled_from(CONTENT_TYPES))


def _post(respondent: Respondent, url: str, body: bytes, content_type: str):
    body = body.replace(b"{csrf}", respondent.csrf().encode())
    return respondent.client.post(url, data=body, content_type=content_type or None)


def _saved(app, respondent: Respondent):
    """(answers, sent) of the respondent's draft, or None when it is gone."""
    with respondent.client.session_transaction() as session:
        token = session.get(DRAFT_KEY)
    with app.app_context():
        draft = drafts.find_draft(token)
        if draft is not None:
            result = (dict(draft.answers or {}), False)
        else:
            result = ({}, True) if drafts.was_sent(token, today_london()) else None
        db.session.remove()
    return result


def _respondent_on_page(app, pages_answered: int) -> Respondent:
    respondent = Respondent(app.test_client())
    assert respondent.start().status_code == 303
    for page in QUESTIONNAIRE.pages[:pages_answered]:
        assert respondent.answer(page.id).status_code == 303
    return respondent


@pytest.mark.parametrize("number", [1, 2, 3])
def test_question_pages_survive_hostile_posts(app, number):
    @SETTINGS
    @given(body=hostile_bodies())
    def check(body):
        respondent = _respondent_on_page(app, number - 1)
        before = _saved(app, respondent)
        response = _post(respondent, f"/question/{number}", *body)
        assert response.status_code < 500
        after = _saved(app, respondent)
        assert after is not None, "the draft was lost"
        if response.status_code != 303:
            assert after == before, "a refused post changed saved answers"
        else:  # accepted: earlier pages keep their answers
            for page in QUESTIONNAIRE.pages[: number - 1]:
                for question in page.questions:
                    assert after[0].get(question.id) == before[0].get(question.id)
        assert respondent.client.get(f"/question/{number}").status_code < 500

    check()


def test_check_page_survives_hostile_posts(app):
    @SETTINGS
    @given(body=hostile_bodies())
    def check(body):
        respondent = Respondent(app.test_client())
        respondent.complete()
        before = _saved(app, respondent)
        with app.app_context():
            stored_before = waiting_count()
            db.session.remove()
        response = _post(respondent, "/check", *body)
        assert response.status_code < 500
        after = _saved(app, respondent)
        assert after is not None, "the draft was lost"
        with app.app_context():
            stored_after = waiting_count()
            db.session.remove()
        if response.status_code == 303:  # sent: stored exactly once
            assert after[1] and stored_after == stored_before + 1
        else:
            assert after == before and stored_after == stored_before

    check()


def test_start_survives_hostile_posts(app):
    @SETTINGS
    @given(body=hostile_bodies())
    def check(body):
        respondent = _respondent_on_page(app, 2)
        before = _saved(app, respondent)
        response = _post(respondent, "/start", *body)
        assert response.status_code < 500
        assert _saved(app, respondent) == before  # starting again never replaces saved answers

    check()


def test_start_without_a_draft_survives_hostile_posts(app):
    @SETTINGS
    @given(body=hostile_bodies())
    def check(body):
        respondent = Respondent(app.test_client())
        response = _post(respondent, "/start", *body)
        assert response.status_code < 500
        with app.app_context():
            assert waiting_count() == 0
            db.session.remove()

    check()


def test_staff_sign_in_survives_hostile_posts(app):
    login = next((rule.rule for rule in app.url_map.iter_rules() if rule.endpoint == "staff.login"), None)
    if login is None:
        pytest.skip("no staff sign-in page in this build")

    @SETTINGS
    @given(body=hostile_bodies())
    def check(body):
        client = app.test_client()
        page = client.get(login)
        assert page.status_code < 500
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        body = (body[0].replace(b"{csrf}", token.encode()), body[1])
        assert client.post(login, data=body[0], content_type=body[1] or None).status_code < 500

    check()


def test_a_body_over_the_limit_gets_a_clear_413_and_keeps_the_draft(app):
    respondent = _respondent_on_page(app, 1)
    before = _saved(app, respondent)
    response = respondent.post("/question/2", {"x": "a" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)
    assert _saved(app, respondent) == before


def test_too_many_form_parts_gets_a_clear_page(app):
    respondent = _respondent_on_page(app, 1)
    fields = MultiDict([("csrf_token", respondent.csrf())] + [(f"f{i}", "1") for i in range(500)])
    boundary, body = encode_multipart(fields)
    response = respondent.client.post("/question/2", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (400, 413)
    assert "<h1>" in response.get_data(as_text=True)


def test_a_draft_row_is_never_deleted_by_a_refused_post(app):
    respondent = _respondent_on_page(app, 3)
    respondent.client.post("/question/4", data=b"\xff\xfe\x00", content_type="application/x-www-form-urlencoded")
    with app.app_context():
        assert db.session.query(Draft).count() == 1
        db.session.remove()


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"csrf_token=abc&safe_day_street=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunfinished", "multipart/form-data; boundary=xyz"),
    ],
)
def test_a_body_that_is_no_form_gets_a_clear_400_not_the_cookie_message(app, body, content_type):
    respondent = _respondent_on_page(app, 1)
    before = _saved(app, respondent)
    response = respondent.client.post("/question/2", data=body, content_type=content_type)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "could not understand what your browser sent" in text
    assert "blocks cookies" not in text
    assert _saved(app, respondent) == before


def test_a_multipart_field_with_no_usable_name_gets_a_400_not_a_500(app):
    # Found by the property tests: Werkzeug names this field None, and the CSRF check choked on it.
    respondent = _respondent_on_page(app, 1)
    before = _saved(app, respondent)
    body = b'\r\n--b\r\nContent-Disposition: form-data; name="\r"\r\n\r\n16_17\r\n--b--\r\n'
    response = respondent.client.post("/question/2", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400
    assert "could not understand what your browser sent" in response.get_data(as_text=True)
    assert _saved(app, respondent) == before
