"""The building blocks of a questionnaire: small frozen dataclasses holding lazily translated text.

They compare and hash by identity (eq=False): each page or question is one object for the life of
the process.

Texts are `Text` (xlsform.py reads them from the spreadsheet, which carries every translation the survey
has), or plain strings in questionnaires built by hand (tests).
"""

from dataclasses import dataclass, field
from enum import Enum

from flask_babel import get_locale
from markupsafe import escape

from app.questionnaire.conditions import Condition


@dataclass(frozen=True)
class Text:
    """One text in every language of the survey, shown in the language of the current request.

    Outside a request (the command line) it is the default language's; `in_language` picks one. A
    language the survey does not have gets the default language's text: staff pages and exports ask
    for English, and a survey written only in Polish answers in Polish.
    Equal texts compare equal, so options of one group share a fieldset.
    """

    translations: tuple[tuple[str, str], ...]  # (language code, text), every language of the survey
    default_language: str = "en"

    def in_language(self, language: str) -> str:
        texts = dict(self.translations)
        return texts.get(language, texts[self.default_language])

    def __str__(self) -> str:
        try:
            locale = get_locale()
        except RuntimeError:  # an app context without a request: nothing chose a language
            locale = None
        return self.in_language(locale.language if locale else self.default_language)

    def __html__(self) -> str:
        return str(escape(str(self)))


class Kind(str, Enum):
    SINGLE = "single"  # choose one option (radios)
    MULTIPLE = "multiple"  # choose any options; some options may be exclusive
    SCALE = "scale"  # choose one point of an ordered scale (radios laid out in a row)
    TEXT = "text"  # short free text with a length limit


@dataclass(frozen=True, eq=False)
class Option:
    code: str  # stable: stored and exported; never change the meaning of a code once live
    label: object  # Text
    exclusive: bool = False  # "none of these" / "prefer not to say": cannot be combined
    group: object | None = None  # heading for a group of options (e.g. ethnic groups)


@dataclass(frozen=True, eq=False)
class ShownIf:
    """Show a page only when an earlier answer to `question` contains any of `codes`."""

    question: str
    codes: tuple[str, ...]

    def matches(self, answers: dict) -> bool:
        given = answers.get(self.question)
        given = given if isinstance(given, list) else [given]
        return any(code in given for code in self.codes)


@dataclass(frozen=True, eq=False)
class Question:
    id: str  # stable: stored, exported and used as the form field name
    text: object
    kind: Kind
    options: tuple[Option, ...] = ()
    hint: object | None = None
    required: bool = True
    max_length: int = 500  # for TEXT questions
    summary_label: object | None = None  # shorter wording for "Check your answers" and summaries
    # What to say when a required question is left unanswered: which question, and what to do.
    error: object | None = None

    def option(self, code: str) -> Option | None:
        return next((option for option in self.options if option.code == code), None)

    @property
    def has_choices(self) -> bool:
        return self.kind is not Kind.TEXT


@dataclass(frozen=True, eq=False)
class Page:
    id: str  # stable; never shown in a URL (URLs carry only the step number)
    title: object  # the page heading; the legend itself on single-question pages
    questions: tuple[Question, ...]
    intro: object | None = None  # a paragraph above the questions
    content_note: bool = False  # show the content note and help contacts first
    shown_if: tuple[ShownIf, ...] = ()  # all must match
    condition: Condition | None = None  # a `relevant` expression (conditions.py); must hold too
    optional_section: bool = False  # "about you": say the questions are optional and why


@dataclass(frozen=True, eq=False)
class Questionnaire:
    version: str  # recorded with every response; bump it when questions change
    title: object  # the start page heading
    purpose: object | None  # the start page's first paragraph: who asks, and why (none: no paragraph)
    pages: tuple[Page, ...]
    minutes: int  # how long it takes, said on the start page
    # The languages a respondent can choose, the default first: the ones its file has texts in.
    languages: tuple[str, ...] = ("en",)
    questions: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        by_id = {q.id: q for page in self.pages for q in page.questions}
        if len(by_id) != sum(len(page.questions) for page in self.pages):
            raise ValueError("question ids must be unique")
        object.__setattr__(self, "questions", by_id)
        asked: set[str] = set()
        for page in self.pages:
            needed = {c.question for c in page.shown_if}
            if page.condition:
                needed.update(leaf.question for leaf in page.condition.leaves())
            if not needed <= asked:
                raise ValueError(f"page {page.id!r} depends on a question that is not on an earlier page")
            asked.update(q.id for q in page.questions)

    def page(self, page_id: str) -> Page | None:
        return next((page for page in self.pages if page.id == page_id), None)
