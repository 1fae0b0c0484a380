"""Answers in progress, kept on the server. Plain functions, testable without HTTP.

The respondent's cookie holds only a random token; the database holds its SHA-256, so a copy of
the database cannot be used to take over anyone's session. A draft gets a new token when its
first answer is saved and when "Start" continues it, so a cookie someone planted in another
person's browser stops working before it can show their answers.

A double tap sends its second request with the cookie the first one had (the browser drops the
first response, new cookie and all). So the retired token still finds the draft until the next
save with the new one; used, it moves the draft to yet another token, given to that request, and
retires both others. Someone holding a planted cookie could only use that short window to take the
draft over, which ends it for its owner (who then sees it gone), never to follow it unseen.

Sending the answers deletes the draft: the response waits in the holding table until its day ends
(app/survey/release.py), and only a hash of the token with a day's expiry remembers it was sent.
A discarded draft (exit, expiry, sent) is wiped from the database files too (database.forget_deleted).
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, select, update

from app.database import forget_deleted
from app.extensions import db
from app.models import Draft, SentDraft
from app.questionnaire.engine import answer_rows, prune
from app.questionnaire import versions
from app.questionnaire.model import Questionnaire
from app.survey import release
from app.survey.state import today_london


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sent_key(key: str) -> str:
    """The key that remembers a sent draft: another hash, so it is not the deleted draft's key."""
    return hashlib.sha256(f"sent:{key}".encode()).hexdigest()


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


def new_token(draft: "LiveDraft", idle_minutes: int, answers: dict | None = None) -> str | None:
    """Move the draft to a new token (saving `answers` too, when given); returns the new token.

    The old token finds the draft only until the next save (see above); one that was already an
    alias is retired at once. None when another request moved the draft first.
    """
    token = secrets.token_urlsafe(32)
    values = {
        "id": _key(token),
        "previous_id": None if draft.moved else draft.id,
        "expires_at": _expiry(idle_minutes),
    }
    if answers is not None:
        values["answers"] = answers
    moved = db.session.execute(
        update(Draft).where(Draft.id == draft.id).values(**values).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return token if moved else None


@dataclass(frozen=True)
class LiveDraft:
    """A draft as read at the start of a request; changes go back through the functions below."""

    id: str
    answers: dict
    expires_at: datetime
    moved: bool = False  # found by the token it had before its last new token


# Every page view reads one draft, so the read goes straight to the database driver on a pooled
# connection: under load SQLAlchemy's statement execution cost more CPU than the rest of a cached
# question page (bench/pages). Placeholders differ by driver: "?" for SQLite, "%s" for psycopg.
_READ_SQL = "SELECT id, answers, expires_at FROM drafts WHERE {} = {}"
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def find_draft(token: str | None) -> LiveDraft | None:
    """The live draft for a token, or None when there is none or it has expired."""
    if not token:
        return None
    key = _key(token)
    engine = db.engine
    placeholder = _PLACEHOLDERS[engine.dialect.paramstyle]
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_READ_SQL.format("id", placeholder), (key,))
        row = cursor.fetchone()
        moved = row is None
        if moved:  # rare: no draft, or a double tap's second request
            cursor.execute(_READ_SQL.format("previous_id", placeholder), (key,))
            row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()  # back to the pool, rolled back
    if row is None:
        return None
    key, answers, expires_at = row
    # SQLite gives JSON and times back as text; psycopg gives a dict and a datetime.
    if isinstance(answers, str):
        answers = json.loads(answers)
    if isinstance(expires_at, str):
        expires_at = datetime.fromisoformat(expires_at)
    draft = LiveDraft(key, answers or {}, _aware(expires_at), moved)
    if draft.expires_at <= _now():
        _discard(key)
        return None
    return draft


def save_answers(draft: LiveDraft, answers: dict, idle_minutes: int) -> None:
    # Saved with the current token: the one before it is retired.
    _update(draft, answers=answers, previous_id=None, expires_at=_expiry(idle_minutes))


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


def submit_draft(draft: LiveDraft, questionnaire: Questionnaire, language: str, today: date) -> bool:
    """Turn a draft into a response waiting for its day to end, exactly once, in one transaction.

    Deleting the draft claims it: a second submit (a double tap, a resend, another server) finds
    nothing to delete and changes nothing. The held response gets a new random id, and the draft
    leaves only SentDraft: a hash and a day.
    """
    answers = prune(questionnaire, draft.answers)
    claimed = db.session.execute(
        delete(Draft).where(Draft.id == draft.id).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return False
    release.hold(today, language, questionnaire.version, answer_rows(questionnaire, answers))
    versions.keep_with_response(questionnaire)  # no response without its version's definition
    # Kept through tomorrow, so the thank-you page still shows after midnight.
    db.session.add(SentDraft(id=_sent_key(draft.id), expires_on=today + timedelta(days=1)))
    db.session.commit()
    forget_deleted()
    return True


def was_sent(token: str | None, today: date) -> bool:
    """Whether the draft of this token was sent (and that is still remembered)."""
    if not token:
        return False
    expires_on = db.session.scalar(select(SentDraft.expires_on).where(SentDraft.id == _sent_key(_key(token))))
    db.session.rollback()  # end the read at once: SQLite's checkpoints wait for open reads
    return expires_on is not None and expires_on >= today


def discard_draft(token: str | None) -> None:
    """Delete the draft of this token (or of the token before it)."""
    draft = find_draft(token)
    if draft is not None:
        _discard(draft.id)


def _discard(key: str) -> None:
    deleted = db.session.execute(
        delete(Draft).where(Draft.id == key).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if deleted:
        forget_deleted()


def purge_expired_drafts(today: date | None = None) -> int:
    """Delete every draft past its expiry, and sent markers past theirs; returns how many drafts."""
    today = today or today_london()
    deleted = db.session.execute(
        delete(Draft).where(Draft.expires_at <= _now()).execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        delete(SentDraft).where(SentDraft.expires_on < today).execution_options(synchronize_session=False)
    )
    db.session.commit()
    if deleted:
        forget_deleted()
    return deleted
