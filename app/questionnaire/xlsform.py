"""Read a questionnaire written as an XLSForm spreadsheet (.xlsx) into the model (model.py).

The supported subset and the extra columns are described in docs/survey-owners.md ("Writing a survey as an
XLSForm"). Everything outside it is an error, never silently ignored, and a missing translation is an
error, never a fall-back to another language. Every problem names its sheet, row and column, and all
of them are collected, so a survey owner fixes the whole file in one round.

The survey's languages are the ones its file has (any of those the service has catalogues for), its
default first; a file with plain `label`, `hint`... columns is in one language, its default. A plain
XLSForm runs as it is: our extra columns, `start_title`, `purpose` and `minutes` are all optional.

pyxform (ODK's converter) is not used to read: it accepts the whole of XLSForm, which we would then
have to refuse piece by piece from its output; that output has lost the rows a message must name; its
`relevant` stays XPath text for ODK's JavaScript engine; and our extra columns do not survive it. The
tests use pyxform to prove the shipped file is a real XLSForm that ODK and KoboToolbox can open.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale

from app.questionnaire.conditions import AnyOf, Condition, ConditionError, Equals, Selected, parse
from app.questionnaire import export_names
from app.questionnaire.characters import refused
from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire, ShownIf, Text
from app.questionnaire.xlsx_file import SurveyFileError, read_sheets
from app.questionnaire.xlsform_columns import (
    CHOICES_COLUMNS,
    CHOICES_TRANSLATED,
    GROUP_LIST,
    MAX_HEADER,
    SETTINGS_COLUMNS,
    SETTINGS_TRANSLATED,
    SHEETS,
    SURVEY_COLUMNS,
    SURVEY_TRANSLATED,
    TRANSLATED_HEADER,
    cell_text as _text,
    file_languages,
    translated_headers,
    language_column,
)

TYPES = "select_one LIST, select_multiple LIST, text, note, begin_group, end_group"
YES = {"yes", "true", "true()", "1"}
NO = {"no", "false", "false()", "0", ""}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
CODE = re.compile(r"[A-Za-z0-9_.-]+")
LENGTH_LIMIT = re.compile(r"string-length\(\s*\.\s*\)\s*<=\s*(\d+)")
MAX_TEXT = 5_000  # characters in a cell; the shipped file's longest is under 1,000
MAX_LENGTH_LIMIT = 100_000  # the biggest N in string-length(.) <= N
# The estimate when a file gives no `minutes`: the shipped survey, timed by its owner at 10 minutes for
# 24 questions, takes about 2.4 questions a minute; 3 a minute is the nearest round rule (8 minutes).
QUESTIONS_A_MINUTE = 3


@dataclass
class Sheet:
    """One sheet's rows as {column: text}, numbered as a spreadsheet program shows them."""

    name: str
    rows: list[tuple[int, dict[str, str]]]
    plain: set[str]  # columns without a language
    translated: dict[str, set[str]]  # base column -> language codes present
    headings: dict[str, str] = field(default_factory=dict)  # "label::pl" -> the heading as written


