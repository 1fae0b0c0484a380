"""The engine is plain functions: tested without HTTP."""

import pytest
from flask_babel import force_locale

from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire import engine
from app.questionnaire.model import Kind, Page, Question, Questionnaire
from tests.helpers import FULL_ANSWERS


def ids(pages):
    return [page.id for page in pages]


def test_branches_hidden_until_an_earlier_answer_matches():
    shown = ids(engine.visible_pages(Q, {}))
    for hidden in ("where", "reported", "why_not", "gender_self", "disability_impact"):
        assert hidden not in shown


def test_every_page_shown_with_the_full_answers():
    assert ids(engine.visible_pages(Q, FULL_ANSWERS)) == [page.id for page in Q.pages]


@pytest.mark.parametrize(
    "experiences, expect_follow_up",
    [(["none"], False), (["prefer_not_to_say"], False), (["followed"], True), (["online", "touched"], True)],
)
def test_follow_up_questions_only_for_people_it_happened_to(experiences, expect_follow_up):
    shown = ids(engine.visible_pages(Q, {"experiences": experiences}))
    assert ("where" in shown) is expect_follow_up
    assert ("reported" in shown) is expect_follow_up


@pytest.mark.parametrize("reported, asked_why", [("all", False), ("some", True), ("no", True), ("prefer_not_to_say", False)])
def test_why_not_reported(reported, asked_why):
    shown = ids(engine.visible_pages(Q, {"experiences": ["followed"], "reported": reported}))
    assert ("why_not" in shown) is asked_why


def test_a_condition_on_a_hidden_page_does_not_count():
    # "reported" is hidden when nothing happened, so its stale answer must not show "why_not".
    shown = ids(engine.visible_pages(Q, {"experiences": ["none"], "reported": "no"}))
    assert "why_not" not in shown


def test_answers_on_pages_that_branching_hides_are_dropped():
    answers = engine.record_page(Q, FULL_ANSWERS, Q.page("experiences"), {"experiences": ["none"]})
    for dropped in ("where", "reported", "why_not_reported"):
        assert dropped not in answers
    assert answers["experiences"] == ["none"]
    assert answers["safe_day_street"] == FULL_ANSWERS["safe_day_street"]


def answers_before(page_id: str, answers: dict) -> dict:
    """`answers`, keeping only the questions on pages before page_id."""
    index = [page.id for page in Q.pages].index(page_id)
    return {q.id: answers[q.id] for page in Q.pages[:index] for q in page.questions if q.id in answers}


def test_first_unanswered_and_which_pages_can_be_visited():
    assert engine.first_unanswered(Q, {}) is Q.pages[0]
    assert engine.place(Q, Q.pages[0], {}) is not None
    assert engine.place(Q, Q.pages[1], {}) is None  # page 1 not answered yet
    assert engine.first_unanswered(Q, FULL_ANSWERS) is None
    assert engine.place(Q, Q.pages[-1], FULL_ANSWERS) is not None


def test_hidden_page_cannot_be_visited():
    answers = {k: v for k, v in FULL_ANSWERS.items()}
    answers["experiences"] = ["none"]
    assert engine.place(Q, Q.page("where"), engine.prune(Q, answers)) is None


def test_place_counts_only_visible_pages():
    # Nothing happened: "where", "reported" and "why_not" are hidden; pages whose condition is not
    # answered yet ("gender_self", "disability_impact") are not counted either.
    nothing_happened = answers_before("changed_behaviour", {**FULL_ANSWERS, "experiences": ["none"]})
    here = engine.place(Q, Q.page("changed_behaviour"), nothing_happened)
    assert (here.number, here.total) == (4, len(Q.pages) - 5)
    here = engine.place(Q, Q.page("changed_behaviour"), FULL_ANSWERS)
    assert (here.number, here.total) == (7, len(Q.pages))


def test_next_and_previous_follow_branching():
    few = answers_before("changed_behaviour", {**FULL_ANSWERS, "experiences": ["none"]})
    assert engine.place(Q, Q.page("experiences"), few).next.id == "changed_behaviour"
    assert engine.place(Q, Q.page("changed_behaviour"), few).previous.id == "experiences"
    assert engine.place(Q, Q.pages[0], few).previous is None
    assert engine.place(Q, Q.pages[-1], FULL_ANSWERS).next is None
    with_where = answers_before("where", FULL_ANSWERS)
    assert engine.place(Q, Q.page("experiences"), with_where).next.id == "where"


def test_answer_rows_one_per_chosen_option_none_for_blanks():
    answers = dict(FULL_ANSWERS, difference_text="", area="")
    rows = engine.answer_rows(Q, answers)
    assert ("experiences", "comments") in rows and ("experiences", "followed") in rows
    assert not any(qid in ("difference_text", "area") for qid, _ in rows)
    assert len(rows) == len(set(rows))


def test_answer_labels(app):
    question = Q.questions["experiences"]
    with app.test_request_context(), force_locale("en"):
        assert [str(label) for label in engine.answer_labels(question, ["followed"])] == ["Being followed"]
        assert engine.answer_labels(Q.questions["difference_text"], "") == []


def test_page_numbers_are_stable_positions():
    for number, page in enumerate(Q.pages, start=1):
        assert engine.page_number(Q, page) == number
        assert engine.page_by_number(Q, number) is page
    assert engine.page_by_number(Q, 0) is None
    assert engine.page_by_number(Q, len(Q.pages) + 1) is None


def test_question_ids_must_be_unique():
    question = Question("same", "Same?", Kind.TEXT, required=False)
    with pytest.raises(ValueError):
        Questionnaire("x", "t", "p", (Page("a", "A", (question,)), Page("b", "B", (question,))), minutes=1)


@pytest.mark.parametrize("depends_on", ["later", "missing", "own"])
def test_a_page_may_only_depend_on_an_earlier_question(depends_on):
    from app.questionnaire.model import Option, ShownIf

    def page(page_id, question_id, shown_if=()):
        options = (Option("yes", "Yes"), Option("prefer_not_to_say", "Prefer not to say"))
        return Page(page_id, page_id, (Question(question_id, "?", Kind.SINGLE, options),), shown_if=shown_if)

    condition = (ShownIf({"later": "q3", "missing": "nowhere", "own": "q2"}[depends_on], ("yes",)),)
    with pytest.raises(ValueError):
        Questionnaire("x", "t", "p", (page("a", "q1"), page("b", "q2", condition), page("c", "q3")), minutes=1)


def test_the_default_questionnaire_is_well_formed():
    assert 12 <= len(Q.pages) <= 20
    known = set()
    for page in Q.pages:
        for condition in page.shown_if:
            assert condition.question in known, f"{page.id} depends on a later question"
            assert all(Q.questions[condition.question].option(code) for code in condition.codes)
        for question in page.questions:
            known.add(question.id)
            codes = [option.code for option in question.options]
            assert len(codes) == len(set(codes)), question.id
            if question.has_choices:
                assert "prefer_not_to_say" in codes, f"{question.id} has no 'Prefer not to say'"
