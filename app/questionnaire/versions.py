"""Questionnaire versions: each version's definition kept in the database, and the questionnaire
the exports cover (the current one, plus what earlier versions with responses asked).

Why keep definitions: the spreadsheet of an earlier version is gone once SURVEY_FILE points at the
new one, yet its responses still need their columns, labels and codebook entries. An app keeps its
version's definition when it starts (and again with a response, in case the table was not there at
start, e.g. before `flask db upgrade`). A version's definition never changes: an app whose file
asks something else under a version already kept refuses to start, since the answers given under
that version would then be described wrongly. Survey owners bump `version` when questions change.
"""

import json
import sys
from dataclasses import dataclass, field, replace

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import database
from app.extensions import db
from app.models import QuestionnaireVersion, Response
from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire
from app.questionnaire.review import condition_text

INSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
START_REFUSED = 4  # gunicorn's "the app failed to load", as for a bad SURVEY_FILE


def shown_when(page: Page) -> str:
    """When a page is shown, in English: "always", or the conditions on earlier answers."""
    parts = [f"{c.question} is any of: {', '.join(c.codes)}" for c in page.shown_if]
    if page.condition is not None:
        parts.append(str(page.condition))
    return " and ".join(parts) or "always"


def definition(questionnaire: Questionnaire) -> dict:
    """What a version asks, as JSON: questions in order, with kinds, English texts and options.
    Needs an app context (the texts are rendered in English)."""
    questions = []
    with force_locale("en"):
        for page in questionnaire.pages:
            for question in page.questions:
                questions.append({
                    "id": question.id,
                    "page": page.id,
                    # As `relevant` text, the same whether the condition was written in Python or a spreadsheet.
                    "shown_when": condition_text(questionnaire, page) or "always",
                    "kind": question.kind.value,
                    "text": str(question.text),
                    "summary_label": str(question.summary_label) if question.summary_label else None,
                    "required": question.required,
                    "max_length": question.max_length if question.kind is Kind.TEXT else None,
                    "options": [
                        {"code": option.code, "label": str(option.label), "exclusive": option.exclusive}
                        for option in question.options
                    ],
                })
    # Through JSON and back, so it compares equal to what the database gives back.
    return json.loads(json.dumps({"questions": questions}))


def _keep(version: str, described: dict) -> None:
    """Insert the definition unless the version has one; safe when several processes start at once."""
    statement = INSERT[db.engine.dialect.name](QuestionnaireVersion).values(version=version, definition=described)
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["version"]))


def init_app(app: Flask) -> None:
    """Keep this app's version; refuse to start when the version is kept with another definition."""
    questionnaire = app.extensions["questionnaire"]
    with app.app_context():
        described = definition(questionnaire)
        app.extensions["questionnaire_definition"] = described
        app.extensions["questionnaire_version_kept"] = False
        try:
            if not inspect(db.engine).has_table(QuestionnaireVersion.__tablename__):
                return  # before `flask db upgrade`: kept with the first response instead
            _keep(questionnaire.version, described)
            kept = db.session.scalar(
                select(QuestionnaireVersion.definition).where(QuestionnaireVersion.version == questionnaire.version)
            )
            db.session.commit()
        except database.unavailable_errors(app) as error:
            # Not reachable now (the app still starts and shows its "try again" page): kept with a response.
            app.logger.warning("Questionnaire version not checked, database unavailable: %s", type(error).__name__)
            return
        finally:
            db.session.remove()
            # No connection outlives the start: a server that forks workers after loading the app
            # must not share one, and an app refused here goes no further.
            db.engine.dispose()
    if kept != described:
        print(
            f"Questionnaire version {questionnaire.version!r} was used before with other questions or texts.",
            "Responses already given under it would be described wrongly. Give the changed questionnaire",
            "a new version (settings sheet, column version), then start again.",
            sep="\n",
            file=sys.stderr,
        )
        raise SystemExit(START_REFUSED)
    app.extensions["questionnaire_version_kept"] = True


