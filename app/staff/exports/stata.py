"""The Stata export: a .dta file (format 118: Stata 14 and later, UTF-8 throughout) written with pyreadstat.

It says what the .sav says, from the same frame and the same description (spss.data_frame and
spss.variables): the questions as variable labels, the options as value labels on the same option
numbers, and the two answers the .sav declares user-missing as Stata's extended missing values,
always the same letter: 98 "Does not apply" is .a, 99 "Prefer not to say" is .b (97, an answer no
longer offered, stays a number, as in the .sav). A multiple-choice question is one 0/1 variable per
option; a question not answered is `.`; free text is text, and empty where there is none (Stata's
missing for text).

Stata labels whole numbers, and every coded variable is stored as an integer (Stata's long), but
for one whose column holds no number at all, only `.`, `.a` or `.b` (nobody in the file answered
it): pyreadstat writes that as a double, with the same values and labels. Stata also holds fewer
names than SPSS: see stata_names for the rule.

Memory is the .sav's (see spss.py) plus, while a column is converted, that one column twice.
"""

import hashlib
import re
from collections import Counter

import numpy
import pandas
import pyreadstat

from app.escaping import stata_text
from app.questionnaire.model import Questionnaire
from app.staff.exports import spss
from app.staff.exports.files import remove, temporary_path

VERSION = 14  # pyreadstat's number for format 118
LABEL_LIMIT = 80  # characters of a variable label
VALUE_LABEL_LIMIT = 32_000  # characters of a value label (and escaping.stata_text keeps it to 32,000 bytes)
TAGS = {spss.DOES_NOT_APPLY: "a", spss.PREFER_NOT_TO_SAY: "b"}  # .sav number -> Stata's .a, .b
# Stata's names have 32 characters at most, but pyreadstat names each variable's set of value labels
# after it, adding a count of up to four digits, and a set's name has the same limit.
NAME_LIMIT = 28
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_RESERVED = re.compile(r"byte|double|float|if|in|int|long|strL|using|with|str[0-9]+")  # and names starting with _
_DIGEST = 6  # hex digits of SHA-256 that end a shortened name


def _holds(name: str) -> bool:
    return len(name) <= NAME_LIMIT and bool(_NAME.fullmatch(name)) and not _RESERVED.fullmatch(name)


def _underscored(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def stata_names(names: list[str]) -> dict[str, str]:
    """Each column's name in the .dta, by a rule that depends only on the names themselves:

    1. a name Stata can hold (a letter, then letters, digits or _, at most 28 characters, not a word
       such as `int`) is kept;
    2. else each other character becomes _ (the period of `question.option`), if that gives a name
       Stata can hold that is no other column's name, kept or changed;
    3. else the first 21 characters of that, _, and the first six hex digits of the SHA-256 of the
       name (28 characters): `why_not_reported_pre_5d2f0e`. Its variable label starts with the name.

    Two columns ending with the same name (a name of rule 1 spelled like one of rule 3, or a clash of
    24-bit digests under the same 21 characters) raise ValueError rather than lose a column."""
    kept = {name for name in names if _holds(name)}
    underscored = {name: _underscored(name) for name in names if name not in kept}
    uses = Counter(underscored.values())
    result = {}
    for name in names:
        if name in kept:
            result[name] = name
            continue
        plain = underscored[name]
        if _holds(plain) and uses[plain] == 1 and plain not in kept:
            result[name] = plain
        else:
            digest = hashlib.sha256(name.encode()).hexdigest()[:_DIGEST]
            result[name] = f"{plain[:NAME_LIMIT - _DIGEST - 1]}_{digest}"
    clashes = [name for name, count in Counter(result.values()).items() if count > 1 or not _holds(name)]
    if clashes:
        raise ValueError(f"no Stata name for every column: {clashes} (rename a question or option)")
    return result


def _coded(values: numpy.ndarray, missing: list[int]):
    """A column of the frame's option numbers (NaN where not answered) as Stata integers.

    pyreadstat writes a nullable integer column as integers with `.` where missing. A column with
    user-missing numbers must hold their letters in place of the numbers, so it is a column of Python
    objects: the same few objects (small ints are shared), one pointer per response."""
    answered = ~numpy.isnan(values)
    if not missing:
        return pandas.arrays.IntegerArray(numpy.where(answered, values, 0).astype(numpy.int8), ~answered)
    cells = numpy.array([*range(spss.PREFER_NOT_TO_SAY + 1), None], dtype=object)  # the last for -1: not answered
    for number in missing:
        cells[number] = TAGS[number]
    return cells[numpy.where(answered, values, -1).astype(numpy.int16)]


def write_dta(path: str, questionnaire: Questionnaire, **filters) -> int:
    """Write the .dta file; returns the number of responses in it."""
    frame = spss.data_frame(questionnaire, **filters)
    described = spss.variables(questionnaire)
    names = stata_names([variable.name for variable in described])
    labels, value_labels, missing = {}, {}, {}
    for variable in described:
        name = names[variable.name]
        shortened = name != _underscored(variable.name)  # rule 3: the label keeps the name
        labels[name] = stata_text(f"{variable.name}: {variable.label}" if shortened else variable.label, LABEL_LIMIT)
        if variable.value_labels:
            frame[variable.name] = _coded(frame[variable.name].to_numpy(), variable.missing)
            value_labels[name] = {
                TAGS.get(number, number) if number in variable.missing else number: stata_text(text, VALUE_LABEL_LIMIT)
                for number, text in variable.value_labels.items()
            }
            if variable.missing:
                missing[name] = [TAGS[number] for number in variable.missing]
        elif variable.name not in spss.FIXED_LABELS:
            # Free text: empty where there is none (pyreadstat cannot write a long text, strL, next to None).
            frame[variable.name] = frame[variable.name].fillna("")
    frame.columns = [names[name] for name in frame.columns]
    pyreadstat.write_dta(frame, path, file_label="Survey responses", version=VERSION, column_labels=labels,
                         variable_value_labels=value_labels, missing_user_values=missing)
    return len(frame)


def stata_file(questionnaire: Questionnaire, **filters) -> tuple[str, int]:
    """survey-responses.dta in a new temporary folder: (path, rows)."""
    path = temporary_path("survey-responses.dta")
    try:
        rows = write_dta(path, questionnaire, **filters)
    except BaseException:
        remove(path)
        raise
    return path, rows
