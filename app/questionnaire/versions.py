"""Questionnaire versions: each version's definition kept in the database, and the questionnaire
the exports cover (the current one, plus what earlier versions with responses asked).

Why keep definitions: the spreadsheet of an earlier version is gone once SURVEY_FILE points at the
new one, yet its responses still need their columns, labels and codebook entries. An app keeps its
version's definition when it starts (and again with a response, in case the table was not there at
start, e.g. before `flask db upgrade`). A version's definition never changes once it has responses:
an app whose file asks something else under it refuses to start, since the answers given under
that version would then be described wrongly. Before anyone answered, the kept definition is simply
replaced (a typo fixed before launch needs no new version). Survey owners bump `version` when
questions change, and give a question a new name when its kind changes: one export column cannot
hold a multiple choice's several answers for one version and a single answer for another.
"""

import json
import sys
from dataclasses import dataclass, field, replace

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import inspect, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import database
from app.extensions import db
from app.models import PendingResponse, QuestionnaireVersion, Response
from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire
from app.questionnaire.review import condition_text

INSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
START_REFUSED = 4  # gunicorn's "the app failed to load", as for a bad SURVEY_FILE


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


def problem(questionnaire: Questionnaire) -> str | None:
    """Why the database refuses this questionnaire (None when it can run): its version kept with
    other questions or texts and answered, or a question whose kind changed since a version answered."""
    try:
        if not inspect(db.engine).has_table(QuestionnaireVersion.__tablename__):
            return None
        described = definition(questionnaire)
        answered = _answered_versions()
        kept = _kept(questionnaire.version)
        if kept is not None and kept != described and questionnaire.version in answered:
            return (
                f"settings, column version: version {questionnaire.version!r} was used before with other questions or"
                " texts; give this file a new version (the service would refuse to start with it)"
            )
        return _kind_change(questionnaire.version, described, answered)
    finally:
        db.session.remove()


def _refuse(*lines: str) -> None:
    print(*lines, sep="\n", file=sys.stderr)
    raise SystemExit(START_REFUSED)


def init_app(app: Flask) -> None:
    """Keep this app's version; refuse to start when the version is kept with another definition
    and has responses, or when a question's kind changed since a version with responses."""
    questionnaire = app.extensions["questionnaire"]
    version = questionnaire.version
    with app.app_context():
        described = definition(questionnaire)
        app.extensions["questionnaire_definition"] = described
        app.extensions["questionnaire_version_kept"] = False
        try:
            if not inspect(db.engine).has_table(QuestionnaireVersion.__tablename__):
                return  # before `flask db upgrade`: kept with the first response instead
            _keep(version, described)
            kept = _kept(version)
            answered = _answered_versions()
            changed = kept != described
            if changed and version not in answered:
                # Nobody answered it yet: nothing would be described wrongly, so the file's definition wins.
                db.session.execute(
                    update(QuestionnaireVersion).where(QuestionnaireVersion.version == version).values(definition=described)
                )
                app.logger.warning("Questionnaire version %r had no responses: its kept definition replaced by this file's", version)
                changed = False
            kind_change = _kind_change(version, described, answered)
            if changed or kind_change:
                db.session.rollback()
            else:
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
    if changed:
        _refuse(
            f"Questionnaire version {version!r} was used before with other questions or texts.",
            "Responses already given under it would be described wrongly. Give the changed questionnaire",
            "a new version (settings sheet, column version), then start again.",
        )
    if kind_change:
        _refuse(f"The survey file cannot be used: {kind_change}, then start again.")
    app.extensions["questionnaire_version_kept"] = True


def keep_with_response(questionnaire: Questionnaire) -> None:
    """In the transaction holding a response: its version's definition, unless confirmed already.

    Read back and compared, since an app that started before the table existed (or with the database
    unreachable) never checked its file against it: a response under a version kept with other
    questions is refused (VersionChanged, the "try again" page; the draft stays) rather than stored.
    """
    own = current_app.extensions.get("questionnaire")
    mine = own is not None and own.version == questionnaire.version
    if mine and current_app.extensions.get("questionnaire_version_kept"):
        return
    described = current_app.extensions["questionnaire_definition"] if mine else definition(questionnaire)
    _keep(questionnaire.version, described)
    if _kept(questionnaire.version) != described:
        raise VersionChanged(
            f"Response refused: questionnaire version {questionnaire.version!r} is kept in the database with other"
            " questions or texts; give the survey file a new version and restart the service"
        )
    if mine:
        current_app.extensions["questionnaire_version_kept"] = True  # no more INSERT per response


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