def kept_differently(questionnaire: Questionnaire) -> bool:
    """Whether the database keeps this version with another definition (False before its table exists)."""
    try:
        if not inspect(db.engine).has_table(QuestionnaireVersion.__tablename__):
            return False
        kept = db.session.scalar(
            select(QuestionnaireVersion.definition).where(QuestionnaireVersion.version == questionnaire.version)
        )
    finally:
        db.session.remove()
    return kept is not None and kept != definition(questionnaire)


def keep_with_response(questionnaire: Questionnaire) -> None:
    """In the transaction holding a response: its version's definition, unless kept at start."""
    if not current_app.extensions.get("questionnaire_version_kept"):
        own = current_app.extensions.get("questionnaire")
        described = (
            current_app.extensions["questionnaire_definition"]
            if own is not None and own.version == questionnaire.version
            else definition(questionnaire)
        )
        _keep(questionnaire.version, described)


@dataclass(frozen=True, eq=False)
class Covered(Questionnaire):
    """The current questionnaire, each question with every option any version offered, followed by a
    page of the questions only earlier versions with responses asked."""

    asked_in: dict = field(default_factory=dict)  # question id -> versions that asked it
    offered_in: dict = field(default_factory=dict)  # (question id, option code) -> versions that offered it
    retired: dict = field(default_factory=dict)  # question id no longer asked -> its last definition

    def versions(self, question_id: str, code: str | None = None) -> list[str]:
        return self.offered_in.get((question_id, code), []) if code else self.asked_in.get(question_id, [])


def _retired_question(described: dict, options: tuple[Option, ...]) -> Question:
    return Question(
        described["id"], described["text"], Kind(described["kind"]), options,
        required=described["required"], max_length=described["max_length"] or 500,
        summary_label=described["summary_label"],
    )


def covered(questionnaire: Questionnaire) -> Covered:
    """What the exports and codebook show: a column for every question the current version or any
    version with responses asked. Options are listed in the order they first appeared (a kept
    version's order, then what later versions added), so SPSS numbers them the same in every export."""
    current = definition(questionnaire)
    kept = db.session.execute(
        select(QuestionnaireVersion.version, QuestionnaireVersion.definition).order_by(QuestionnaireVersion.id)
    ).all()
    answered = set(db.session.scalars(select(Response.questionnaire_version).distinct()))
    history = [(version, described) for version, described in kept if version != questionnaire.version]
    history.append((questionnaire.version, current))  # the current version counts last, with its own texts

    asked_in: dict[str, list[str]] = {}
    offered_in: dict[tuple[str, str], list[str]] = {}
    latest: dict[str, dict] = {}  # question id -> its newest definition
    option_labels: dict[tuple[str, str], dict] = {}  # (question id, code) -> its newest option definition
    for version, described in history:
        for question in described["questions"]:
            asked_in.setdefault(question["id"], []).append(version)
            latest[question["id"]] = question
            for option in question["options"]:
                offered_in.setdefault((question["id"], option["code"]), []).append(version)
                option_labels[(question["id"], option["code"])] = option

    def options(question_id: str, live: tuple[Option, ...] = ()) -> tuple[Option, ...]:
        by_code = {option.code: option for option in live}
        return tuple(
            by_code.get(code) or Option(code, option_labels[(qid, code)]["label"], option_labels[(qid, code)]["exclusive"])
            for qid, code in offered_in
            if qid == question_id
        )

    pages = []
    for page in questionnaire.pages:
        questions = tuple(
            q if not q.has_choices else replace(q, options=options(q.id, q.options)) for q in page.questions
        )
        pages.append(replace(page, questions=questions))
    retired_ids = [
        qid for qid, versions in asked_in.items()
        if qid not in questionnaire.questions and answered.intersection(versions)
    ]
    if retired_ids:
        retired = tuple(_retired_question(latest[qid], options(qid)) for qid in retired_ids)
        pages.append(Page("no_longer_asked", "Questions no longer asked", retired))
    return Covered(
        version=questionnaire.version,
        title=questionnaire.title,
        purpose=questionnaire.purpose,
        pages=tuple(pages),
        minutes=questionnaire.minutes,
        asked_in=asked_in,
        offered_in=offered_in,
        retired={qid: latest[qid] for qid in retired_ids},
    )
