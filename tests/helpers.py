"""A scripted respondent: fills in pages the way a browser would, parsing forms from the HTML."""

from bs4 import BeautifulSoup

from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.engine import page_number


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def questionnaire_texts(questionnaire):
    """Every text of a questionnaire (its spreadsheet's cells as the app holds them)."""
    yield questionnaire.title
    yield questionnaire.purpose
    for page in questionnaire.pages:
        yield from (text for text in (page.title, page.intro) if text is not None)
        for question in page.questions:
            yield from (text for text in (question.text, question.hint, question.summary_label, question.error) if text is not None)
            for option in question.options:
                yield from (text for text in (option.label, option.group) if text is not None)


def question_url(page_id: str) -> str:
    return f"/question/{page_number(QUESTIONNAIRE, QUESTIONNAIRE.page(page_id))}"


# An answer for every question that takes the branches showing every page it can.
FULL_ANSWERS = {
    "safe_day_street": "very_safe",
    "safe_day_busy": "fairly_safe",
    "safe_day_park": "fairly_unsafe",
    "safe_dark_street": "fairly_unsafe",
    "safe_dark_busy": "very_unsafe",
    "safe_dark_park": "very_unsafe",
    "safe_dark_transport": "does_not_apply",
    "experiences": ["comments", "followed"],
    "where": ["street", "car_park"],
    "reported": "some",
    "why_not_reported": ["not_serious", "not_believed"],
    "changed_behaviour": ["avoided_places", "changed_route"],
    "unsafe_features": ["poor_lighting", "isolated"],
    "difference": ["lighting", "education"],
    "difference_text": "Better lit paths by the canal",
    "area": "coventry",
    "age": "25_34",
    "gender": "self_describe",
    "gender_self_described": "Genderfluid",
    "gender_same_as_birth": "prefer_not_to_say",
    "sexual_orientation": "bisexual",
    "ethnic_group": "asian_pakistani",
    "long_term_condition": "yes",
    "condition_reduces_activities": "a_little",
}


class Respondent:
    def __init__(self, client):
        self.client = client
        self.token = None

    def csrf(self, url: str = "/") -> str:
        if self.token is None:
            field = soup(self.client.get(url)).select_one("input[name=csrf_token]")
            self.token = field["value"]
        return self.token

    def start(self):
        return self.client.post("/start", data={"csrf_token": self.csrf()})

    def post(self, url: str, data: dict | None = None, **kwargs):
        body = {"csrf_token": self.csrf()}
        body.update(data or {})
        return self.client.post(url, data=body, **kwargs)

    def answer(self, page_id: str, answers: dict | None = None, query: str = ""):
        """Post the given answers (default: FULL_ANSWERS) for one page."""
        page = QUESTIONNAIRE.page(page_id)
        source = FULL_ANSWERS if answers is None else answers
        data = {q.id: source[q.id] for q in page.questions if q.id in source}
        return self.post(question_url(page_id) + query, data)

    def complete(self, answers: dict | None = None, language: str | None = None):
        """Walk from the start page to "Check your answers", following redirects; returns the last response."""
        if language:
            self.client.get(f"/?lang={language}")
        response = self.start()
        while response.status_code in (302, 303) and "/question/" in response.headers["Location"]:
            url = response.headers["Location"]
            number = int(url.rsplit("/", 1)[1].split("?")[0])
            page = QUESTIONNAIRE.pages[number - 1]
            response = self.answer(page.id, answers)
            assert response.status_code == 303, (page.id, response.status_code)
        return response

    def submit(self):
        return self.post("/check")


# The survey itself (its file and each version's questions), stored before anyone answers: its texts
# are nobody's input, and a word a test types ("nobody") may well be in them.
SURVEY_TABLES = {"survey_files", "questionnaire_versions"}


def stored_values(app) -> list[str]:
    """Every value in every table but the survey's own, as text, whichever database the app uses
    (SQLite or PostgreSQL)."""
    from sqlalchemy import inspect, text

    from app.extensions import db

    values = []
    with app.app_context():
        for table in inspect(db.engine).get_table_names():
            if table in SURVEY_TABLES:
                continue
            for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
                values.extend(str(value) for value in row)
        db.session.remove()
    return values


def release_today(app) -> int:
    """Release everything held for today (whatever the minimum), as `responses release --below-minimum` would tomorrow."""
    from datetime import timedelta

    from app.extensions import db
    from app.survey.release import release_ended_days
    from app.survey.state import today_london

    with app.app_context():
        released = release_ended_days(today_london() + timedelta(days=1))
        db.session.remove()
    return released


def page_and_statements(app, client, url) -> tuple[list[tuple[str, str]], str]:
    """GET a page that must answer 200: ((SQL statement, its parameters) for every query it ran, the
    page's main part without its CSRF tokens, which differ each time)."""
    from sqlalchemy import event

    from app.extensions import db

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, repr(parameters)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    page = soup(response)
    for token in page.select("input[name=csrf_token]"):
        token.decompose()
    return seen, str(page.main)
