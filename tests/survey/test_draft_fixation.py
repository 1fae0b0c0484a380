"""Draft fixation: a session cookie planted in someone's browser must not let its planter follow
their answers. The draft moves to a new token with its first answer and whenever "Start" continues it."""

from tests.helpers import FULL_ANSWERS, Respondent, question_url, soup


def planted(app, answered_pages: int) -> tuple[Respondent, Respondent]:
    """The planter starts a draft (answering some pages), then copies their cookie into the victim's browser."""
    planter = Respondent(app.test_client())
    planter.start()
    for page_id in ("safe_day", "safe_dark")[:answered_pages]:
        assert planter.answer(page_id).status_code == 303
    victim = Respondent(app.test_client())
    victim.client.set_cookie("session", planter.client.get_cookie("session").value)
    return planter, victim


def planter_sees(planter: Respondent, url: str) -> str:
    return soup(planter.client.get(url, follow_redirects=True)).get_text(" ")


def test_start_does_not_continue_a_planted_draft_under_the_planted_token(app):
    planter, victim = planted(app, answered_pages=1)
    assert victim.start().status_code == 303
    assert victim.answer("safe_dark", {**FULL_ANSWERS, "safe_dark_street": "very_unsafe"}).status_code == 303
    seen = planter_sees(planter, question_url("safe_dark"))
    assert "Your answers were deleted" in seen  # the planted token reaches nothing any more
    assert "Check your answers" not in planter_sees(planter, "/check")


def test_a_planted_empty_draft_gets_a_new_token_with_the_first_answer(app):
    planter, victim = planted(app, answered_pages=0)
    # The victim never presses Start: they open a question page directly with the planted cookie.
    assert victim.answer("safe_day", {**FULL_ANSWERS, "safe_day_street": "very_unsafe"}).status_code == 303
    assert victim.answer("safe_dark").status_code == 303
    page = soup(planter.client.get(question_url("safe_day")))
    assert not page.select("input[name=safe_day_street][checked]")
    assert "Your answers were deleted" in page.get_text(" ")
    # The victim carries on, with the answer they gave.
    mine = soup(victim.client.get(question_url("safe_day")))
    assert mine.select_one("input[name=safe_day_street][checked]")["value"] == "very_unsafe"


def test_the_token_changes_on_the_first_answer_and_not_on_every_page(app):
    respondent = Respondent(app.test_client())
    respondent.start()
    started = respondent.client.get_cookie("session").value
    respondent.answer("safe_day")
    first = respondent.client.get_cookie("session").value
    respondent.answer("safe_dark")
    assert first != started
    with respondent.client.session_transaction() as session:
        after_second = session["draft"]
    respondent.answer("experiences")
    with respondent.client.session_transaction() as session:
        assert session["draft"] == after_second  # later pages keep it: a double tap still finds the draft


def test_using_the_old_token_in_the_moment_after_ends_the_draft_for_its_owner_and_shows_it(app):
    """The retired token works until the next save (for double taps). A planter who uses it then
    takes the draft over, which the owner sees at once: they cannot be followed unseen."""
    planter, victim = planted(app, answered_pages=0)
    victim.answer("safe_day", {**FULL_ANSWERS, "safe_day_street": "very_unsafe"})
    assert planter.client.get(question_url("safe_dark")).status_code == 200  # taken over
    assert "Your answers were deleted" in soup(victim.client.get(question_url("safe_dark"))).get_text(" ")


def test_a_double_tap_on_the_first_answer_keeps_the_answer(app):
    """The second request of a double tap carries the cookie the first one had; the browser keeps
    only the second response."""
    respondent = Respondent(app.test_client())
    respondent.start()
    before = respondent.client.get_cookie("session").value
    assert respondent.answer("safe_day", {**FULL_ANSWERS, "safe_day_street": "very_unsafe"}).status_code == 303
    twin = app.test_client()  # the browser as it was when the second tap left
    twin.set_cookie("session", before)
    again = twin.post(question_url("safe_day"), data={"csrf_token": respondent.token, **{
        q: {**FULL_ANSWERS, "safe_day_street": "very_unsafe"}[q] for q in ("safe_day_street", "safe_day_busy", "safe_day_park")}})
    assert again.status_code == 303 and again.headers["Location"] == question_url("safe_dark")
    page = soup(twin.get(question_url("safe_day")))
    assert page.select_one("input[name=safe_day_street][checked]")["value"] == "very_unsafe"
    twin_respondent = Respondent(twin)
    twin_respondent.token = respondent.token
    assert twin_respondent.answer("safe_dark").status_code == 303
    assert twin_respondent.complete().headers["Location"] == "/check"


def test_a_double_tap_on_continue_keeps_the_answers(app):
    respondent = Respondent(app.test_client())
    respondent.start()
    respondent.answer("safe_day")
    respondent.answer("safe_dark")
    before = respondent.client.get_cookie("session").value
    assert respondent.start().headers["Location"] == question_url("experiences")
    twin = app.test_client()
    twin.set_cookie("session", before)
    again = twin.post("/start", data={"csrf_token": respondent.token})
    assert again.headers["Location"] == question_url("experiences")  # not a new, empty draft
    assert twin.get(question_url("safe_dark")).status_code == 200
