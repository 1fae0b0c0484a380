"""Bot and flood brakes: the honeypot field and the per-draft rate limits (never one shared by all)."""

import pytest

from app.extensions import db
from app.models import Draft
from app.questionnaire import QUESTIONNAIRE
from app.survey import abuse
from tests.helpers import Respondent, soup

FIRST = QUESTIONNAIRE.pages[0]


def _draft_answers(app):
    with app.app_context():
        rows = [draft.answers for draft in db.session.query(Draft)]
        db.session.remove()
    return rows


@pytest.mark.parametrize("url", ["/", "/question/1", "/check"])
def test_the_honeypot_is_out_of_every_persons_way(app, url):
    """Hidden by the hidden attribute itself, so also with CSS off, from screen readers, Tab and autofill."""
    respondent = Respondent(app.test_client())
    respondent.complete() if url == "/check" else respondent.start()
    page = soup(respondent.client.get(url))
    field = page.select_one("form input[name=website]")
    assert field["tabindex"] == "-1" and field["autocomplete"] == "off" and field["value"] == ""
    assert field.find_parent("div").has_attr("hidden")
    assert page.select_one("label[for=website]").find_parent("div").has_attr("hidden")


def test_a_filled_honeypot_on_start_creates_no_draft(app):
    respondent = Respondent(app.test_client())
    response = respondent.post("/start", {"website": "http://spam.example"})
    assert response.status_code == 400
    # The page does not speak of a box no person could see.
    assert "Leave this empty" not in response.get_data(as_text=True)
    assert soup(response).select_one("main a")["href"] == "/"
    assert _draft_answers(app) == []


def _robot_fills(form) -> dict:
    """A crude form-filling robot: text in every text box, the first answer of every group of choices."""
    data = {}
    for field in form.select("input, textarea"):
        kind = field.get("type", "text")
        if field.name == "textarea" or kind == "text":
            data[field["name"]] = "http://spam.example/buy-now"
        elif kind == "hidden":
            data[field["name"]] = field.get("value", "")
        elif kind in ("radio", "checkbox"):
            data.setdefault(field["name"], field["value"])
    return data


def test_a_form_filling_robot_is_caught_on_every_form(app):
    """The robot fills the honeypot on the start page, and on every question and check page if it gets
    there with a cookie from a person's session: every one of its posts is refused, nothing is saved."""
    respondent = Respondent(app.test_client())
    start = soup(respondent.client.get("/")).select_one("main form")
    assert respondent.client.post(start["action"], data=_robot_fills(start)).status_code == 400
    respondent.complete()
    refused = 0
    urls = [f"/question/{number}" for number in range(1, len(QUESTIONNAIRE.pages) + 1)] + ["/check"]
    before = _draft_answers(app)
    for url in urls:
        form = soup(respondent.client.get(url)).select_one("main form")
        if form is None:  # a page this respondent's answers skip
            continue
        response = respondent.client.post(form["action"], data=_robot_fills(form))
        refused += response.status_code == 400
    assert refused == len([url for url in urls if soup(respondent.client.get(url)).select_one("main form")])
    assert _draft_answers(app) == before


def test_a_filled_honeypot_on_a_question_changes_nothing(app):
    respondent = Respondent(app.test_client())
    respondent.start()
    respondent.answer(FIRST.id)
    before = _draft_answers(app)
    response = respondent.post("/question/1", {"website": "x", **{q.id: "very_unsafe" for q in FIRST.questions}})
    assert response.status_code == 400
    assert _draft_answers(app) == before


def test_an_empty_honeypot_is_fine(app):
    respondent = Respondent(app.test_client())
    assert respondent.post("/start", {"website": ""}).status_code == 303


def test_one_client_flooding_starts_never_blocks_a_newcomer(app):
    """One client replays its first cookie and CSRF token 300 times, as a flood did; the next person
    still gets in. No bucket is shared by every client (nginx limits starts per address)."""
    flooder = Respondent(app.test_client())
    flooder.csrf()
    cookie = flooder.client.get_cookie("session").value
    for _ in range(300):
        flooder.client.set_cookie("session", cookie)
        assert flooder.start().status_code == 303
    newcomer = Respondent(app.test_client())
    assert newcomer.start().status_code == 303
    assert newcomer.answer(FIRST.id).status_code == 303


def test_a_draft_that_starts_over_and_over_is_braked_alone(make_app):
    app = make_app(POSTS_PER_DRAFT_PER_MINUTE=1, POSTS_PER_DRAFT_BURST=2)
    respondent = Respondent(app.test_client())
    statuses = [respondent.start().status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]  # the first start had no draft yet
    refused = respondent.start()
    assert int(refused.headers["Retry-After"]) >= 1
    assert "too many requests" in refused.get_data(as_text=True)
    assert Respondent(app.test_client()).start().status_code == 303


def test_too_many_posts_for_one_draft_get_a_429_and_keep_the_answers(make_app):
    app = make_app(POSTS_PER_DRAFT_PER_MINUTE=1, POSTS_PER_DRAFT_BURST=2)
    respondent = Respondent(app.test_client())
    respondent.start()
    # The first answer moves the draft to a new token (against draft fixation); its bucket moves with it.
    assert respondent.answer(FIRST.id).status_code == 303
    assert respondent.answer(QUESTIONNAIRE.pages[1].id).status_code == 303
    before = _draft_answers(app)
    refused = respondent.answer(QUESTIONNAIRE.pages[2].id)
    assert refused.status_code == 429
    assert _draft_answers(app) == before
    # Another respondent has a bucket of their own.
    other = Respondent(app.test_client())
    other.start()
    assert other.answer(FIRST.id).status_code == 303


def test_a_bucket_refills_with_time():
    now = [0.0]
    bucket = abuse.TokenBucket(rate=1.0, capacity=2, now=now[0])
    assert [bucket.take(now[0]) for _ in range(3)][:2] == [0.0, 0.0]
    assert bucket.take(now[0]) > 0
    now[0] += 1.0
    assert bucket.take(now[0]) == 0.0


def test_tracked_drafts_are_bounded(monkeypatch):
    monkeypatch.setattr(abuse, "MAX_TRACKED_DRAFTS", 3)
    brakes = abuse.FloodBrakes({"POSTS_PER_DRAFT_PER_MINUTE": 60, "POSTS_PER_DRAFT_BURST": 5})
    for n in range(10):
        brakes.post_for_draft(f"token-{n}")
    assert len(brakes.drafts) == 3


def test_no_brake_is_shared_by_every_client():
    brakes = abuse.FloodBrakes({"POSTS_PER_DRAFT_PER_MINUTE": 60, "POSTS_PER_DRAFT_BURST": 5})
    assert not [name for name, value in vars(brakes).items() if isinstance(value, abuse.TokenBucket)]
