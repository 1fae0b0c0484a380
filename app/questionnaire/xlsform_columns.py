"""The sheets and columns of the XLSForm subset this service reads, and the languages a file has.

Kept apart from the reader (xlsform.py) because the languages are found from the column headings of
all three sheets before any sheet is read: a translated column is then required in exactly the
file's languages.
"""

import re
from collections.abc import Iterable

from babel import Locale

from app.questionnaire.characters import normalise_line_breaks

SHEETS = ("survey", "choices", "settings")
GROUP_LIST = "option_groups"  # the choices list that holds the headings of option groups
SURVEY_COLUMNS = {"type", "name", "required", "relevant", "appearance", "constraint", "content_note", "optional_section",
                  "page_name"}
SURVEY_TRANSLATED = {"label", "hint", "summary_label", "required_message"}
CHOICES_COLUMNS = {"list_name", "name", "exclusive", "option_group"}
CHOICES_TRANSLATED = {"label"}
SETTINGS_COLUMNS = {"form_title", "form_id", "version", "default_language", "minutes"}
SETTINGS_TRANSLATED = {"start_title", "purpose"}
TRANSLATED_HEADER = re.compile(r"(\w+)::\s*(.*?)\s*\(([A-Za-z-]+)\)")
MAX_HEADER = 200  # characters in a heading (checked before TRANSLATED_HEADER)

DEFAULT_LANGUAGE = "en"  # of a file that names none: the service's source language (staff pages, exports)


def language_column(base: str, code: str) -> str:
    """The header of a translated column, e.g. label::Urdu (ur)."""
    return f"{base}::{Locale.parse(code).english_name} ({code})"


def cell_text(value) -> str:
    """A cell as text: a whole number without ".0", line breaks as LF, no surrounding spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_line_breaks(str(value)).strip()


def header(sheets: dict[str, list[tuple]], name: str) -> list[str]:
    """A sheet's column headings (too long ones left out: the reader reports them)."""
    rows = sheets.get(name) or [()]
    return [text for text in map(cell_text, rows[0]) if len(text) <= MAX_HEADER]


def translated_headers(sheets: dict[str, list[tuple]]) -> Iterable[re.Match]:
    for name, translated in (("settings", SETTINGS_TRANSLATED), ("choices", CHOICES_TRANSLATED), ("survey", SURVEY_TRANSLATED)):
        for heading in header(sheets, name):
            match = TRANSLATED_HEADER.fullmatch(heading)
            if match and match[1] in translated:
                yield match


def _declared_language(sheets: dict[str, list[tuple]]) -> str:
    """The code of settings' default_language ("English (en)" -> "en"), or "" (checked in _settings)."""
    columns = header(sheets, "settings")
    rows = sheets.get("settings") or []
    if "default_language" not in columns or len(rows) < 2:
        return ""
    values = rows[1]
    index = columns.index("default_language")
    match = re.fullmatch(r".*?\(([A-Za-z-]+)\)\s*", cell_text(values[index]) if index < len(values) else "")
    return match[1] if match else ""


def file_languages(sheets: dict[str, list[tuple]], service: Iterable[str]) -> tuple[str, ...]:
    """The languages of a file that the service can show, its default first, then in the service's order.

    The default is settings' default_language when it is one of them; else English when the file has it,
    else the file's first language column. A file with no language column at all is in one language:
    default_language, else English.
    """
    service = list(service)
    found = list(dict.fromkeys(match[3] for match in translated_headers(sheets) if match[3] in service))
    declared = _declared_language(sheets)
    if declared in service and (declared in found or not found):
        default = declared
    else:
        default = DEFAULT_LANGUAGE if not found or DEFAULT_LANGUAGE in found else found[0]
    return (default, *(code for code in service if code in found and code != default))
