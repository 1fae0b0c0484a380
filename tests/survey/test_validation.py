"""Every POST is validated; bad input gets the form with errors or a clear error page, and keeps the draft."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Draft
from app.questionnaire import QUESTIONNAIRE
from app.survey.drafts import _key
from tests.helpers import FULL_ANSWERS, question_url, soup


def saved_answers(app, client):
    with client.session_transaction() as session:
        token = session["draft"]
    with app.app_context():
        return db.session.get(Draft, _key(token)).answers


@pytest.fixture
def on_experiences(respondent):
    respondent.start()
    respondent.answer("safe_day")
    respondent.answer("safe_dark")
    return respondent


def test_missing_required_answer_shows_errors_linked_to_fields(on_experiences):
    response = on_experiences.post(question_url("experiences"), {})
    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().startswith("Error: Question 3 –")
    summary = page.select_one(".error-summary")
    # Focused as the page loads (GOV.UK's pattern, without script), and announced.
    assert summary.has_attr("autofocus") and summary["tabindex"] == "-1"
    assert summary.select_one("[role=alert]")
    link = summary.select_one("a")
    # The link goes to the whole question, which can take focus while it has an error.
    assert link["href"] == "#experiences-question"
    target = page.select_one("#experiences-question")
    assert target["tabindex"] == "-1" and target.select_one("#experiences-error")
    assert target.select_one("input")["name"] == "experiences"
    fieldset = page.select_one("#experiences-error").find_parent("fieldset")
    assert "experiences-error" in fieldset["aria-describedby"].split()
    assert "experiences-hint" in fieldset["aria-describedby"].split()
    assert link.get_text() == page.select_one("#experiences-error").get_text().replace("Error: ", "", 1).strip()


def test_errors_on_a_multi_question_page(respondent):
    respondent.start()
    response = respondent.post(question_url("safe_day"), {"safe_day_busy": "very_safe"})
    page = soup(response)
    hrefs = [a["href"] for a in page.select(".error-summary a")]
    assert hrefs == ["#safe_day_street-question", "#safe_day_park-question"]
    assert not page.select_one("#safe_day_busy-question").has_attr("tabindex")  # no error, not a target
    # The answer that was given is kept on the page.
    assert page.select_one("input[name=safe_day_busy][value=very_safe]").has_attr("checked")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"experiences": "bogus"}, "Choose from the answers shown"),
        ({"experiences": ["followed", "none"]}, "You cannot choose “None of these” together with other answers"),
        ({"experiences": ["prefer_not_to_say", "online"]}, "You cannot choose “Prefer not to say” together"),
        ({"experiences": ["followed", "followed\x00"]}, "Choose from the answers shown"),
    ],
)
def test_bad_multiple_choice(app, client, on_experiences, data, message):
    before = saved_answers(app, client)
    response = on_experiences.post(question_url("experiences"), data)
    assert response.status_code == 200
    assert message in soup(response).select_one(".error-summary").get_text()
    assert saved_answers(app, client) == before


def test_repeated_option_counts_once(app, client, on_experiences):
    on_experiences.post(question_url("experiences"), {"experiences": ["followed", "followed"]})
    assert saved_answers(app, client)["experiences"] == ["followed"]


def test_unknown_single_choice_code(respondent):
    respondent.start()
    response = respondent.post(question_url("safe_day"), {**{k: FULL_ANSWERS[k] for k in ("safe_day_street", "safe_day_busy")}, "safe_day_park": "<script>"})
    page = soup(response)
    assert "Choose one of the answers shown" in page.select_one(".error-summary").get_text()
    assert "<script" not in response.get_data(as_text=True)


def test_text_over_the_limit_is_kept_and_explained(app, client, respondent):
    respondent.complete({**FULL_ANSWERS, "experiences": ["none"]})
    long_text = "a" * 501
    response = respondent.post(question_url("difference_text"), {"difference_text": long_text})
    page = soup(response)
    assert "500 characters or fewer. It has 501." in page.select_one(".error-summary").get_text()
    assert page.select_one("textarea").get_text() == long_text  # nothing the respondent typed is lost
    assert page.select_one(".error-summary a")["href"] == "#difference_text-question"
    assert saved_answers(app, client)["difference_text"] == FULL_ANSWERS["difference_text"]


def test_text_is_cleaned(app, client, respondent):
    respondent.complete({**FULL_ANSWERS, "experiences": ["none"]})
    respondent.post(question_url("difference_text"), {"difference_text": "  Line one\r\nline\x07 two\u200b  "})
    assert saved_answers(app, client)["difference_text"] == "Line one\nline two"


def test_optional_question_can_be_skipped(app, client, respondent):
    respondent.complete({**FULL_ANSWERS, "experiences": ["none"]})
    response = respondent.post(question_url("area"), {})
    assert response.status_code == 303
    assert saved_answers(app, client)["area"] == ""


@pytest.mark.parametrize("token", [None, "", "not-a-real-token"])
def test_missing_or_stale_csrf_token(app, client, respondent, token):
    respondent.start()
    respondent.answer("safe_day")
    before = saved_answers(app, client)
    data = {"safe_dark_street": "very_safe"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(question_url("safe_dark"), data=data)
    assert response.status_code == 400
    page = soup(response)
    assert "could not save that page" in page.select_one("h1").get_text()
    assert page.select_one("main a")["href"] == question_url("safe_dark")
    assert saved_answers(app, client) == before


def test_body_over_the_limit(app, client, respondent):
    respondent.start()
    respondent.answer("safe_day")
    before = saved_answers(app, client)
    response = respondent.post(question_url("safe_dark"), {"safe_dark_street": "x" * (70 * 1024)})
    assert response.status_code == 413
    assert "too much to send" in soup(response).select_one("h1").get_text()
    assert saved_answers(app, client) == before


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"\xff\xfe\x00garbage=%%%", "application/x-www-form-urlencoded"),
        (b"--x\r\nnot really multipart", "multipart/form-data; boundary=x"),
        (b"{\"json\": true}", "application/json"),
        (b"a=" + b"&a=".join([b"1"] * 500), "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_never_give_a_500(app, client, respondent, body, content_type):
    respondent.start()
    respondent.answer("safe_day")
    before = saved_answers(app, client)
    response = client.post(question_url("safe_dark"), data=body, content_type=content_type)
    assert response.status_code in (200, 400, 413)
    assert soup(response).select_one("h1")
    assert saved_answers(app, client) == before


@pytest.mark.parametrize("path", ["/question/0", "/question/99", "/question/abc", "/question/-1", "/question/1.5"])
def test_page_that_does_not_exist(client, respondent, path):
    respondent.start()
    response = respondent.post(path, {})
    assert response.status_code == 404
    assert soup(response).select_one("h1").get_text(strip=True) == "Page not found"


def test_wrong_method(client):
    response = client.get("/start")
    assert response.status_code == 405
    assert soup(response).select_one("h1")


def test_an_unexpected_error_gives_a_clear_page(app, client, respondent, monkeypatch):
    from app.survey import drafts

    respondent.start()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(drafts, "new_token", broken)  # the first answer is saved with a new token
    monkeypatch.setattr(drafts, "save_answers", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = respondent.answer("safe_day")
    assert response.status_code == 500
    assert "problem with the service" in soup(response).select_one("h1").get_text()


def test_summary_names_the_question_on_a_page_of_several(respondent):
    respondent.start()
    page = soup(respondent.post(question_url("safe_day"), {}))
    links = [a.get_text() for a in page.select(".error-summary a")]
    # Each required question's own message says which question and what to do, once: no prefix.
    assert links == [
        "Choose how safe you feel in a quiet street near your home during the day, or choose “Prefer not to say”",
        "Choose how safe you feel in a busy public place during the day, or choose “Prefer not to say”",
        "Choose how safe you feel in a park or open space during the day, or choose “Prefer not to say”",
    ]
    assert [p.get_text() for p in page.select(".error-message")] == [f"Error: {link}" for link in links]
    # A message that does not name its question gets the question's name in the summary.
    page = soup(respondent.post(question_url("safe_day"), {q.id: "bogus" for q in QUESTIONNAIRE.pages[0].questions}))
    first = page.select_one(".error-summary a").get_text()
    assert first == "During the day, in a quiet street near your home: Choose one of the answers shown"
