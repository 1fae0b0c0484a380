"""The form an editor publishes results with: tables, breakdowns, and a title and "what we did" text
in each of the survey's languages (the default language's required). Plain text only: the public
page escapes it, so anything typed, HTML included, is shown as typed."""

from functools import cache

from babel import Locale
from flask_babel import lazy_gettext as _l
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from app.questionnaire.characters import normalise_line_breaks, refused
from app.results import snapshot
from app.staff.forms import Choice, StaffForm

BREAKDOWNS = 3  # rows of "question by question" on the form
TITLE_LENGTH = 120
TEXT_LENGTH = 5000


class Choices(Field):
    """Any of a fixed list of values (checkboxes). Our own field, so every message is ours."""

    def __init__(self, label=None, validators=None, choices=(), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.choices = list(choices)

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def _value(self):
        return self.data or []

    def pre_validate(self, form):
        offered = {value for value, _ in self.choices}
        if not set(self.data or []) <= offered:
            raise ValidationError(_l("Choose from the questions shown"))


def _plain(line_breaks: bool):
    """Letters, marks and punctuation of any script (ZWNJ and the direction marks that Urdu, Arabic,
    Bengali and Panjabi need are kept), and line breaks where paragraphs are allowed; no control
    or formatting characters, which could make the page read otherwise than it shows."""

    def check(form, field):
        if isinstance(field.data, str):
            field.data = normalise_line_breaks(field.data).strip()
            problem = refused(field.data, line_breaks)
            if problem:
                raise ValidationError(_l("Remove the character %(character)s", character=problem))

    return check


def language_name(code: str) -> str:
    return Locale.parse(code).get_display_name("en")


class ResultsFormBase(StaffForm):
    questions = Choices(_l("Tables to publish"))
    languages: tuple[str, ...] = ()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.questions.data and not any(self[f"question_{n}"].data for n in range(1, BREAKDOWNS + 1)):
            self.questions.errors = [*self.questions.errors, _l("Choose at least one table or breakdown to publish")]
            valid = False
        chosen: list[set] = []  # A by B, and B by A, hold the same cells: one of them only
        for n in range(1, BREAKDOWNS + 1):
            question, by = self[f"question_{n}"], self[f"by_{n}"]
            if bool(question.data) != bool(by.data):
                field = by if question.data else question
                field.errors = [*field.errors, _l("Choose both questions of the breakdown, or neither")]
                valid = False
            elif question.data and question.data == by.data:
                by.errors = [*by.errors, _l("Choose a different question to break down by")]
                valid = False
            elif question.data and {question.data, by.data} in chosen:
                by.errors = [*by.errors, _l("This breakdown is chosen already, this way round or the other")]
                valid = False
            if question.data and by.data:
                chosen.append({question.data, by.data})
        for index, language in enumerate(self.languages):
            title, text = self[f"title_{language}"], self[f"text_{language}"]
            name = language_name(language)
            if index == 0 or title.data or text.data:  # the default language, or a language begun
                if not title.data:
                    title.errors = [*title.errors, _l("Enter a title in %(language)s", language=name)]
                    valid = False
                if not text.data:
                    text.errors = [*text.errors, _l("Enter what you did in %(language)s", language=name)]
                    valid = False
        return valid

    def choice(self) -> snapshot.Choice:
        breakdowns = [(self[f"question_{n}"].data, self[f"by_{n}"].data) for n in range(1, BREAKDOWNS + 1)]
        texts = {
            language: {"title": self[f"title_{language}"].data, "text": self[f"text_{language}"].data}
            for language in self.languages
            if self[f"title_{language}"].data
        }
        return snapshot.Choice(list(self.questions.data), [pair for pair in breakdowns if pair[0]], texts)


@cache
def results_form_class(languages: tuple[str, ...]) -> type[ResultsFormBase]:
    """The form for a survey in these languages (the default first): a title and a text for each."""
    fields: dict = {"languages": languages}
    for n in range(1, BREAKDOWNS + 1):
        fields[f"question_{n}"] = Choice(_l("Question"), default="", message=_l("Choose one of the questions shown"))
        fields[f"by_{n}"] = Choice(_l("Broken down by"), default="", message=_l("Choose one of the questions shown"))
    for language in languages:
        name = language_name(language)
        fields[f"title_{language}"] = StringField(
            _l("Title in %(language)s", language=name),
            validators=[_plain(line_breaks=False), Length(max=TITLE_LENGTH, message=_l("A title is at most %(max)d characters"))],
        )
        fields[f"text_{language}"] = TextAreaField(
            _l("What you did, in %(language)s", language=name),
            validators=[_plain(line_breaks=True), Length(max=TEXT_LENGTH, message=_l("The text is at most %(max)d characters"))],
        )
    return type("ResultsForm", (ResultsFormBase,), fields)
