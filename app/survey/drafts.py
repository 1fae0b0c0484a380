"""Answers in progress, kept on the server. Plain functions, testable without HTTP.

The respondent's cookie holds only a random token; the database holds its SHA-256, so a copy of
the database cannot be used to take over anyone's session.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, update

from app.extensions import db
from app.models import Answer, Draft, Response
from app.questionnaire.engine import answer_rows, prune
from app.questionnaire.model import Questionnaire


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _expiry(idle_minutes: int) -> datetime:
    # Rounded to the minute: the expiry needs no more precision, so none is kept.
    return (_now() + timedelta(minutes=idle_minutes)).replace(second=0, microsecond=0)


def start_draft(idle_minutes: int) -> str:
    """Create an empty draft and return the token for the respondent's cookie."""
    purge_expired_drafts()  # cheap, indexed; keeps the table small without a scheduler
    token = secrets.token_urlsafe(32)
    db.session.add(Draft(id=_key(token), answers={}, expires_at=_expiry(idle_minutes)))
    db.session.commit()
    return token


@dataclass(frozen=True)
class LiveDraft:
    """A draft as read at the start of a request; changes go back through the functions below."""

    id: str
    answers: dict
    submitted: bool
    expires_at: datetime


# Every page view reads one draft, so the read goes straight to the database driver on a pooled
# connection: under load SQLAlchemy's statement execution cost more CPU than the rest of a cached
# question page (bench/pages). Placeholders differ by driver: "?" for SQLite, "%s" for psycopg.
_READ_SQL = "SELECT answers, submitted, expires_at FROM drafts WHERE id = {}"
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def find_draft(token: str | None) -> LiveDraft | None:
    """The live draft for a token, or None when there is none or it has expired."""
    if not token:
        return None
    key = _key(token)
    engine = db.engine
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_READ_SQL.format(_PLACEHOLDERS[engine.dialect.paramstyle]), (key,))
        row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()  # back to the pool, rolled back
    if row is None:
        return None
    answers, submitted, expires_at = row
    # SQLite gives JSON and times back as text; psycopg gives a dict and a datetime.
    if isinstance(answers, str):
        answers = json.loads(answers)
    if isinstance(expires_at, str):
        expires_at = datetime.fromisoformat(expires_at)
    draft = LiveDraft(key, answers or {}, bool(submitted), _aware(expires_at))
    if draft.expires_at <= _now():
        discard_draft(token)
        return None
    return draft


def save_answers(draft: LiveDraft, answers: dict, idle_minutes: int) -> None:
    _update(draft, answers=answers, expires_at=_expiry(idle_minutes))


def touch(draft: LiveDraft, idle_minutes: int) -> None:
    """Reading a page counts as activity, but only write when the expiry actually moves."""
    expiry = _expiry(idle_minutes)
    if expiry > draft.expires_at:
        _update(draft, expires_at=expiry)


def _update(draft: LiveDraft, **values) -> None:
    db.session.execute(
        update(Draft).where(Draft.id == draft.id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()


def submit_draft(draft: LiveDraft, questionnaire: Questionnaire, language: str, today) -> bool:
    """Turn a draft into a response, exactly once, in one transaction.

    The conditional UPDATE claims the draft: a second submit (a double tap, a resend, another
    server) finds it already claimed and changes nothing. The response gets a new random id and
    the draft keeps no answers and no link to it.
    """
    answers = prune(questionnaire, draft.answers)
    claimed = db.session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.submitted.is_(False))
        .values(submitted=True, answers={})
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return False
    response = Response(
        id=secrets.token_hex(16),
        submitted_on=today,
        language=language,
        questionnaire_version=questionnaire.version,
    )
    response.answers = [Answer(question_id=qid, value=value) for qid, value in answer_rows(questionnaire, answers)]
    db.session.add(response)
    db.session.commit()
    return True


def discard_draft(token: str | None) -> None:
    if token:
        db.session.execute(
            delete(Draft).where(Draft.id == _key(token)).execution_options(synchronize_session=False)
        )
        db.session.commit()


def purge_expired_drafts() -> int:
    """Delete every draft past its expiry; returns how many."""
    deleted = db.session.execute(
        delete(Draft).where(Draft.expires_at <= _now()).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return deleted
