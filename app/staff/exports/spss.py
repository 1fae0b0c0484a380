"""The SPSS export: a .sav file written with pyreadstat, and an .sps syntax file, in one zip.

The .sav has the CSV's variables with the questions as variable labels and the options as value
labels. Option numbers are fixed by the questionnaire, never by the data, so they are the same in
every export: the answer options of a question are numbered 1, 2, 3... in questionnaire order,
leaving out the codes below, which always get the same number and the last two are declared
user-missing. A multiple-choice question is one 0/1 variable per option; pyreadstat cannot write
multiple-response sets, so the .sps file defines them (run it once after opening the .sav).

pyreadstat writes from a whole data frame, so memory grows with the number of responses: 4 bytes
per response per coded column, plus the ids and typed answers (see docs/benchmarks.md for the figures).
"""

import math
import zipfile
from dataclasses import dataclass, field
from datetime import date

import numpy
import pandas
import pyreadstat
from flask_babel import force_locale

from app.escaping import spss_comment, spss_name, spss_string, spss_text
from app.questionnaire.model import Kind, Question, Questionnaire
from app.staff.exports.files import remove, temporary_path
from app.staff.exports.rows import BATCH_SIZE, FIXED_COLUMNS, Column, columns, response_batches, unoffered

RETIRED, DOES_NOT_APPLY, PREFER_NOT_TO_SAY = 97, 98, 99
SPECIAL = {"does_not_apply": DOES_NOT_APPLY, "prefer_not_to_say": PREFER_NOT_TO_SAY}
USER_MISSING = [DOES_NOT_APPLY, PREFER_NOT_TO_SAY]
NOT_CHOSEN, CHOSEN = 0, 1
LABEL_LIMIT = 255  # bytes of a variable label (or a set's) in SPSS
VALUE_LABEL_LIMIT = 120  # bytes of a value label
FIXED_LABELS = {
    "response_id": "Random id of the response",
    "submitted_on": "Day the response was sent (Europe/London)",
    "language": "Language the questionnaire was answered in",
    "questionnaire_version": "Version of the questionnaire answered",
}


def option_numbers(question: Question) -> dict[str, int]:
    """A question's option codes -> the numbers stored in the .sav (the same in every export)."""
    numbers, next_number = {}, 1
    for option in question.options:
        if option.code in SPECIAL:
            numbers[option.code] = SPECIAL[option.code]
        else:
            numbers[option.code] = next_number
            next_number += 1
    if next_number > RETIRED:
        raise ValueError(f"question {question.id!r} has too many options for two-digit SPSS codes")
    return numbers


def _label(text: str, limit: int = LABEL_LIMIT) -> str:
    """A label SPSS can hold: one line, no control characters, cut to `limit` bytes (escaping.spss_text)."""
    return spss_text(text, limit)


@dataclass(frozen=True)
class Variable:
    """What one column of the data frame means, in English and as typed: each format applies its own
    limits and escaping (SPSS here, Stata in stata.py), so both files say the same."""

    name: str
    label: str
    value_labels: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)  # the numbers declared user-missing
    measure: str | None = None


def variables(questionnaire: Questionnaire) -> list[Variable]:
    """Every column of data_frame() in its order, with its labels, missing values and measure."""
    result = [Variable(name, label) for name, label in FIXED_LABELS.items()]
    with force_locale("en"):
        for column in columns(questionnaire):
            question = column.question
            text = str(question.summary_label or question.text)
            if column.option_code is not None:
                option = str(question.option(column.option_code).label)
                result.append(Variable(column.header, f"{text}: {option}", {NOT_CHOSEN: "Not chosen", CHOSEN: option},
                                       measure="nominal"))
            elif question.kind is Kind.TEXT:
                result.append(Variable(column.header, text, measure="nominal"))
            else:
                numbers = option_numbers(question)
                named = {numbers[o.code]: str(o.label) for o in question.options}
                named[RETIRED] = "An answer no longer offered"
                declared = [number for number in USER_MISSING if number in numbers.values()]
                measure = "ordinal" if question.kind is Kind.SCALE else "nominal"
                result.append(Variable(column.header, text, dict(sorted(named.items())), declared, measure))
    return result


def metadata(questionnaire: Questionnaire) -> dict:
    """pyreadstat's keyword arguments for the labels, missing values and measures of every variable."""
    labels, value_labels, missing, measure = {}, {}, {}, {}
    for variable in variables(questionnaire):
        labels[variable.name] = _label(variable.label)
        if variable.value_labels:
            value_labels[variable.name] = {n: _label(text, VALUE_LABEL_LIMIT) for n, text in variable.value_labels.items()}
        if variable.missing:
            missing[variable.name] = variable.missing
        if variable.measure:
            measure[variable.name] = variable.measure
    return {
        "column_labels": labels,
        "variable_value_labels": value_labels,
        "missing_ranges": missing,
        "variable_measure": measure,
    }


