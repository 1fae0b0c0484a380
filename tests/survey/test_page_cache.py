"""Question pages come from a per-process cache of rendered pages (app/survey/page_cache.py).

A cached page must be exactly what a fresh render would show, for every language and page state,
with each respondent's own CSRF token and answers; typed text and errors are never cached.
"""

import re

import pytest

from app.config import LANGUAGES
from app.survey import page_cache
from tests.helpers import FULL_ANSWERS, Respondent, question_url, soup

TOKEN = re.compile(r'name="csrf_token" value="[^"]+"')


def without_token(response) -> str:
    return TOKEN.sub('name="csrf_token" value=""', response.get_data(as_text=True))


def pages_seen(app, language: str) -> list[str]:
    """A respondent's pages: page 2 twice, page 1 with saved answers, and page 1 from "Change"."""
    client = app.test_client()
    respondent = Respondent(client)
    client.get(f"/?lang={language}")
    respondent.start()
    assert respondent.answer("safe_day").status_code == 303
    urls = [question_url("safe_dark"), question_url("safe_dark"), question_url("safe_day"),
            question_url("safe_day") + "?change=1", question_url("safe_dark") + f"?lang={language}"]
    responses = [client.get(url) for url in urls]
    assert all(response.status_code == 200 for response in responses)
    return [without_token(response) for response in responses]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_cached_pages_are_the_pages_a_fresh_render_shows(make_app, language):
    cached = make_app()
    fresh = make_app(PAGE_CACHE_SIZE=0)
    assert "page_cache" not in fresh.extensions
    seen_cached, seen_fresh = pages_seen(cached, language), pages_seen(fresh, language)
    assert seen_cached == seen_fresh
    assert seen_cached[0] == seen_cached[1]  # the second view of page 2 came from the cache
    # Page 2 with ?lang= is page 2: the query string is not part of the key.
    assert len(cached.extensions["page_cache"].entries) == 3


def test_each_respondent_gets_their_own_answers_and_a_token_that_works(app):
    first, second = Respondent(app.test_client()), Respondent(app.test_client())
    for respondent, answer in ((first, "very_safe"), (second, "very_unsafe")):
        respondent.start()
        respondent.answer("safe_day", {**FULL_ANSWERS, "safe_day_street": answer})
    for respondent, answer in ((first, "very_safe"), (second, "very_unsafe"), (first, "very_safe")):
        page = soup(respondent.client.get(question_url("safe_day")))
        assert page.select_one("input[name=safe_day_street][checked]")["value"] == answer
        token = page.select_one("input[name=csrf_token]")["value"]
        assert not token.startswith("csrf-slot")
        saved = respondent.client.post(question_url("safe_day"), data={"csrf_token": token, **{
            q: FULL_ANSWERS[q] for q in ("safe_day_busy", "safe_day_park")}, "safe_day_street": answer})
        assert saved.status_code == 303
    other_token = soup(second.client.get(question_url("safe_day"))).select_one("input[name=csrf_token]")["value"]
    refused = first.client.post(question_url("safe_day"), data={"csrf_token": other_token, "safe_day_street": "very_safe"})
    assert refused.status_code == 400


def test_typed_text_is_never_kept_in_the_cache(app, client, respondent):
    respondent.complete()
    typed = FULL_ANSWERS["difference_text"]
    page = client.get(question_url("difference_text"))
    assert typed in page.get_data(as_text=True)
    assert not any(typed in html for html in app.extensions["page_cache"].entries.values())


def test_a_page_with_errors_is_not_cached(app, client, respondent):
    respondent.start()
    assert respondent.answer("safe_day", {}).status_code == 200  # nothing chosen: errors
    assert not any("There is a problem" in html for html in app.extensions["page_cache"].entries.values())
    assert not soup(client.get(question_url("safe_day"))).select(".error-summary")


def test_the_cache_is_bounded(make_app):
    app = make_app(PAGE_CACHE_SIZE=2)
    client = app.test_client()
    Respondent(client).complete()
    for page_id in ("safe_day", "safe_dark", "experiences", "where"):
        assert client.get(question_url(page_id)).status_code == 200
    assert len(app.extensions["page_cache"].entries) == 2


