"""Fixtures for published results: a set of responses with small counts in every table, editors and
other roles signed in, and publishing through the real staff form."""

import random
from collections import Counter
from datetime import date

import pytest

from app.surveys import live

from tests.helpers import soup
from tests.staff.conftest import csrf_token, make_user, rows, sign_in  # noqa: F401  (rows is a fixture)

THRESHOLD = 5
TABLES = ["area", "age", "experiences"]  # single choice, single choice, multiple choice
BREAKDOWN = ("safe_dark_street", "area")
SCALE = ["very_safe", "fairly_safe", "fairly_unsafe", "very_unsafe", "does_not_apply", "prefer_not_to_say"]


def responses(count: int = 240, seed: int = 23, prefix: str = "r", day: date = date(2026, 6, 8)):
    """Responses with a few rare answers (Walsall, 75 or over, "touched"), so every table has small
    counts to hide, and some questions skipped: [(id, day, language, version, answers)]."""
    chance = random.Random(seed)
    items = []
    for index in range(count):
        answers = []
        area = chance.choices(["birmingham", "coventry", "dudley", "walsall", "prefer_not_to_say"], [40, 25, 25, 2, 3])[0]
        if index % 17:  # some skip it
            answers.append(("area", area))
        age = chance.choices(["18_24", "25_34", "35_44", "75_over"], [30, 30, 30, 2])[0]
        answers.append(("age", age))
        for option, weight in (("comments", 50), ("followed", 30), ("touched", 2), ("none", 20)):
            if chance.randrange(100) < weight:
                answers.append(("experiences", option))
        answers.append(("safe_dark_street", chance.choices(SCALE, [20, 30, 25, 20, 1, 1])[0]))
        answers.append(("difference_text", f"free text {index}"))
        items.append((f"{prefix}{index:04}", day, "en", "v", answers))
    return items


def exact_counts(items) -> tuple[int, Counter, Counter]:
    """(responses, (question, value) -> responses, (q, value, by, by value) -> responses), counted here."""
    ones, pairs = Counter(), Counter()
    for *_, answers in items:
        for question, value in answers:
            ones[question, value] += 1
            for by, by_value in answers:
                pairs[question, value, by, by_value] += 1
    return len(items), ones, pairs


@pytest.fixture
def survey_rows(app, rows):  # noqa: F811
    items = responses()
    rows(items)
    return items


@pytest.fixture(autouse=True)
def live_survey_read(app):
    """Read (and so store) the live survey before any test writes: `rows` holds a write transaction
    while it counts, and a first read seeding the survey then would wait out SQLite's busy timeout."""
    with app.app_context():
        live.current(app)


def signed_in(app, role: str, username: str = "sam"):
    make_user(app, username, role=role)
    client = app.test_client()
    assert sign_in(client, username).status_code == 303
    return client


@pytest.fixture
def editor(app):
    return signed_in(app, "editor")


def publish(client, questions=TABLES, breakdowns=(BREAKDOWN,), texts=None):
    """Post the staff results form as an editor's browser would; returns the response."""
    texts = texts if texts is not None else {"en": ("Results", "What we did.")}
    data = {"csrf_token": csrf_token(client, "/staff/results"), "questions": list(questions)}
    for n, (question, by) in enumerate(breakdowns, start=1):
        data[f"question_{n}"], data[f"by_{n}"] = question, by
    for language, (title, text) in texts.items():
        data[f"title_{language}"], data[f"text_{language}"] = title, text
    return client.post("/staff/results", data=data)


def public_page(client, language: str = "en"):
    response = client.get(f"/results?lang={language}")
    assert response.status_code == 200, response.status_code
    return soup(response)
