"""The engine that walks a questionnaire: plain functions over (questionnaire, answers).

`answers` maps question id to an option code (single choice, scale), a list of codes (multiple
choice) or a string (free text). An optional question left blank is stored as "" or [] so that its
page counts as visited.
"""

from dataclasses import dataclass

from app.questionnaire.model import Kind, Page, Question, Questionnaire


def visible_pages(questionnaire: Questionnaire, answers: dict) -> list[Page]:
    """The pages this respondent sees, in order. Conditions only see answers on pages still shown."""
    shown: list[Page] = []
    hidden: set[str] = set()  # questions on pages not shown; conditions only look back (model.py)
    for page in questionnaire.pages:
        if all(c.question not in hidden and c.matches(answers) for c in page.shown_if) and (
            page.condition is None or page.condition.holds(answers, hidden)
        ):
            shown.append(page)
        else:
            hidden.update(q.id for q in page.questions)
    return shown


def prune(questionnaire: Questionnaire, answers: dict) -> dict:
    """Drop answers to questions that branching now hides (or that no longer exist)."""
    kept = {q.id for page in visible_pages(questionnaire, answers) for q in page.questions}
    return {qid: value for qid, value in answers.items() if qid in kept}


def known_answers(questionnaire: Questionnaire, answers: dict) -> dict:
    """The answers that are still answers to this questionnaire: a draft begun under an earlier version
    loses its answers to questions, and its choices of options, that the current version no longer has.

    Why at every load, and no version kept with the draft: for a draft of the current version this
    changes nothing, so checking costs less than recording and migrating a version, and a draft of
    any earlier version is made current the same way. A single choice of a removed option, a multiple
    choice left with none of its options, or an answer of the wrong kind (a question that changed
    kind) is dropped, so its page is asked again, and so is a question skipped while it was optional
    that is now required; every other answer stays.
    """
    kept = {}
    for question_id, value in answers.items():
        question = questionnaire.questions.get(question_id)
        if question is None:
            continue
        if question.kind is Kind.TEXT:
            if isinstance(value, str):
                kept[question_id] = value
        elif question.kind is Kind.MULTIPLE:
            if isinstance(value, list):
                chosen = [code for code in value if question.option(code) is not None]
                if chosen or not (value or question.required):  # [] is "none chosen" on an optional question
                    kept[question_id] = chosen
        elif isinstance(value, str) and (question.option(value) or not (value or question.required)):
            kept[question_id] = value
    return kept


def is_answered(page: Page, answers: dict) -> bool:
    return all(question.id in answers for question in page.questions)


def first_unanswered(questionnaire: Questionnaire, answers: dict) -> Page | None:
    """The first page still to answer; None when the respondent can check their answers."""
    return next(
        (page for page in visible_pages(questionnaire, answers) if not is_answered(page, answers)),
        None,
    )


def page_number(questionnaire: Questionnaire, page: Page) -> int:
    """A page's stable position (1-based) in the whole questionnaire: the number in its URL."""
    return questionnaire.pages.index(page) + 1


def page_by_number(questionnaire: Questionnaire, number: int) -> Page | None:
    if 1 <= number <= len(questionnaire.pages):
        return questionnaire.pages[number - 1]
    return None


@dataclass(frozen=True)
class Place:
    """Where a page sits among the pages one respondent sees."""

    number: int  # "Question number of total"
    total: int
    previous: Page | None
    next: Page | None


def place(questionnaire: Questionnaire, page: Page, answers: dict) -> Place | None:
    """The page's place for these answers; None when it may not be visited: branching hides it,
    or a page before it is still unanswered."""
    pages = visible_pages(questionnaire, answers)
    if page not in pages:
        return None
    index = pages.index(page)
    if not all(is_answered(earlier, answers) for earlier in pages[:index]):
        return None
    return Place(
        number=index + 1,
        total=len(pages),
        previous=pages[index - 1] if index > 0 else None,
        next=pages[index + 1] if index + 1 < len(pages) else None,
    )


def record_page(questionnaire: Questionnaire, answers: dict, page: Page, given: dict) -> dict:
    """Answers after saving one page: its questions replaced, then hidden answers dropped."""
    updated = dict(answers)
    for question in page.questions:
        updated[question.id] = given.get(question.id, [] if question.kind is Kind.MULTIPLE else "")
    return prune(questionnaire, updated)


def answer_rows(questionnaire: Questionnaire, answers: dict) -> list[tuple[str, str]]:
    """(question id, value) rows to store: a row per chosen option, none for a blank answer."""
    rows = []
    for page in visible_pages(questionnaire, answers):
        for question in page.questions:
            value = answers.get(question.id)
            values = value if isinstance(value, list) else [value]
            rows.extend((question.id, v) for v in values if v)
    return rows


def answer_labels(question: Question, value) -> list:
    """The lazily translated labels of an answer, for "Check your answers"; empty when skipped."""
    if question.kind is Kind.TEXT:
        return [value] if value else []
    codes = value if isinstance(value, list) else [value]
    return [option.label for option in question.options if option.code in codes]
