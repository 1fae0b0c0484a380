"""The public flow through the test client: start, questions, check answers, submit, confirmation."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Draft, Response
from app.questionnaire import QUESTIONNAIRE as Q
from tests.helpers import FULL_ANSWERS, question_url, release_today, soup


def stored(app):
    """The responses and answers once today's responses are released (as after midnight)."""
    release_today(app)
    with app.app_context():
        responses = db.session.scalars(select(Response)).all()
        rows = sorted((a.question_id, a.value) for a in db.session.scalars(select(Answer)))
        return responses, rows


def test_start_page_explains_the_survey(client):
    page = soup(client.get("/"))
    text = page.get_text(" ")
    assert page.select_one("h1").get_text(strip=True) == "Tell us how safe you feel"
    assert "It takes about 10 minutes" in text
    assert "anonymous" in text
    assert "not a way to report a crime" in text
    assert "999" in text and "55" in text and "101" in text
    assert "60 minutes" in text  # the idle time after which a draft is deleted
    assert page.select_one("a[href='/leaving-quickly']")
    assert page.select_one("form[action='/start'] button").get_text(strip=True) == "Start now"


def test_whole_flow_stores_one_response(app, client, respondent):
    last = respondent.complete()
    assert last.headers["Location"] == "/check"
    check = soup(client.get("/check"))
    assert check.select_one("h1").get_text(strip=True) == "Check your answers before sending them"
    rows = check.select(".summary-row")
    assert len(rows) == len(Q.questions)
    assert "Being followed" in check.get_text()
    sent = respondent.submit()
    assert sent.status_code == 303 and sent.headers["Location"] == "/done"
    done = soup(client.get("/done"))
    assert "Your answers have been sent" in done.select_one("h1").get_text()
    assert done.select("ul.contacts li"), "the confirmation page lists help contacts"

    responses, rows = stored(app)
    assert len(responses) == 1
    assert responses[0].questionnaire_version == Q.version and responses[0].language == "en"
    expected = []
    for qid, value in FULL_ANSWERS.items():
        expected.extend((qid, v) for v in (value if isinstance(value, list) else [value]))
    assert rows == sorted(expected)


def test_titles_and_urls_reveal_only_the_step(client, respondent):
    respondent.start()
    page = soup(client.get("/question/1"))
    assert page.title.get_text() == "Question 1 – Community survey"
    assert page.select_one(".caption").get_text(strip=True) == "Question 1"


def test_survey_name_is_configurable(make_app):
    client = make_app(SURVEY_NAME="Have your say").test_client()
    assert soup(client.get("/")).title.get_text() == "Have your say"


def test_single_question_page_uses_the_question_as_heading_in_the_legend(client, respondent):
    respondent.complete({**FULL_ANSWERS, "experiences": ["none"]})
    page = soup(client.get(question_url("area")))
    assert len(page.select("h1")) == 1
    assert page.select_one("fieldset > legend > h1").get_text(strip=True) == "Which area do you live in?"


def test_multi_question_page_has_a_heading_and_a_legend_per_question(client, respondent):
    respondent.start()
    page = soup(client.get(question_url("safe_day")))
    assert page.select_one("h1").get_text(strip=True) == "How safe do you feel walking alone during the day?"
    # The heading is the legend of a fieldset around the page's questions, so each question's group
    # of answers is announced with it ("during the day").
    outer = page.select_one("main form > fieldset.question-group")
    assert outer.select_one(":scope > legend > h1") is page.select_one("h1")
    assert len(outer.select(":scope > .field > fieldset > legend")) == 3


def test_back_link_goes_to_the_previous_visible_page(client, respondent):
    respondent.complete({**FULL_ANSWERS, "experiences": ["none"]})
    page = soup(client.get(question_url("changed_behaviour")))
    assert page.select_one("a.back-link")["href"] == question_url("experiences")
    first = soup(client.get(question_url("safe_day")))
    assert first.select_one("a.back-link")["href"] == "/"


def test_saved_answers_are_shown_again(client, respondent):
    respondent.complete()
    page = soup(client.get(question_url("experiences")))
    checked = [box["value"] for box in page.select("input[name=experiences][checked]")]
    assert checked == ["comments", "followed"]
    text = soup(client.get(question_url("difference_text"))).select_one("textarea").get_text()
    assert text == FULL_ANSWERS["difference_text"]


def test_out_of_order_page_redirects_to_first_unanswered(client, respondent):
    respondent.start()
    respondent.answer("safe_day")
    response = client.get(question_url("area"))
    assert response.status_code == 302 and response.headers["Location"] == question_url("safe_dark")
    assert client.get("/check").headers["Location"] == question_url("safe_dark")


