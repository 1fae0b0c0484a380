"""Small XLSForms built in the tests with openpyxl.

Rows are dicts. A translated column given without a language (label, hint, summary_label, start_title,
purpose, required_message) becomes one column per language of the service, with the language code appended
to the text ("Yes [ur]"); English keeps the text as given. A key with a language (label::Urdu (ur))
overrides one. `languages` picks the languages instead ({code: name in the heading}); with none, the
columns stay plain (label, hint): a one-language form.
"""

import copy

from babel import Locale
from openpyxl import Workbook

from app.config import LANGUAGES

TRANSLATED = ("label", "hint", "summary_label", "start_title", "purpose", "required_message")
EVERY_LANGUAGE = {code: Locale.parse(code).english_name for code in LANGUAGES}  # as language_column names them


def translated(text: str, code: str) -> str:
    return text if code == "en" else f"{text} [{code}]"


def _expand(row: dict, languages: dict[str, str]) -> dict:
    expanded = {}
    for key, value in row.items():
        if key in TRANSLATED and value is not None and not languages:
            expanded[key] = value
        elif key in TRANSLATED and value is not None:
            for code, name in languages.items():
                expanded[f"{key}::{name} ({code})"] = translated(value, code)
        else:
            expanded[key] = value
    for key, value in row.items():  # explicit language columns win over expanded ones
        if "::" in key:
            expanded[key] = value
    return expanded


def _sheet(workbook, name: str, rows: list[dict], drop: set[str], languages: dict[str, str]) -> None:
    sheet = workbook.create_sheet(name)
    expanded = [_expand(row, languages) for row in rows]
    headers: list[str] = []
    for row in expanded:
        headers += [key for key in row if key not in headers and key not in drop]
    sheet.append(headers)
    for row in expanded:
        sheet.append([row.get(header) for header in headers])


def good_form() -> dict:
    """Every kind, condition and extra column of the subset; row numbers in comments."""
    return copy.deepcopy(
        {
            "survey": [
                {"type": "begin_group", "name": "p_start", "label": "About you", "appearance": "field-list", "content_note": "yes"},  # 2
                {"type": "note", "name": "p_start_note", "label": "Some intro"},  # 3
                {"type": "select_one yn", "name": "q_yes", "label": "Yes or no?", "required": "yes", "summary_label": "Yes?"},  # 4
                {"type": "select_one scale", "name": "q_scale", "label": "How good?", "appearance": "likert"},  # 5
                {"type": "end_group"},  # 6
                {"type": "select_multiple things", "name": "q_multi", "label": "Which things?", "hint": "Choose all",
                 "relevant": "selected(${q_yes}, 'yes')", "required": "no"},  # 7
                {"type": "text", "name": "q_text", "label": "Tell us", "constraint": "string-length(.) <= 100",
                 "relevant": "${q_yes} = 'yes' and not(selected(${q_multi}, 'none'))"},  # 8
                {"type": "begin_group", "name": "p_more", "label": "More", "appearance": "field-list",
                 "relevant": "${q_scale} != 'bad'", "optional_section": "yes"},  # 9
                {"type": "text", "name": "q_more", "label": "More?"},  # 10
                {"type": "end_group"},  # 11
            ],
            "choices": [
                {"list_name": "yn", "name": "yes", "label": "Yes"},  # 2
                {"list_name": "yn", "name": "no", "label": "No"},  # 3
                {"list_name": "yn", "name": "pnts", "label": "Prefer not to say", "exclusive": "yes"},  # 4
                {"list_name": "scale", "name": "good", "label": "Good"},  # 5
                {"list_name": "scale", "name": "bad", "label": "Bad"},  # 6
                {"list_name": "things", "name": "a", "label": "A", "option_group": "g1"},  # 7
                {"list_name": "things", "name": "b", "label": "B", "option_group": "g1"},  # 8
                {"list_name": "things", "name": "none", "label": "None", "exclusive": "yes"},  # 9
                {"list_name": "option_groups", "name": "g1", "label": "Group one"},  # 10
            ],
            "settings": [
                {"form_title": "Test survey", "version": "2026-1", "default_language": "English (en)", "minutes": 5,
                 "start_title": "Tell us", "purpose": "Why we ask"},
            ],
        }
    )


def write_form(path, form: dict | None = None, drop: tuple[str, ...] = (), sheets: tuple[str, ...] | None = None,
               languages: dict[str, str] | None = None):
    """Write a form (default: good_form()) to path; `drop` removes columns; `sheets` picks the sheets;
    `languages` ({code: name}, default every language of the service; {} for plain columns) the languages."""
    form = good_form() if form is None else form
    languages = EVERY_LANGUAGE if languages is None else languages
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in sheets or tuple(form):
        _sheet(workbook, name, form.get(name, []), set(drop), languages)
    workbook.save(path)
    return path
