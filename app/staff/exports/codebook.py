"""The codebook: what every export column means, so an analyst can read the export without the code."""

from collections.abc import Iterator

from flask_babel import force_locale

from app.questionnaire import versions
from app.questionnaire.model import Kind, Page, Questionnaire
from app.staff.exports.csv import BOM, csv_text
from app.staff.exports.rows import FIXED_COLUMNS

HEADER = (
    "column",
    "question_id",
    "page_id",
    "page_number",
    "question_text",
    "kind",
    "required",
    "option_code",
    "option_label",
    "shown_when",
    "versions",
)

FIXED_DESCRIPTIONS = {
    "response_id": "A random id for the response; it says nothing about the person or the time.",
    "submitted_on": "The day the response was sent (Europe/London), never a time.",
    "language": "The language the questionnaire was answered in (a language code, e.g. en, ur).",
    "questionnaire_version": "The version of the questionnaire answered.",
}


def shown_when(questionnaire: Questionnaire, page: Page) -> str:
    """When a page is shown, in English: "always", or the earlier answers that show it."""
    return versions.shown_when(page)


def codebook_rows(questionnaire: Questionnaire) -> list[list[str]]:
    """One row per export column or answer option, with the English text.

    With the questionnaire the exports cover (versions.covered), the last column names the versions
    that asked each question (offered each option), and questions no longer asked say where they were.
    """
    covered = questionnaire if isinstance(questionnaire, versions.Covered) else None

    def asked(question_id: str, code: str | None = None) -> str:
        return ", ".join(covered.versions(question_id, code)) if covered else questionnaire.version

    rows = [list(HEADER)]
    rows.extend([name, "", "", "", FIXED_DESCRIPTIONS[name], "fixed", "", "", "", "", ""] for name in FIXED_COLUMNS)
    with force_locale("en"):
        for number, page in enumerate(questionnaire.pages, start=1):
            when = shown_when(questionnaire, page)
            for question in page.questions:
                retired = covered.retired.get(question.id) if covered else None
                if retired:
                    place = [retired["page"], ""]
                    when = f"no longer asked; was shown: {retired['shown_when']}"
                else:
                    place = [page.id, str(number)]
                common = [question.id, *place, str(question.text), question.kind.value,
                          "yes" if question.required else "no"]
                if question.kind is Kind.TEXT:
                    rows.append([question.id, *common, "", f"free text, up to {question.max_length} characters",
                                 when, asked(question.id)])
                for option in question.options:
                    column = f"{question.id}.{option.code}" if question.kind is Kind.MULTIPLE else question.id
                    rows.append([column, *common, option.code, str(option.label), when, asked(question.id, option.code)])
    return rows


def codebook_chunks(questionnaire: Questionnaire, bom: bool = True) -> Iterator[bytes]:
    yield ((BOM if bom else "") + csv_text(codebook_rows(questionnaire))).encode()
