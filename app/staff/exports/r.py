"""An R script that reads the CSV export and turns every coded column into a labelled factor.

Generated from the questionnaire, so the levels are in questionnaire order and the labels are the
English ones. It works on a CSV with option codes or with English labels, with or without the
byte-order mark, and uses base R only. Every text goes in through app.escaping (r_string,
r_comment): the script is plain ASCII, its lines short, and no text can leave its string or comment.
"""

from flask_babel import force_locale

from app.escaping import r_comment, r_string
from app.questionnaire.model import Kind, Questionnaire

CSV_NAME = "survey-responses.csv"

PREAMBLE = """\
# Labels for the survey responses: run after downloading the CSV export.
#   Rscript survey-labels.R [path/to/{csv}]
# or, in R: source("survey-labels.R"), with the CSV in the working folder; the result is `responses`.
# Every coded column becomes a factor, its levels in questionnaire order; a multiple-choice option's
# 0/1 column becomes "Not chosen"/"Chosen". Free text stays text; ids stay text, never numbers.

args <- commandArgs(trailingOnly = TRUE)
csv_path <- if (length(args) > 0) args[[1]] else "{csv}"
responses <- read.csv(csv_path, fileEncoding = "UTF-8-BOM", colClasses = "character",
                      na.strings = "", check.names = FALSE)
responses$submitted_on <- as.Date(responses$submitted_on)

# The CSV holds option codes or English labels; either way the factor gets the labels.
# A column the file does not have (an export of another questionnaire version) is left alone.
labelled <- function(data, column, codes, labels) {{
  x <- data[[column]]
  if (is.null(x)) return(data)
  given <- unique(x[!is.na(x)])
  unknown <- setdiff(given, c(codes, labels))
  if (length(unknown) > 0) warning(column, ": answers no longer offered become NA: ", paste(unknown, collapse = ", "))
  if (length(given) > 0 && all(given %in% labels) && !all(given %in% codes)) {{
    data[[column]] <- factor(x, levels = labels)
  }} else {{
    data[[column]] <- factor(x, levels = codes, labels = labels)
  }}
  data
}}
chosen <- function(data, column) labelled(data, column, c("0", "1"), c("Not chosen", "Chosen"))

"""


def _vector(items) -> str:
    """c(...) of string literals: on one line when short, else one item a line (no line grows long)."""
    literals = [r_string(item) for item in items]
    one_line = ", ".join(literals)
    if len(one_line) <= 200 and "\n" not in one_line:
        return f"c({one_line})"
    return "c(\n    " + ",\n    ".join(literals) + ")"


def r_script(questionnaire: Questionnaire) -> str:
    """The whole script, as text."""
    lines = [PREAMBLE.format(csv=CSV_NAME)]
    with force_locale("en"):
        for question in questionnaire.questions.values():
            name = r_string(question.id)
            lines.append(r_comment(f"{question.id}: {question.summary_label or question.text}"))
            if question.kind is Kind.TEXT:
                lines.append("# (free text: left as text)")
            elif question.kind is Kind.MULTIPLE:
                for option in question.options:
                    lines.append(f"responses <- chosen(responses, {r_string(f'{question.id}.{option.code}')})")
            else:
                codes = _vector(option.code for option in question.options)
                labels = _vector(str(option.label) for option in question.options)
                lines.append(f"responses <- labelled(responses, {name},\n  {codes},\n  {labels})")
    lines.append("")
    lines.append('if (!interactive()) str(responses, list.len = 5, vec.len = 2)')
    lines.append("")
    return "\n".join(lines)
