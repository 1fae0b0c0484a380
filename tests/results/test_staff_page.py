"""The editor's results page: who may use it, the choices it offers, its errors, publishing through
it, and the refusal of a second publication right after the first."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ResultsPublication
from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.model import Kind
from tests.helpers import soup
from tests.results.conftest import BREAKDOWN, TABLES, THRESHOLD, public_page, publish, responses, signed_in
from tests.staff.conftest import csrf_token

TWO_LANGUAGES = {"en": ("Your safety: what you told us", "We asked.\n\nWe are adding lighting."),
                 "pl": ("Twoje bezpieczeństwo: co nam powiedzieliście", "Zapytaliśmy.\n\nDodajemy oświetlenie.")}


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_viewers_and_analysts_may_not_open_or_post(app, survey_rows, role):
    client = signed_in(app, role)
    assert client.get("/staff/results").status_code == 403
    token = csrf_token(client, "/staff")
    response = client.post("/staff/results", data={"csrf_token": token, "questions": ["area"], "title_en": "x", "text_en": "y"})
    assert response.status_code == 403
    assert soup(response).h1.get_text() == "You do not have access to this page"
    with app.app_context():
        assert db.session.scalar(select(ResultsPublication.id)) is None


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_publish(app, survey_rows, role):
    client = signed_in(app, role)
    page = soup(client.get("/staff/results"))
    assert page.h1.get_text() == "Publish results"
    assert page.select_one("#current").get_text() == "Nothing is published yet: the public results page says so."
    assert page.select_one("#may-publish").get_text() == "You can publish now."
    response = publish(client)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/results?published=1"
    page = soup(client.get(response.headers["Location"]))
    assert page.select_one("#published[role=status]")
    assert page.select_one("#current").get_text().startswith("“Results”, published on ")
    assert f"by sam from {len(survey_rows)} responses" in page.select_one("#current").get_text()
    assert page.select_one("a[href='/results']")


def test_only_questions_with_options_are_offered(editor, survey_rows):
    page = soup(editor.get("/staff/results"))
    offered = [box["value"] for box in page.select("input[type=checkbox][name=questions]")]
    assert offered == [q.id for q in QUESTIONNAIRE.questions.values() if q.kind is not Kind.TEXT]
    by = [option["value"] for option in page.select("select[name=by_1] option")]
    assert by == [""] + [q.id for q in QUESTIONNAIRE.questions.values() if q.kind in (Kind.SINGLE, Kind.SCALE)]
    # A field for the title and one for the text in every language of the survey, typed in its direction.
    for code in QUESTIONNAIRE.languages:
        assert page.select_one(f"input[name=title_{code}][lang={code}]")
        assert page.select_one(f"textarea[name=text_{code}][lang={code}]")
    assert page.select_one("textarea[name=text_ur]")["dir"] == "rtl"


def test_the_done_when_of_the_issue(app, editor, rows, survey_rows):
    """Three tables and a breakdown, words in two languages: shown in both, and a second publication
    right after the first is refused, saying why."""
    assert publish(editor, TABLES, [BREAKDOWN], TWO_LANGUAGES).status_code == 303
    for language, (title, text) in TWO_LANGUAGES.items():
        page = public_page(editor, language)
        assert page.h1.get_text() == title
        assert [p.get_text() for p in page.select(".story p")] == text.split("\n\n")
        assert len(page.select("section.result table")) == 4
        figures = [td.get_text() for td in page.select("section.result td")]
        assert not [f for f in figures if f.replace(",", "").isdigit() and 0 < int(f.replace(",", "")) < THRESHOLD]

    response = publish(editor, TABLES, [BREAKDOWN], TWO_LANGUAGES)
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one(".error-summary a").get_text().startswith("Not published: fewer than 5 new responses")
    assert page.select_one(".error-summary a")["href"] == "#questions" and page.select_one("input#questions")
    assert page.select_one("#may-publish").get_text().startswith("Not yet: at least 5 new responses")
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ResultsPublication)) == 1

    rows(responses(THRESHOLD, seed=9, prefix="new"))
    assert soup(editor.get("/staff/results")).select_one("#may-publish").get_text() == "You can publish now."
    assert publish(editor, ["age"], [], TWO_LANGUAGES).status_code == 303
    assert len(public_page(editor).select("section.result table")) == 1


def test_the_audit_trail_keeps_the_choices_never_the_words(app, editor, survey_rows):
    publish(editor, TABLES, [BREAKDOWN], TWO_LANGUAGES)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "results_published")).one()
        assert event.actor == "sam"
        assert "lighting" not in str(event.details) and "oświetlenie" not in str(event.details)
    assert signed_in(app, "admin", "alex").get("/staff/audit").get_data(as_text=True).count(
        f"Published results from {len(survey_rows)} responses: 3 tables and 1 breakdowns") == 1


@pytest.mark.parametrize("questions, breakdown, texts, field, message", [
    ([], ("", ""), {"en": ("T", "W")}, "questions", "Choose at least one table or breakdown to publish"),
    (["difference_text"], ("", ""), {"en": ("T", "W")}, "questions", "Choose from the questions shown"),
    ([], ("area", ""), {"en": ("T", "W")}, "by_1", "Choose both questions of the breakdown, or neither"),
    ([], ("area", "area"), {"en": ("T", "W")}, "by_1", "Choose a different question to break down by"),
    ([], ("area", "experiences"), {"en": ("T", "W")}, "by_1", "Choose one of the questions shown"),
    (["area"], ("", ""), {"en": ("", "W")}, "title_en", "Enter a title in English"),
    (["area"], ("", ""), {"en": ("T", "  ")}, "text_en", "Enter what you did in English"),
    (["area"], ("", ""), {"en": ("T", "W"), "pl": ("Tytuł", "")}, "text_pl", "Enter what you did in Polish"),
    (["area"], ("", ""), {"en": ("T\u202eevil", "W")}, "title_en", "Remove the character U+202E RIGHT-TO-LEFT OVERRIDE"),
    (["area"], ("", ""), {"en": ("T\nT", "W")}, "title_en", "Remove the character U+000A"),
    (["area"], ("", ""), {"en": ("T" * 121, "W")}, "title_en", "A title is at most 120 characters"),
])
def test_mistakes_are_refused_and_linked_to_their_field(app, editor, survey_rows, questions, breakdown, texts, field, message):
    response = publish(editor, questions, [breakdown], texts)
    assert response.status_code == 400
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    link = next(a for a in page.select(".error-summary a") if a.get_text().startswith(message))
    assert link["href"] == f"#{field}" and page.select_one(f"#{field}")
    assert page.select_one(f"#{field}-error").get_text().endswith(link.get_text())
    with app.app_context():
        assert db.session.scalar(select(ResultsPublication.id)) is None


def test_urdu_and_bengali_text_keep_the_characters_they_need(app, editor, survey_rows):
    # ZWNJ (U+200C) shapes Urdu and Bengali letters; RLM (U+200F) places punctuation in Arabic script.
    texts = {"en": ("Results", "What we did."), "ur": ("نتائج\u200f", "ہم نے کیا\u200c۔"), "bn": ("ফলাফল", "র\u200c্যাব")}
    assert publish(editor, ["area"], [], texts).status_code == 303
    assert public_page(editor, "ur").h1.get_text() == "نتائج\u200f"
    assert public_page(editor, "bn").select_one(".story p").get_text() == "র\u200c্যাব"


def test_the_form_starts_from_what_is_published_now(editor, survey_rows):
    publish(editor, ["area", "age"], [BREAKDOWN], TWO_LANGUAGES)
    form = soup(editor.get("/staff/results")).select_one("main form")
    assert [box["value"] for box in form.select("input[name=questions][checked]")] == ["area", "age"]
    assert form.select_one("#question_1 option[selected]")["value"] == BREAKDOWN[0]
    assert form.select_one("#by_1 option[selected]")["value"] == BREAKDOWN[1]
    assert form.select_one("#question_2 option[selected]")["value"] == ""
    assert form.select_one("#title_pl")["value"] == TWO_LANGUAGES["pl"][0]
    assert form.select_one("#text_en").get_text() == TWO_LANGUAGES["en"][1]
    assert form.select_one("#title_ro")["value"] == ""


@pytest.mark.parametrize("pairs", [[("area", "age"), ("age", "area")], [("area", "age"), ("area", "age")]])
def test_a_breakdown_and_its_transpose_are_not_published_together(app, editor, survey_rows, pairs):
    """An outside review found that A by B and B by A, published together, hid different cells and
    gave seven small counts away when read together."""
    response = publish(editor, [], pairs)
    assert response.status_code == 400
    assert soup(response).select_one("#by_2-error").get_text().endswith("chosen already, this way round or the other")
    with app.app_context():
        assert db.session.scalar(select(ResultsPublication.id)) is None


def test_a_lowered_threshold_does_not_shorten_the_wait_for_the_next_publication(app, editor, survey_rows, rows):
    from app.results import snapshot

    assert publish(editor, ["area"], []).status_code == 303
    with app.app_context():
        last = snapshot.latest()
        assert last.threshold == 5
        assert not snapshot.may_publish(2, last)  # the setting lowered to 2: still 5 new responses needed