@dataclass
class _Reader:
    languages: tuple[str, ...]  # the file's, its default first (file_languages)
    service: list[str]  # every language the service can show
    single: bool  # the file has no language column: plain label, hint... are its one language
    names: dict[str, str] = field(default_factory=dict)  # language code -> its name in the file's headings
    problems: list[str] = field(default_factory=list)
    texts: dict = field(default_factory=dict)  # one Text object per distinct text
    option_rows: dict = field(default_factory=dict)  # Option -> its choices row
    question_rows: list = field(default_factory=list)  # (Question, its survey row)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def column_name(self, base: str, code: str) -> str:
        """A translated column as a message names it: label::Urdu (ur), or plain label in a one-language file."""
        if self.single:
            return base
        return f"{base}::{self.names[code]} ({code})" if code in self.names else language_column(base, code)

    def available(self) -> str:
        """The languages the service can show, as a column heading names them: English (en), Polish (pl)..."""
        return ", ".join(f"{Locale.parse(code).english_name} ({code})" for code in self.service)

    def problem(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        where = sheet + (f" row {row}" if row else "") + (f", column {column}" if column else "")
        self.problems.append(f"{where}: {message}")

    def cell(self, sheet: str, row: int, heading: str | None, value, shown: bool = False) -> str:
        """A cell's text; a problem when it holds a refused character, and "" too when it is too long
        (the text goes on, so a refused character is one problem, not a second "missing" one).
        `shown`: a translated column, whose text a page shows (line breaks allowed)."""
        text = _text(value)
        limit = MAX_TEXT if heading else MAX_HEADER
        character = refused(text, line_breaks=shown)
        if len(text) > limit:
            self.problem(sheet, row, heading, f"the text is longer than {limit:,} characters")
        elif character == "U+000A control character":
            self.problem(sheet, row, heading, "a line break is only allowed in texts a page shows (labels, hints, titles)")
        elif character:
            self.problem(sheet, row, heading, f"the text holds the invisible control character {character}; delete it")
            return text
        else:
            return text
        return ""

    def sheet(self, sheets: dict[str, list[tuple]], name: str, plain: set[str], translated: set[str], required: set[str]) -> Sheet | None:
        if name not in sheets:
            self.problem(name, None, None, f"the file has no sheet named {name!r}")
            return None
        rows = iter(sheets[name])
        header = [self.cell(name, 1, None, cell) for cell in next(rows, ())]
        columns: list[str | None] = []
        result = Sheet(name, [], set(), {})
        for heading in header:
            columns.append(heading or None)
            if not heading:
                continue
            match = TRANSLATED_HEADER.fullmatch(heading)
            if match and match[1] in translated:
                if match[3] not in self.service:
                    self.problem(name, None, heading, f"{match[3]!r} is not a language of this service; it can show {self.available()}")
                else:
                    result.translated.setdefault(match[1], set()).add(match[3])
                columns[-1] = f"{match[1]}::{match[3]}"
            elif heading in plain:
                result.plain.add(heading)
            elif heading in translated and self.single:  # a one-language file: its default language
                result.translated.setdefault(heading, set()).add(self.default_language)
                columns[-1] = f"{heading}::{self.default_language}"
            elif heading in translated or heading.split("::")[0] in translated:
                example = language_column(heading.split("::")[0], self.default_language)
                self.problem(name, None, heading, f"give one column per language, e.g. {example}")
            else:
                self.problem(name, None, heading, "this column is not part of the supported XLSForm subset")
            result.headings[columns[-1]] = heading
        for base in sorted(required | set(result.translated)):
            for code in self.languages:
                if code not in result.translated.get(base, ()):
                    self.problem(name, None, None, f"no column {self.column_name(base, code)}")
        shown = {f"{base}::{code}" for base, codes in result.translated.items() for code in codes}
        for number, values in enumerate(rows, start=2):
            row = {column: self.cell(name, number, result.headings[column], value, column in shown)
                   for column, value in zip(columns, values) if column}
            if any(row.values()):
                result.rows.append((number, row))
        return result

    def translation(self, sheet: Sheet, number: int, row: dict, base: str, required: bool) -> Text | None:
        """The text of a translated column in every language, or None when the row has none."""
        if base not in sheet.translated:
            return None  # a required column missing altogether is reported once for the sheet
        given = {code: row.get(f"{base}::{code}", "") for code in self.languages}
        if not required and not any(given.values()):
            return None
        for code, value in given.items():
            if not value and code in sheet.translated[base]:
                self.problem(sheet.name, number, None, f"no {sheet.headings[f'{base}::{code}']}")
        key = (tuple(given.items()), self.default_language)
        return self.texts.setdefault(key, Text(*key))

    def flag(self, sheet: str, number: int, row: dict, column: str) -> bool:
        value = row.get(column, "").lower()
        if value not in YES | NO:
            self.problem(sheet, number, column, f"{row[column]!r} is not yes or no")
        return value in YES


def _settings(reader: _Reader, sheet: Sheet) -> dict:
    if len(sheet.rows) != 1:
        reader.problem("settings", None, None, "the settings sheet needs exactly one row under its headings")
        return {}
    number, row = sheet.rows[0]
    language = row.get("default_language", "")
    match = re.fullmatch(r".*?\(([A-Za-z-]+)\)\s*", language)
    if language and (not match or match[1] not in reader.service):
        reader.problem("settings", number, "default_language", f"{language!r} is not a language of this service, e.g. English (en); it can show {reader.available()}")
    elif language and match[1] != reader.default_language:  # file_languages takes it when the file has it
        having = ", ".join(f"{reader.names.get(code, code)} ({code})" for code in reader.languages)
        reader.problem("settings", number, "default_language", f"{language!r} is not a language of this file, which has {having}")
    if not row.get("version"):
        reader.problem("settings", number, "version", "the questionnaire needs a version (it is recorded with every response)")
    elif len(row["version"]) > 32:  # the width of the version columns in the database
        reader.problem("settings", number, "version", "the version can be at most 32 characters long")
    minutes = row.get("minutes", "")
    # Digits 0-9 only: str.isdigit() also takes "²", which int() refuses.
    whole = re.fullmatch(r"[0-9]{1,3}", minutes) is not None and int(minutes) >= 1
    if minutes and not whole:
        reader.problem("settings", number, "minutes", "say how many minutes the survey takes, as a whole number")
    title = reader.translation(sheet, number, row, "start_title", required=False)
    if title is None and row.get("form_title"):  # XLSForm's own title, one text for every language
        key = (tuple((code, row["form_title"]) for code in reader.languages), reader.default_language)
        title = reader.texts.setdefault(key, Text(*key))
    elif title is None:
        reader.problem("settings", number, "form_title", "the survey needs a title for its start page: a form_title, or a start_title in each language")
    return {
        "version": row.get("version", ""),
        "title": title,
        "purpose": reader.translation(sheet, number, row, "purpose", required=False),
        "minutes": int(minutes) if whole else 0,  # 0: estimated from the questions (read_xlsform)
    }


def _choices(reader: _Reader, sheet: Sheet) -> dict[str, list[Option]]:
    rows_by_list: dict[str, list[tuple[int, dict]]] = {}
    for number, row in sheet.rows:
        if not row.get("list_name"):
            reader.problem("choices", number, "list_name", "every choice needs a list_name")
            continue
        rows_by_list.setdefault(row["list_name"], []).append((number, row))
    headings = {}
    for number, row in rows_by_list.pop(GROUP_LIST, []):
        headings[row.get("name", "")] = reader.translation(sheet, number, row, "label", required=True)
    lists: dict[str, list[Option]] = {}
    for list_name, rows in rows_by_list.items():
        options: list[Option] = []
        for number, row in rows:
            code = row.get("name", "")
            if not CODE.fullmatch(code):
                reader.problem("choices", number, "name", f"{code!r} is not a usable option name (letters, digits, _ . -; no spaces)")
            elif any(option.code == code for option in options):
                reader.problem("choices", number, "name", f"{code!r} is already an option of list {list_name!r}")
            group = row.get("option_group", "")
            if group and group not in headings:
                reader.problem("choices", number, "option_group", f"{group!r} is not a choice of list {GROUP_LIST!r}, which holds the group headings")
            label = reader.translation(sheet, number, row, "label", required=True)
            exclusive = reader.flag("choices", number, row, "exclusive")
            options.append(Option(code, label, exclusive=exclusive, group=headings.get(group)))
            reader.option_rows[options[-1]] = number
        lists[list_name] = options
    return lists


@dataclass
class _Group:
    number: int
    row: dict
    questions: list = field(default_factory=list)
    intro: Text | None = None


def _survey(reader: _Reader, sheet: Sheet, lists: dict[str, list[Option]]) -> list[Page]:
    pages: list[Page] = []
    names: set[str] = set()
    group: _Group | None = None
    asked: dict[str, Question] = {}  # questions on earlier pages, by name
    page_names: set[str] = set()
    broken: set[str] = set()  # rows already reported as wrong: no second message for referring to them
    later = {row.get("name") for _, row in sheet.rows}

    def name_of(number: int, row: dict) -> str:
        name = row.get("name", "")
        if not NAME.fullmatch(name):
            reader.problem("survey", number, "name", f"{name!r} is not a usable name (a letter or _, then letters, digits, _ . -)")
        elif name in names:
            reader.problem("survey", number, "name", f"{name!r} is already the name of another row")
        names.add(name)
        return name

    def condition(number: int, row: dict, same_page: Iterable[str] = ()) -> Condition | None:
        text = row.get("relevant", "")
        if not text:
            return None
        try:
            parsed = parse(text)
        except ConditionError as error:
            reader.problem("survey", number, "relevant", str(error))
            return None
        for leaf in parsed.leaves():
            ref = f"${{{leaf.question}}}"
            question = asked.get(leaf.question)
            if leaf.question in broken:
                continue
            if leaf.question in same_page:
                reader.problem("survey", number, "relevant", f"{ref} is on the same page; a condition can only look at earlier pages")
            elif question is None and leaf.question in names:
                reader.problem("survey", number, "relevant", f"{ref} is a group or a note, not a question")
            elif question is None:
                comes_later = leaf.question in later
                reader.problem("survey", number, "relevant", f"{ref} refers to a question that comes later" if comes_later else f"{ref} is not a question of this form")
            elif not question.has_choices:
                reader.problem("survey", number, "relevant", f"{ref} is a text question; conditions compare chosen options")
            elif question.option(leaf.code) is None:
                reader.problem("survey", number, "relevant", f"{leaf.code!r} is not an option of {ref}")
        return parsed

    def page_flags(number: int, row: dict) -> dict:
        return {
            "content_note": reader.flag("survey", number, row, "content_note"),
            "optional_section": reader.flag("survey", number, row, "optional_section"),
        }

    def refuse(number: int, row: dict, columns: Iterable[str], what: str, why: str = "") -> None:
        for column in columns:
            if row.get(column) or any(row.get(f"{column}::{code}") for code in reader.languages):
                reader.problem("survey", number, column, f"{what} cannot have a {column}{why}")

    for number, row in sheet.rows:
        kind = re.sub(r"\s+", " ", row.get("type", "")).replace("begin group", "begin_group").replace("end group", "end_group")
        if kind == "begin_group":
            if group:
                reader.problem("survey", number, "type", "a group inside a group is not supported: end the page first")
            if row.get("appearance") != "field-list":
                reader.problem("survey", number, "appearance", "a group is a page: its appearance must be field-list")
            refuse(number, row, ("hint", "summary_label", "required", "required_message", "constraint"), "a group")
            group = _Group(number, row)
            name_of(number, row)
            page_name = row.get("page_name", "")
            if page_name and (not NAME.fullmatch(page_name) or page_name in page_names):
                reader.problem("survey", number, "page_name", f"{page_name!r} is not a usable name, or names another page")
            page_names.add(page_name or row.get("name", ""))
            continue
        if kind == "end_group":
            if group is None:
                reader.problem("survey", number, "type", "end_group without a begin_group before it")
                continue
            if not group.questions:
                reader.problem("survey", group.number, "type", "this group has no questions")
            start = group.row
            gone = [q.id for q in group.questions]
            pages.append(_page(start.get("page_name") or start.get("name", ""), reader.translation(sheet, group.number, start, "label", True),
                               group.questions, _as_shown_if(condition(group.number, start, gone), asked),
                               intro=group.intro, **page_flags(group.number, start)))
            asked.update((q.id, q) for q in group.questions)
            group = None
            continue
        if kind == "note":
            refuse(number, row, ("hint", "summary_label", "required", "required_message", "relevant", "appearance", "constraint", "content_note", "optional_section", "page_name"), "a note")
            name_of(number, row)
            label = reader.translation(sheet, number, row, "label", True)
            if group is None:
                reader.problem("survey", number, "type", "a note must be inside a field-list group: it is the paragraph above the page's questions")
            elif group.questions or group.intro:
                reader.problem("survey", number, "type", "a page has one note, before its questions")
            else:
                group.intro = label
            continue
        question = _question(reader, sheet, number, row, kind, lists, name_of(number, row))
        if question is None:
            broken.add(row.get("name", ""))
            continue
        reader.question_rows.append((question, number))
        refuse(number, row, ("page_name",), "a question", " (only a group can)")
        if group is not None:
            refuse(number, row, ("relevant", "content_note", "optional_section"), "a question inside a group",
                   ": put it on the group, or give the question a page of its own")
            group.questions.append(question)
        else:
            if question.id in page_names:
                reader.problem("survey", number, "name", f"{question.id!r} is already the page_name of a group")
            page_names.add(question.id)
            pages.append(_page(question.id, question.text, [question], _as_shown_if(condition(number, row, [question.id]), asked), **page_flags(number, row)))
            asked[question.id] = question
    if group is not None:
        reader.problem("survey", group.number, "type", "this group has no end_group")
    if not sheet.rows:
        reader.problem("survey", None, None, "the form has no questions")
    for (where_sheet, where_row, where_column), message in export_names.problems(reader.question_rows, reader.option_rows):
        reader.problem(where_sheet, where_row, where_column, message)
    return pages


def _page(page_id, title, questions, conditions, intro=None, content_note=False, optional_section=False) -> Page:
    shown_if, condition = conditions
    return Page(page_id, title, tuple(questions), intro=intro, content_note=content_note,
                shown_if=shown_if, condition=condition, optional_section=optional_section)


def _question(reader: _Reader, sheet: Sheet, number: int, row: dict, kind: str, lists, name: str) -> Question | None:
    words = kind.split(" ")
    appearance = row.get("appearance", "")
    constraint = row.get("constraint", "")
    options: tuple[Option, ...] = ()
    max_length = 500
    if words[0] in ("select_one", "select_multiple") and len(words) == 2:
        if words[1] not in lists:
            reader.problem("survey", number, "type", f"list {words[1]!r} is not in choices")
        options = tuple(lists.get(words[1], ()))
        if words[0] == "select_multiple":
            question_kind = Kind.MULTIPLE
        else:
            question_kind = Kind.SCALE if appearance == "likert" else Kind.SINGLE
        if appearance not in ("", "likert") or (appearance and question_kind is Kind.MULTIPLE):
            reader.problem("survey", number, "appearance", f"{appearance!r} is not supported here (likert, on a select_one, makes a scale)")
        if constraint:
            reader.problem("survey", number, "constraint", "a choice question cannot have a constraint")
    elif kind == "text":
        question_kind = Kind.TEXT
        if appearance:
            reader.problem("survey", number, "appearance", f"{appearance!r} is not supported on a text question")
        limit = LENGTH_LIMIT.fullmatch(constraint)
        if constraint and not limit:
            reader.problem("survey", number, "constraint", f"{constraint!r} is not supported; the only constraint is string-length(.) <= N")
        elif limit and (len(limit[1]) > 6 or int(limit[1]) > MAX_LENGTH_LIMIT):  # int() of 5,000 digits raises
            reader.problem("survey", number, "constraint", f"the limit can be at most {MAX_LENGTH_LIMIT:,} characters")
        elif limit:
            max_length = int(limit[1])
    else:
        reader.problem("survey", number, "type", f"{kind!r} is not a supported type; the supported types are {TYPES}")
        return None
    return Question(
        name,
        reader.translation(sheet, number, row, "label", True),
        question_kind,
        options,
        hint=reader.translation(sheet, number, row, "hint", False),
        required=reader.flag("survey", number, row, "required"),
        max_length=max_length,
        summary_label=reader.translation(sheet, number, row, "summary_label", False),
        error=reader.translation(sheet, number, row, "required_message", False),
    )


def _as_shown_if(condition: Condition | None, asked: dict) -> tuple[tuple[ShownIf, ...], Condition | None]:
    """The plain "answer to q is any of these codes" form (ShownIf, which the codebook describes)
    when the condition says exactly that; otherwise the condition itself."""
    if condition is None:
        return (), None
    parts = condition.parts if isinstance(condition, AnyOf) else (condition,)
    if all(isinstance(part, Equals | Selected) for part in parts) and len({part.question for part in parts}) == 1:
        question = asked.get(parts[0].question)
        plain = all(
            isinstance(part, Selected) or (not part.negate and question and question.kind is not Kind.MULTIPLE)
            for part in parts
        )
        if plain:
            return (ShownIf(parts[0].question, tuple(part.code for part in parts)),), None
    return (), condition


def read_xlsform(source: str | Path | bytes, languages: Iterable[str]) -> Questionnaire:
    """The questionnaire in an XLSForm file (a path, or the bytes of an upload).

    Raises SurveyFileError listing every problem, each naming its sheet, row and column; a file that
    is not a readable spreadsheet (too big, not a zip, a zip bomb, bad XML) gives one problem. It never
    raises anything else for any file: safe for files from anyone (see xlsx_file.py for the limits).
    """
    sheets = read_sheets(source, SHEETS)
    service = list(languages)
    single = next(translated_headers(sheets), None) is None  # no column names a language
    names = {match[3]: match[2] for match in reversed(list(translated_headers(sheets)))}  # the first wins
    reader = _Reader(file_languages(sheets, service), service, single, names=names)
    for extra in [name for name in sheets if name not in SHEETS]:
        reader.problem(extra, None, None, "this sheet is not part of the supported XLSForm subset (survey, choices, settings)")
    settings = reader.sheet(sheets, "settings", SETTINGS_COLUMNS, SETTINGS_TRANSLATED, set())
    details = _settings(reader, settings) if settings else {}
    choices = reader.sheet(sheets, "choices", CHOICES_COLUMNS, CHOICES_TRANSLATED, {"label"})
    lists = _choices(reader, choices) if choices else {}
    survey = reader.sheet(sheets, "survey", SURVEY_COLUMNS, SURVEY_TRANSLATED, {"label"})
    pages = _survey(reader, survey, lists) if survey else []
    if reader.problems:
        raise SurveyFileError(reader.problems)
    if not details["minutes"]:
        details["minutes"] = estimated_minutes(sum(len(page.questions) for page in pages))
    return Questionnaire(pages=tuple(pages), languages=reader.languages, **details)


def estimated_minutes(questions: int) -> int:
    """How long a survey of this many questions takes, for a file that does not say (QUESTIONS_A_MINUTE)."""
    return max(1, math.ceil(questions / QUESTIONS_A_MINUTE))


def load(path: str | Path, languages: Iterable[str]) -> Questionnaire:
    """The questionnaire in an XLSForm file: read_xlsform, for a path."""
    return read_xlsform(path, languages)


def check(path: str | Path, languages: Iterable[str]) -> list[str]:
    """Every problem in the file; empty for a good one."""
    try:
        load(path, languages)
    except SurveyFileError as error:
        return error.problems
    return []
