"""The survey's life as plain functions: upload a draft, what stops it going live, what it changes,
make it live, and the opening and closing dates. The staff pages and `flask survey publish` call
these; each records an audit event. `actor` is a staff username, or COMMAND_LINE.

SURVEY_FILE seeds an empty database (seed): once the database holds a live version, the database
wins. Why: a survey owner's change made in the staff area must never be undone by a restart or a
deployment that still carries the old file; the file only says what to start with.
"""

import difflib
import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import exc, func, inspect, select, update

from app.extensions import db
from app.models import Response, SurveyFile, SurveySettings
from app.questionnaire import versions
from app.questionnaire.model import Questionnaire
from app.questionnaire.review import show
from app.staff import audit
from app.surveys import live

DRAFT, LIVE, RETIRED = "draft", "live", "retired"
START_REFUSED = 4  # gunicorn's "the app failed to load", as for a bad SURVEY_FILE
COMMAND_LINE = "command line"


class NotMadeLive(Exception):
    """make_live refused: `problems` says why (the refusals of problems_before_live)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _audit_actor(actor: str) -> str | None:
    return None if actor == COMMAND_LINE else actor  # the audit trail's "command line"


def _languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def questionnaire_of(survey_file: SurveyFile) -> Questionnaire:
    """The questionnaire a stored file holds (parsed once per process)."""
    return live.parsed(survey_file.content, _languages())


def live_file() -> SurveyFile | None:
    """The live version's row, or None before the database holds one."""
    return db.session.scalar(select(SurveyFile).where(SurveyFile.state == LIVE))


def stored(version: str | None = None) -> SurveyFile | None:
    """The live file, or the newest file stored under `version` (live, retired or draft)."""
    if version is None:
        return live_file()
    return db.session.scalar(select(SurveyFile).where(SurveyFile.version == version).order_by(SurveyFile.id.desc()))


def upload(data: bytes, actor: str) -> SurveyFile:
    """Keep a good file as a draft. A file with problems raises SurveyFileError (`.problems`, each
    naming its sheet, row and column) and keeps nothing. The same bytes as a draft already kept give
    that draft back (a double click, or the same file uploaded again), not a second one."""
    sha256 = hashlib.sha256(data).hexdigest()
    questionnaire = live.parsed(data, _languages())  # kept by its sha256: the draft's page reads it next
    same = db.session.scalar(select(SurveyFile).where(SurveyFile.sha256 == sha256, SurveyFile.state == DRAFT))
    if same is not None:
        return same
    draft = SurveyFile(
        version=questionnaire.version, state=DRAFT, content=data, sha256=sha256, uploaded_by=actor, uploaded_at=_now(),
    )
    db.session.add(draft)
    db.session.flush()
    audit.record(audit.SURVEY_UPLOADED, _audit_actor(actor), version=draft.version, file=draft.id)  # commits
    return draft


def problems_before_live(draft: SurveyFile) -> list[str]:
    """What stops the draft going live (empty when nothing does): its version kept with other
    questions or texts and answered, or a question whose kind changed since a version answered."""
    return versions.problems(questionnaire_of(draft))


def changes(draft: SurveyFile, live_version: SurveyFile | None) -> dict[str, list[str]]:
    """What the draft changes, per language: the `flask survey show` printouts of the live version
    and the draft compared line by line (a unified diff; empty when that language reads the same)."""
    new = questionnaire_of(draft)
    old = questionnaire_of(live_version) if live_version is not None else None
    before_name = f"live (version {live_version.version})" if live_version is not None else "nothing live"
    found = {}
    for language in getattr(new, "languages", None) or _languages():
        before = show(old, language).splitlines() if old is not None else []
        after = show(new, language).splitlines()
        found[language] = list(difflib.unified_diff(before, after, before_name, f"draft (version {draft.version})", lineterm=""))
    return found


