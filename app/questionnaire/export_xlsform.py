"""Write a questionnaire of the model as an XLSForm (.xlsx) that xlsform.py reads back unchanged.

Made for `flask survey export-default`: it turns the questionnaire written in Python (default.py),
with its translations from the gettext catalogues, into the shipped spreadsheet. Every page becomes a
field-list group, so page names and headings survive the round trip.
"""

import re
from pathlib import Path

from babel.messages.pofile import read_po
from openpyxl import Workbook

from app.questionnaire.model import Option, Page, Questionnaire
from app.questionnaire.review import condition_text, text_in
from app.questionnaire.xlsform import GROUP_LIST, language_column


class MissingTranslation(Exception):
    pass


class _Texts:
    """Texts in every language; a text left untranslated in a catalogue stops the export."""

    def __init__(self, languages: list[str], catalogue_dir: Path | None):
        self.languages = languages
        self.catalogues = {}
        for code in languages[1:]:
            path = catalogue_dir / code / "LC_MESSAGES" / "messages.po" if catalogue_dir else None
            if path and path.exists():
                with path.open("rb") as po:
                    self.catalogues[code] = read_po(po)

    def __call__(self, text) -> list[str]:
        english = text_in(text, self.languages[0])
        values = [english]
        for code in self.languages[1:]:
            value = text_in(text, code)
            # gettext falls back to the English msgid silently; the catalogue says if that was meant.
            catalogue = self.catalogues.get(code)
            if value == english and catalogue is not None:
                message = catalogue.get(english)
                if message is None or not message.string or message.fuzzy:
                    raise MissingTranslation(f"no {code} translation of {english!r}; translate it and run make translations")
            values.append(value)
        return values


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "group"


def group_name(questionnaire: Questionnaire, page: Page) -> str:
    """The group's name in the spreadsheet: XLSForm names are unique across the form, so a page named
    like a question (a page of one question, in default.py) is the group `<name>_page`, and its
    page_name column keeps the page's own name."""
    return f"{page.id}_page" if page.id in questionnaire.questions else page.id


def write(questionnaire: Questionnaire, path: str | Path, languages: list[str], catalogue_dir: Path | None = None) -> None:
    """Write the questionnaire; languages[0] is the default language."""
    texts = _Texts(languages, catalogue_dir)
    columns = lambda base: [language_column(base, code) for code in languages]  # noqa: E731
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", *columns("label"), *columns("hint"), "required", "relevant", "appearance",
                   "constraint", *columns("summary_label"), *columns("required_message"), "content_note", "optional_section", "page_name"])
    blank = [""] * len(languages)

    def survey_row(kind, name, label, hint=None, required="", relevant="", appearance="", constraint="",
                   summary=None, error=None, content_note="", optional="", page_name=""):
        survey.append([kind, name, *texts(label), *(texts(hint) if hint else blank), required, relevant,
                       appearance, constraint, *(texts(summary) if summary else blank), *(texts(error) if error else blank), content_note, optional,
                       page_name])

    lists: dict[tuple, str] = {}  # the rows of a list -> its name, so equal lists are written once
    list_rows: list[list] = []
    groups: dict[tuple, str] = {}

    def option_rows(options: tuple[Option, ...]) -> list[list]:
        rows = []
        for option in options:
            group = ""
            if option.group is not None:
                heading = tuple(texts(option.group))
                group = groups.setdefault(heading, _slug(heading[0]))
            rows.append([option.code, *texts(option.label), "yes" if option.exclusive else "", group])
        return rows

    for page in questionnaire.pages:
        yes = lambda flag: "yes" if flag else ""  # noqa: E731
        name = group_name(questionnaire, page)
        survey_row("begin_group", name, page.title, relevant=condition_text(questionnaire, page),
                   appearance="field-list", content_note=yes(page.content_note), optional=yes(page.optional_section),
                   page_name=page.id if name != page.id else "")
        if page.intro:
            survey_row("note", f"{page.id}_note", page.intro)
        for question in page.questions:
            required = "yes" if question.required else "no"
            if question.has_choices:
                rows = option_rows(question.options)
                key = tuple(tuple(row) for row in rows)
                if key not in lists:
                    lists[key] = question.id
                    list_rows.extend([question.id, *row] for row in rows)
                kind = f"select_multiple {lists[key]}" if question.kind.value == "multiple" else f"select_one {lists[key]}"
                survey_row(kind, question.id, question.text, question.hint, required,
                           appearance="likert" if question.kind.value == "scale" else "", summary=question.summary_label,
                           error=question.error)
            else:
                survey_row("text", question.id, question.text, question.hint, required,
                           constraint=f"string-length(.) <= {question.max_length}", summary=question.summary_label,
                           error=question.error)
        survey.append(["end_group"])

    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", *columns("label"), "exclusive", "option_group"])
    for row in list_rows:
        choices.append(row)
    for heading, name in groups.items():
        choices.append([GROUP_LIST, name, *heading, "", ""])

    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "version", "default_language", "minutes", *columns("start_title"), *columns("purpose")])
    settings.append([text_in(questionnaire.title, languages[0]), questionnaire.version,
                     language_column("", languages[0]).lstrip(":"), questionnaire.minutes,
                     *texts(questionnaire.title), *texts(questionnaire.purpose)])
    workbook.save(path)
