"""Questionnaire versions: each version's definition kept in the database, and the questionnaire
the exports cover (the current one, plus what earlier versions with responses asked).

Why keep definitions: the exports describe every version's answers from one place, whichever file
is live, and an earlier version's file may be gone (before survey files were stored, SURVEY_FILE
simply pointed at the new one). A version's definition is kept as it goes live
(app/surveys/lifecycle.py) and again with a response, in case it was served without being stored
(the database unreachable, or before `flask db upgrade`). A version's definition never changes once
it has responses: a file asking something else under it is refused before it can go live, since
the answers given under that version would then be described wrongly. Before anyone answered, the kept definition is simply
replaced (a typo fixed before launch needs no new version). Survey owners bump `version` when
questions change, and give a question a new name when its kind changes: one export column cannot
hold a multiple choice's several answers for one version and a single answer for another.
"""

import json
from dataclasses import dataclass, field, replace

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import inspect, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import PendingResponse, QuestionnaireVersion, Response
from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire
from app.questionnaire.review import condition_text

INSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


class VersionChanged(Exception):
    """A response's version is kept with another definition: refused, so it is never described wrongly."""


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


def _kept(version: str) -> dict | None:
    return db.session.scalar(select(QuestionnaireVersion.definition).where(QuestionnaireVersion.version == version))


def _answered_versions() -> set[str]:
    """Versions with a response, released or still held: their definitions can no longer change."""
    return set(db.session.scalars(select(Response.questionnaire_version).distinct())) | set(
        db.session.scalars(select(PendingResponse.questionnaire_version).distinct())
    )


def _kind_change(version: str, described: dict, answered: set[str]) -> str | None:
    """A question of this definition whose kind differs under a version with responses, described.

    Refused whatever the kinds: the exports give a multiple choice a 0/1 column per option and any
    other kind one column, so one version's answers would not fit the other's columns; and even a
    single choice and a scale differ there (SPSS measures one nominal, the other ordinal).
    """
    kinds = {question["id"]: question["kind"] for question in described["questions"]}
    kept = db.session.execute(
        select(QuestionnaireVersion.version, QuestionnaireVersion.definition).order_by(QuestionnaireVersion.id)
    ).all()
    for other, other_definition in kept:
        if other == version or other not in answered:
            continue
        for question in other_definition["questions"]:
            now = kinds.get(question["id"], question["kind"])
            if now != question["kind"]:
                return (
                    f"question {question['id']!r} was a {question['kind']} question under version {other!r},"
                    f" which has responses, and is a {now} question now; its answers could not be exported"
                    " together. Give the changed question a new name (survey sheet, column name)"
                )
    return None


def problems(questionnaire: Questionnaire) -> list[str]:
    """Why the database refuses this questionnaire (empty when it can go live): its version kept with
    other questions or texts and answered, or a question whose kind changed since a version answered.
    The one check behind `flask survey check`, seeding and making a draft live (app/surveys/lifecycle.py)."""
    if not inspect(db.engine).has_table(QuestionnaireVersion.__tablename__):
        return []
    described = definition(questionnaire)
    answered = _answered_versions()
    kept = _kept(questionnaire.version)
    found = []
    if kept is not None and kept != described and questionnaire.version in answered:
        found.append(
            f"settings, column version: version {questionnaire.version!r} was used before with other questions or"
            " texts, and has responses; give this file a new version"
        )
    kind_change = _kind_change(questionnaire.version, described, answered)
    if kind_change:
        found.append(kind_change)
    return found


def keep_definition(questionnaire: Questionnaire) -> None:
    """Keep the version's definition as the questionnaire goes live, in the caller's transaction.

    A version nobody answered yet takes this definition even if another was kept under it (a typo
    fixed before launch needs no new version); an answered one is never changed (problems() refuses
    such a questionnaire before it gets here)."""
    described = definition(questionnaire)
    _keep(questionnaire.version, described)
    if _kept(questionnaire.version) != described and questionnaire.version not in _answered_versions():
        db.session.execute(
            update(QuestionnaireVersion)
            .where(QuestionnaireVersion.version == questionnaire.version)
            .values(definition=described)
        )
        current_app.logger.warning(
            "Questionnaire version %r had no responses: its kept definition replaced by this file's", questionnaire.version
        )


def keep_with_response(questionnaire: Questionnaire) -> None:
    """In the transaction holding a response: its version's definition, unless confirmed already.

    Read back and compared, since a questionnaire served while the database was unreachable (or
    before `flask db upgrade`) was never checked against it: a response under a version kept with
    other questions is refused (VersionChanged, the "try again" page; the draft stays) rather than
    stored. Confirmed once per questionnaire and app, so later responses make no INSERT.
    """
    # The questionnaire itself, not the QUESTIONNAIRE proxy a view may pass: the proxy would stand for another later.
    questionnaire = getattr(questionnaire, "_get_current_object", lambda: questionnaire)()
    confirmed = current_app.extensions.setdefault("questionnaire_versions_kept", {})
    if confirmed.get(questionnaire):
        return
    described = definition(questionnaire)
    _keep(questionnaire.version, described)
    if _kept(questionnaire.version) != described:
        raise VersionChanged(
            f"Response refused: questionnaire version {questionnaire.version!r} is kept in the database with other"
            " questions or texts; publish the survey file with a new version"
        )
    confirmed[questionnaire] = True


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
        languages=questionnaire.languages,
        asked_in=asked_in,
        offered_in=offered_in,
        retired={qid: latest[qid] for qid in retired_ids},
    )