def data_frame(
    questionnaire: Questionnaire,
    start: date | None = None,
    end: date | None = None,
    batch_size: int = BATCH_SIZE,
) -> pandas.DataFrame:
    """Every response as one row: numbers for coded answers (missing when not answered), text as text."""
    cols = columns(questionnaire)
    numbers = {q.id: option_numbers(q) for q in questionnaire.questions.values() if q.has_choices}
    text: dict[str, list] = {name: [] for name in FIXED_COLUMNS}
    text.update({c.header: [] for c in cols if c.question.kind is Kind.TEXT})
    coded = [c for c in cols if c.question.kind is not Kind.TEXT]
    not_offered = {version: set(indexes) for version, indexes in unoffered(cols, questionnaire).items()}
    capacity = 1024
    # float32 holds every code exactly in half the memory of float64; the .sav stores doubles anyway.
    arrays = {c.header: numpy.full(capacity, math.nan, dtype=numpy.float32) for c in coded}
    shared: dict = {}  # one copy of each language, version and day, not one per response
    count = 0
    for batch in response_batches(start, end, batch_size):
        if count + len(batch) > capacity:  # grow by doubling, as a list does
            capacity = max(2 * capacity, count + len(batch))
            for header, array in arrays.items():
                grown = numpy.full(capacity, math.nan, dtype=numpy.float32)
                grown[:count] = array[:count]
                arrays[header] = grown
        for fixed, answers in batch:
            for name, value in zip(FIXED_COLUMNS, fixed):
                text[name].append(value if name == "response_id" else shared.setdefault(value, value))
            skipped = not_offered.get(fixed[3], ())  # options its version did not offer: missing, not 0
            for index, column in enumerate(cols):
                values = answers.get(column.question.id)
                if column.question.kind is Kind.TEXT:
                    text[column.header].append(values[0] if values else None)
                elif values and not (index in skipped and column.option_code not in values):
                    arrays[column.header][count] = _number(column, values, numbers[column.question.id])
            count += 1
    frame = {name: text[name] for name in FIXED_COLUMNS}
    for column in cols:
        frame[column.header] = text[column.header] if column.header in text else arrays[column.header][:count]
    # copy=False: the arrays become the frame's columns as they are, not a second copy of them.
    return pandas.DataFrame(frame, copy=False)


def _number(column: Column, values: list[str], numbers: dict[str, int]) -> float:
    if column.option_code is not None:
        return CHOSEN if column.option_code in values else NOT_CHOSEN
    return numbers.get(values[0], RETIRED)


def multiple_response_syntax(questionnaire: Questionnaire, sav_name: str) -> str:
    """SPSS syntax defining one multiple dichotomy set per multiple-choice question ("Prefer not to say" left out)
    with two options or more.

    Every text goes in through app.escaping: each subcommand starts its own indented line, a label
    is one string (split with + when long), and only the command's last line ends with a period."""
    lines = [
        spss_comment("Multiple-response sets for the survey responses (pyreadstat cannot store them in the .sav)"),
        spss_comment(f"Open {sav_name} in SPSS, then run this file (Run > All). Save the data to keep the sets"),
        "MRSETS",
    ]
    with force_locale("en"):
        for question in questionnaire.questions.values():
            if question.kind is not Kind.MULTIPLE:
                continue
            names = [spss_name(f"{question.id}.{o.code}") for o in question.options if o.code != "prefer_not_to_say"]
            if len(names) < 2:  # a set needs two variables: one would make SPSS refuse every set
                continue
            label = spss_string(str(question.summary_label or question.text), LABEL_LIMIT)
            lines.append(f"  /MDGROUP NAME=${spss_name(question.id)} LABEL={label}")
            lines.append("    CATEGORYLABELS=COUNTEDVALUES VALUE=1")
            lines.extend(f"    VARIABLES={names[0]}" if i == 0 else f"    {name}" for i, name in enumerate(names))
    lines += ["  /DISPLAY NAME=ALL.", ""]  # brackets only around set names: SPSS refuses [ALL]
    return "\r\n".join("\r\n".join(line.split("\n")) for line in lines)


def write_sav(path: str, questionnaire: Questionnaire, **filters) -> int:
    """Write the .sav file; returns the number of responses in it."""
    frame = data_frame(questionnaire, **filters)
    pyreadstat.write_sav(frame, path, file_label="Survey responses", **metadata(questionnaire))
    return len(frame)


def spss_zip(questionnaire: Questionnaire, **filters) -> tuple[str, int]:
    """A zip with survey-responses.sav and survey-responses.sps in a new temporary folder: (path, rows)."""
    path = temporary_path("survey-responses-spss.zip")
    sav = path.replace("-spss.zip", ".sav")
    try:
        rows = write_sav(sav, questionnaire, **filters)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(sav, "survey-responses.sav")
            archive.writestr("survey-responses.sps", multiple_response_syntax(questionnaire, "survey-responses.sav"))
    except BaseException:
        remove(path)
        raise
    return path, rows
