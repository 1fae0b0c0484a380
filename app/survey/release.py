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

import logging
import random
import secrets
import time
from datetime import date, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from app.config import LONDON
from app.database import forget_deleted
from app.extensions import db
from app.models import Answer, PendingResponse, Response
from app.survey.state import now_london

_shuffle = random.SystemRandom().shuffle
log = logging.getLogger(__name__)


def release_ended_days(today: date) -> int:
    """Move every held response sent before `today` into the responses table; returns how many.

    One transaction: either a day's responses all appear, or none do and they stay held.
    """
    held = db.session.execute(
        delete(PendingResponse)
        .where(PendingResponse.submitted_on < today)
        .returning(
            PendingResponse.submitted_on,
            PendingResponse.language,
            PendingResponse.questionnaire_version,
            PendingResponse.answers,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not held:
        db.session.rollback()
        return 0
    _shuffle(held)
    responses, answers = [], []
    for row in held:
        response_id = secrets.token_hex(16)
        responses.append(
            {
                "id": response_id,
                "submitted_on": row.submitted_on,
                "language": row.language,
                "questionnaire_version": row.questionnaire_version,
            }
        )
        answers.extend(
            {"response_id": response_id, "question_id": question_id, "value": value}
            for question_id, value in row.answers
        )
    db.session.execute(insert(Response), responses)
    if answers:
        db.session.execute(insert(Answer), answers)
    db.session.commit()
    forget_deleted()  # the held rows' copies in SQLite's WAL were in the order they were sent
    return len(held)


def waiting_count() -> int:
    """How many responses are held, waiting for their day to end."""
    return db.session.scalar(select(func.count()).select_from(PendingResponse)) or 0


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
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("Releasing the responses of ended days failed; they stay held and are tried again.")
        return
    state["next"] = _next_midnight(now)


def init_app(app: Flask) -> None:
    app.extensions["response_release"] = {"next": 0.0}
    app.before_request(release_if_due)