def test_branch_page_not_shown_redirects(client, respondent):
    respondent.complete({**FULL_ANSWERS, "experiences": ["none"]})
    response = client.get(question_url("where"))
    assert response.status_code == 302 and response.headers["Location"] == "/check"


def test_without_a_draft_question_pages_go_to_the_start(client):
    response = client.get("/question/1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/done").headers["Location"] == "/"


def test_change_link_returns_to_check_answers(client, respondent):
    respondent.complete()
    check = soup(client.get("/check"))
    link = check.select_one(f".summary-row a[href^='{question_url('area')}']")["href"]
    assert link.endswith("?change=1")
    response = respondent.post(link, {"area": "walsall"})
    assert response.headers["Location"] == "/check"
    assert "Walsall" in soup(client.get("/check")).get_text()


def test_change_that_opens_a_branch_asks_the_new_questions_first(client, respondent):
    respondent.complete({**FULL_ANSWERS, "experiences": ["none"]})
    response = respondent.post(question_url("experiences") + "?change=1", {"experiences": ["followed"]})
    assert response.headers["Location"] == question_url("where")


def test_change_that_closes_a_branch_drops_its_answers(app, client, respondent):
    respondent.complete()
    respondent.post(question_url("experiences") + "?change=1", {"experiences": ["none"]})
    respondent.submit()
    _, rows = stored(app)
    questions = {qid for qid, _ in rows}
    assert not questions & {"where", "reported", "why_not_reported"}


def test_double_submit_stores_one_response(app, client, respondent):
    respondent.complete()
    first = respondent.submit()
    second = respondent.submit()
    assert first.headers["Location"] == second.headers["Location"] == "/done"
    responses, _ = stored(app)
    assert len(responses) == 1


def test_double_submit_from_two_copies_of_the_same_cookie(app, client, respondent):
    """A double tap sends the second request with the cookie the first one had."""
    respondent.complete()
    cookie = client.get_cookie("session").value
    twin = app.test_client()
    twin.set_cookie("session", cookie)
    respondent.submit()
    response = twin.post("/check", data={"csrf_token": respondent.token})
    assert response.headers["Location"] == "/done"
    responses, _ = stored(app)
    assert len(responses) == 1


def test_after_submitting_question_pages_lead_to_the_confirmation(client, respondent):
    respondent.complete()
    respondent.submit()
    assert client.get("/question/1").headers["Location"] == "/done"
    assert respondent.answer("safe_day").headers["Location"] == "/done"


def test_starting_again_after_submitting_gives_a_new_draft(app, client, respondent):
    respondent.complete()
    respondent.submit()
    assert respondent.start().headers["Location"] == "/question/1"
    respondent.complete()
    respondent.submit()
    responses, _ = stored(app)
    assert len(responses) == 2


def test_start_again_resumes_a_draft_in_progress(client, respondent):
    respondent.start()
    respondent.answer("safe_day")
    assert "Continue where you left off" in soup(client.get("/")).select_one("form button").get_text()
    assert respondent.start().headers["Location"] == question_url("safe_dark")


def test_response_cannot_be_linked_to_its_draft(app, respondent):
    """Sending deletes the draft: its minute-precise expiry would date the response. Only a hash
    and a day remember it was sent, and the held response's id is not the one it is released under."""
    from app.models import PendingResponse, SentDraft

    respondent.complete()
    respondent.submit()
    with app.app_context():
        assert db.session.scalars(select(Draft)).all() == []
        sent = db.session.scalars(select(SentDraft)).one()
        held_id = db.session.scalars(select(PendingResponse.id).distinct()).one()
    responses, _ = stored(app)
    assert len(responses) == 1
    assert responses[0].id != held_id
    assert len({sent.id, held_id, responses[0].id}) == 3


@pytest.mark.parametrize("path", ["/help", "/privacy", "/leaving-quickly"])
def test_information_pages(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert soup(response).select_one("h1")


def test_help_page_lists_every_contact(client):
    from app.help_contacts import CONTACTS

    page = soup(client.get("/help"))
    assert len(page.select("ul.contacts li")) == len(CONTACTS)
    assert page.select_one("a[href='tel:08082000247']")


def test_content_note_and_help_before_questions_about_experiences(client, respondent):
    respondent.start()
    respondent.answer("safe_day")
    respondent.answer("safe_dark")
    page = soup(client.get(question_url("experiences")))
    note = page.select_one("main .inset")
    assert "upsetting" in note.get_text()
    assert note.select("ul.contacts li") and note.select_one("a[href='/help']")