def make_live(draft: SurveyFile, actor: str) -> SurveyFile:
    """Make a draft (or a retired version) the live one, retiring the version live before, in one
    transaction with its definition (versions.keep_definition) and the audit event. Raises
    NotMadeLive when problems_before_live finds any. Every worker serves it within STAMP_SECONDS."""
    refused = problems_before_live(draft)
    if refused:
        raise NotMadeLive(refused)
    before = live_file()
    if before is not None and before.id == draft.id:
        raise NotMadeLive([f"version {draft.version} is live already"])
    # Conditional updates, not attribute changes: of two people making files live at the same moment
    # (or a double click), one wins and the other is told so. The draft must still be in the state it
    # was read in, and the unique index over live rows refuses a second live row (PostgreSQL), while
    # SQLite runs one writer at a time.
    try:
        if before is not None:
            db.session.execute(update(SurveyFile).where(SurveyFile.id == before.id, SurveyFile.state == LIVE)
                               .values(state=RETIRED).execution_options(synchronize_session=False))
        changed = db.session.execute(
            update(SurveyFile).where(SurveyFile.id == draft.id, SurveyFile.state == draft.state)
            .values(state=LIVE, made_live_by=actor, made_live_at=_now()).execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            raise NotMadeLive([f"version {draft.version} was made live a moment ago"])
        versions.keep_definition(questionnaire_of(draft))
        db.session.flush()
    except (NotMadeLive, exc.IntegrityError) as error:
        db.session.rollback()
        if isinstance(error, NotMadeLive):
            raise
        raise NotMadeLive(["another version was made live at the same moment: look at the survey page again"]) from None
    audit.record(audit.SURVEY_MADE_LIVE, _audit_actor(actor), version=draft.version, file=draft.id,
                 before=before.version if before is not None else None)  # commits
    db.session.expire_all()  # the rows changed by the updates above
    live.forget()
    return draft


def _utc(moment: datetime | None) -> datetime | None:
    """A moment as stored: UTC. SQLite keeps no offset, and reads every stored moment back as UTC, so a
    London summer time stored as it is would come back an hour late."""
    return moment.astimezone(timezone.utc) if moment is not None else None


def _settings() -> SurveySettings:
    settings = db.session.get(SurveySettings, 1)
    if settings is None:
        opens, closes = current_app.config["SURVEY_OPENS"], current_app.config["SURVEY_CLOSES"]
        settings = SurveySettings(id=1, opens=_utc(opens), closes=_utc(closes), changed_by="", changed_at=_now())
        db.session.add(settings)
    return settings


def _dates_now() -> tuple[datetime | None, datetime | None]:
    live.forget()
    return live.dates()


def _save(settings: SurveySettings, actor: str, action: str, **details) -> None:
    settings.changed_by, settings.changed_at = actor, _now()
    db.session.flush()
    audit.record(action, _audit_actor(actor), **details)  # commits
    live.forget()


def set_dates(opens: datetime | None, closes: datetime | None, actor: str) -> None:
    """When the survey opens and closes from now on (None: no limit); replaces SURVEY_OPENS/SURVEY_CLOSES."""
    if opens and closes and opens >= closes:
        raise ValueError("the survey must open before it closes")
    settings = _settings()
    settings.opens, settings.closes = _utc(opens), _utc(closes)
    _save(settings, actor, audit.SURVEY_DATES_SET,
          opens=opens.isoformat() if opens else None, closes=closes.isoformat() if closes else None)


def close_now(actor: str) -> None:
    """Close the survey from this moment (an opening moment already passed stays; one still to come
    is cleared, or the survey would read as "not open yet" rather than closed)."""
    opens, _closes = _dates_now()
    now = _now()
    settings = _settings()
    settings.opens, settings.closes = _utc(opens) if opens is not None and opens <= now else None, now
    _save(settings, actor, audit.SURVEY_CLOSED)


def open_again(actor: str) -> None:
    """Open the survey from this moment: a closing moment passed, or an opening one to come, is cleared."""
    opens, closes = _dates_now()
    now = _now()
    settings = _settings()
    settings.opens = _utc(opens) if opens is not None and opens <= now else None
    settings.closes = _utc(closes) if closes is not None and closes > now else None
    _save(settings, actor, audit.SURVEY_OPENED)


def seed(app: Flask) -> bool:
    """Store SURVEY_FILE as the live version when the database holds none; False when it cannot
    (the refusal is logged). Safe when several processes start at once: one row wins."""
    from app.questionnaire import questionnaire_for

    path = app.config["SURVEY_FILE"]
    questionnaire = questionnaire_for(path)
    with app.app_context():
        try:
            if live_file() is not None:
                return True
            refused = versions.problems(questionnaire)
            if refused:
                app.logger.error("SURVEY_FILE=%s cannot be made live: %s", path, "; ".join(refused))
                return False
            data = Path(path).read_bytes()
            now = _now()
            row = SurveyFile(
                version=questionnaire.version, state=LIVE, content=data, sha256=hashlib.sha256(data).hexdigest(),
                uploaded_by=COMMAND_LINE, uploaded_at=now, made_live_by=COMMAND_LINE, made_live_at=now,
            )
            db.session.add(row)
            versions.keep_definition(questionnaire)
            db.session.flush()
            # No audit event: nobody did anything (the row says "command line" made it live).
            db.session.commit()
            app.logger.info("SURVEY_FILE=%s stored as the live version %s", path, row.version)
        except exc.IntegrityError:
            db.session.rollback()  # another process stored its live version first: that one is live
        finally:
            db.session.remove()
    return True


def start_check(app: Flask) -> list[str]:
    """At start: seed an empty database (the problems that stop it, if any), or warn when SURVEY_FILE
    is not the live version: the database wins, and says so in the log."""
    from app.questionnaire import questionnaire_for

    path = app.config["SURVEY_FILE"]
    with app.app_context():
        row = db.session.execute(select(SurveyFile.version, SurveyFile.sha256).where(SurveyFile.state == LIVE)).first()
        db.session.remove()
    if row is None:
        if seed(app):
            return []
        with app.app_context():
            try:
                return versions.problems(questionnaire_for(path))
            finally:
                db.session.remove()
    if row.sha256 != hashlib.sha256(Path(path).read_bytes()).hexdigest():
        app.logger.warning(
            "SURVEY_FILE=%s is not the live version (%s), which the database keeps: the database wins, so a change"
            " made in the staff area is never undone by a restart. `flask survey publish FILE` makes a file live.",
            path, row.version,
        )
    return []


def history() -> list[SurveyFile]:
    """Every stored file, newest first (drafts, the live version, retired versions)."""
    return list(db.session.scalars(select(SurveyFile).order_by(SurveyFile.id.desc())))


def responses_by_version() -> dict[str, int]:
    """Released responses per questionnaire version (held ones are never counted on a staff page)."""
    return dict(db.session.execute(
        select(Response.questionnaire_version, func.count()).group_by(Response.questionnaire_version)
    ).all())


def count_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyFile)) or 0


def init_app(app: Flask) -> None:
    """The live survey's stamp, and the start's check: seed an empty database from SURVEY_FILE, or
    refuse to start when it cannot be (its version answered with other questions, a changed kind)."""
    from app import database

    live.init_app(app)
    try:
        with app.app_context():
            ready = inspect(db.engine).has_table(SurveyFile.__tablename__)
        # Before `flask db upgrade`: seeded at the first request or command instead.
        refused = start_check(app) if ready else []
    except database.unavailable_errors(app) as error:
        # Not reachable now (the app still starts and shows its "try again" page): seeded later.
        app.logger.warning("Live survey not checked, database unavailable: %s", type(error).__name__)
        refused = []
    finally:
        with app.app_context():
            # No connection outlives the start: a server that forks workers after loading the app
            # must not share one, and an app refused here goes no further.
            db.engine.dispose()
    if refused:
        print(f"SURVEY_FILE={app.config['SURVEY_FILE']} cannot be stored as the live version:", *refused,
              "Give the file a new version (settings sheet, column version), or a changed question a new name,"
              " then start again.", sep="\n", file=sys.stderr)
        raise SystemExit(START_REFUSED)