def _tokens_a_minute_apart(app, monkeypatch) -> tuple[str, str, object]:
    """The CSRF token on page 1, then on the same page a minute later, and a post with the later one."""
    import itsdangerous.timed

    client = app.test_client()
    respondent = Respondent(client)
    respondent.start()
    first = soup(client.get(question_url("safe_day"))).select_one("input[name=csrf_token]")["value"]
    later = itsdangerous.timed.time.time() + 60
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    second = soup(client.get(question_url("safe_day"))).select_one("input[name=csrf_token]")["value"]
    page = {q: FULL_ANSWERS[q] for q in ("safe_day_street", "safe_day_busy", "safe_day_park")}
    return first, second, client.post(question_url("safe_day"), data={"csrf_token": second, **page})


def test_a_session_s_token_is_signed_once_and_still_accepted(app, monkeypatch):
    first, second, saved = _tokens_a_minute_apart(app, monkeypatch)
    assert first == second
    assert saved.status_code == 303


def test_tokens_are_signed_afresh_when_they_can_expire(make_app, monkeypatch):
    first, second, saved = _tokens_a_minute_apart(make_app(WTF_CSRF_TIME_LIMIT=3600), monkeypatch)
    assert first != second
    assert saved.status_code == 303


def test_query_strings_make_no_new_cache_entries_and_reach_no_page(app):
    respondent = Respondent(app.test_client())
    respondent.start()
    respondent.answer("safe_day")
    plain = without_token(respondent.client.get(question_url("safe_dark")))
    entries = len(app.extensions["page_cache"].entries)
    for index in range(50):
        junk = f"?q={index:04}{'x' * 3900}&utm_source=mail"
        page = respondent.client.get(question_url("safe_dark") + junk)
        assert page.status_code == 200
        assert without_token(page) == plain  # nothing of the query string is on the page
    assert len(app.extensions["page_cache"].entries) == entries


@pytest.mark.parametrize("slot", ["csrf-slot-7c1e0b5a9d", page_cache.CSRF_SLOT])
def test_no_query_string_can_move_the_csrf_token(app, slot):
    respondent = Respondent(app.test_client())
    respondent.start()
    respondent.answer("safe_day")
    for _ in range(2):  # rendered, then from the cache
        page = soup(respondent.client.get(question_url("safe_dark") + f"?{slot}=1&x={slot}"))
        token = page.select_one("input[name=csrf_token]")["value"]
        assert not token.startswith("csrf-slot")
        assert all(token not in link["href"] and "csrf-slot" not in link["href"] for link in page.select("a[href]"))
        sent = respondent.client.post(question_url("safe_dark"), data={"csrf_token": token, **{
            question: FULL_ANSWERS[question] for question in ("safe_dark_street", "safe_dark_busy", "safe_dark_park",
                                                              "safe_dark_transport")}})
        assert sent.status_code == 303


def test_the_same_choices_posted_in_another_order_share_one_cached_page(app):
    """Reordering (or repeating) the codes of a multiple choice must not make a new cache entry:
    one client could otherwise flush everyone's pages by posting every order of its choices."""
    pages = app.extensions["page_cache"]
    seen = []
    for posted in (["comments", "followed"], ["followed", "comments"], ["followed", "comments", "followed"]):
        respondent = Respondent(app.test_client())
        respondent.start()
        respondent.answer("safe_day")
        respondent.answer("safe_dark")
        assert respondent.answer("experiences", {"experiences": posted}).status_code == 303
        page = respondent.client.get(question_url("experiences"))
        assert page.status_code == 200
        checked = [box["value"] for box in soup(page).select("input[name=experiences][checked]")]
        assert sorted(checked) == ["comments", "followed"]
        seen.append(len(pages.entries))
    assert seen[0] == seen[1] == seen[2]


def test_multiple_choice_codes_are_saved_in_the_questionnaires_order_once_each(app):
    from app.extensions import db
    from app.models import Draft

    respondent = Respondent(app.test_client())
    respondent.start()
    respondent.answer("safe_day")
    respondent.answer("safe_dark")
    respondent.answer("experiences", {"experiences": ["followed", "comments", "followed"]})
    with app.app_context():
        (answers,) = db.session.scalars(db.select(Draft.answers)).all()
    assert answers["experiences"] == ["comments", "followed"]
