"""Holding today's responses, and releasing a whole day's worth at once in random order.

Why: a response that reached the responses table (and so the exports and summaries) as it was
sent could be dated to the hour by comparing two exports, and ordered by where it lies in the
database. Held until its day ends (Europe/London), it joins all of that day's responses in one
transaction, in random order and under a new random id: from then on nothing tells it apart from
the others of its day but its answers.

No scheduler: the first request (or command) a process serves after midnight releases the days
that have ended; `flask --app wsgi responses release` does the same for operators. Two processes
releasing at once is safe: each claims rows by deleting them, so a row is released once.
"""

import json
import logging
import random
import secrets
import time
from datetime import date, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, insert, select

from app import counts
from app.config import LONDON
from app.database import compact_postgres, forget_deleted
from app.extensions import db
from app.models import Answer, PendingResponse, Response
from app.survey.state import now_london

_shuffle = random.SystemRandom().shuffle
log = logging.getLogger(__name__)
# A held response is stored in pieces of JSON this long (ASCII: one byte a character), so every
# row fits in its B-tree page: SQLite's limit for a WITHOUT ROWID row before overflow pages is
# about 1,000 bytes with 4 KB pages; PostgreSQL moves values over about 2 KB to TOAST.
PIECE_LENGTH = 600


def hold(today: date, language: str, version: str, rows: list[tuple[str, str]]) -> None:
    """Add a response to the holding table (in the caller's transaction), under a random id."""
    held_id = secrets.token_hex(16)
    text = json.dumps([list(row) for row in rows])  # ASCII: non-ASCII text is escaped
    for part, start in enumerate(range(0, len(text), PIECE_LENGTH)):
        db.session.add(
            PendingResponse(
                id=held_id,
                part=part,
                submitted_on=today,
                language=language,
                questionnaire_version=version,
                answers=text[start : start + PIECE_LENGTH],
            )
        )


def release_ended_days(today: date) -> int:
    """Move every held response sent before `today` into the responses table; returns how many.

    One transaction: either a day's responses all appear, or none do and they stay held.
    """
    pieces = db.session.execute(
        delete(PendingResponse)
        .where(PendingResponse.submitted_on < today)
        .returning(
            PendingResponse.id,
            PendingResponse.part,
            PendingResponse.submitted_on,
            PendingResponse.language,
            PendingResponse.questionnaire_version,
            PendingResponse.answers,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not pieces:
        db.session.rollback()
        return 0
    held: dict[str, list] = {}
    for piece in pieces:
        held.setdefault(piece.id, []).append(piece)
    parts = list(held.values())
    _shuffle(parts)
    responses, answers, released = [], [], []
    for response_parts in parts:
        response_parts.sort(key=lambda piece: piece.part)
        first = response_parts[0]
        response_id = secrets.token_hex(16)
        responses.append(
            {
                "id": response_id,
                "submitted_on": first.submitted_on,
                "language": first.language,
                "questionnaire_version": first.questionnaire_version,
            }
        )
        rows = json.loads("".join(piece.answers for piece in response_parts))
        released.append((first.submitted_on, rows))
        answers.extend(
            {"response_id": response_id, "question_id": question_id, "value": value}
            for question_id, value in rows
        )
    db.session.execute(insert(Response), responses)
    if answers:
        db.session.execute(insert(Answer), answers)
    counts.add(counts.of_responses(released))  # the dashboard's counts move with the responses
    db.session.commit()
    forget_deleted()  # the held rows' copies in SQLite's WAL were in the order they were sent
    # PostgreSQL's heap keeps deleted rows until their space is reused: the held rows were in
    # the order they were sent, and exited drafts held answers.
    compact_postgres(("pending_responses", "drafts", "sent_drafts"))
    return len(held)


def waiting_count() -> int:
    """How many responses are held, waiting for their day to end."""
    return db.session.scalar(select(func.count(func.distinct(PendingResponse.id)))) or 0


def _next_midnight(now: datetime) -> float:
    tomorrow = now.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=LONDON).timestamp()


def release_if_due() -> None:
    """Release the ended days once per process per day: a comparison of two numbers on other requests.

    A database that is down leaves the responses held, and the next request tries again; the
    request itself goes on (nothing is lost, and no page fails because of this).
    """
    state = current_app.extensions["response_release"]
    if time.time() < state["next"]:
        return
    now = now_london()
    try:
        release_ended_days(now.date())
    except Exception as error:  # a database outage above all; whatever it is, the page must still work
        db.session.rollback()
        # The kind of error only: its text could quote held answers.
        log.warning("Releasing the ended days failed (%s); the responses stay held.", type(error).__name__)
        return
    state["next"] = _next_midnight(now)


def init_app(app: Flask) -> None:
    app.extensions["response_release"] = {"next": 0.0}
    app.before_request(release_if_due)
