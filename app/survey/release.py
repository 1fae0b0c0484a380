"""Holding today's responses, and releasing them in batches of at least RELEASE_MIN_RESPONSES.

Why hold: a response that reached the responses table (and so the exports and summaries) as it
was sent could be dated to the hour by comparing two exports, and ordered by where it lies in the
database. Held until its day ends (Europe/London), it joins the other held responses in random
order and under a new random id: from then on nothing tells it apart from its batch but its answers.

Why a minimum: the dashboard's counts change only at a release, and every page protects its own
counts (suppression below STAFF_SUPPRESSION_THRESHOLD). A viewer who reads every page just before
and just after a release sees which counts went up; if one response was released, that is one
person's whole set of answers. So a release happens only when at least RELEASE_MIN_RESPONSES
(default: the suppression threshold) responses of ended days wait; a quiet day's responses wait
for the days that bring the batch to the minimum.

Which day a released response records: the batch's last day, the day before its release (or the
survey's last day once it has closed), for every response of the batch. The other choice, each
response keeping its own day, would let the export's day column (or an export filtered by one
day) single out the one response of a quiet day, and give its day to whoever knows who answered
on it; the batch's day is shared by at least the minimum of responses, so nothing anyone sees
(dashboard, summaries, exports) ever tells apart fewer than that. A response never records a day
before it was sent. The cost is that a quiet day's responses carry a later day.

Transactions: a release moves at most CHUNK responses per transaction (memory stays bounded, and
on SQLite no respondent waits on the write lock for longer than one chunk). Each chunk is at least
the minimum (the last takes what would otherwise be left below it) and is a random subset of the
batch, the held ids being random: comparing the pages between two chunks singles out nobody and
orders nothing. One releaser at a time across every server: PostgreSQL's transaction-level
advisory lock (a process that finds it taken leaves the work to the one holding it); on SQLite a
lock file beside the database (the same), and the write lock taken before anything is read (BEGIN
IMMEDIATE). Rows are claimed by deleting them, so each is released once. On SQLite a releaser
pauses after each chunk as long as the chunk took, so respondents' writes wait at most one chunk.

When: a request that notices a release is due (the first after midnight, in each process) checks
with one indexed query whether anything of an ended day is held, and if so releases it in a thread
of its own: no respondent's request waits for it. `flask --app wsgi responses release` does the
same at once. After the survey closes, a remainder below the minimum stays held until an operator
decides: `responses release --below-minimum` or `responses discard-held` (both audited).
"""

import fcntl
import json
import logging
import os
import random
import secrets
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, insert, select, text

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
# Responses released per transaction: about half a megabyte of held rows in memory, and
# (bench/release) a fraction of a second of SQLite's write lock.
CHUNK = 500
# Any fixed number: the key of the PostgreSQL advisory lock only releasers take.
LOCK_KEY = 0x52454C45415345  # "RELEASE"
RETRY_SECONDS = 60  # after a failure, or while another process holds the lock


def hold(today: date, language: str, version: str, rows: list[tuple[str, str]]) -> None:
    """Add a response to the holding table (in the caller's transaction), under a random id."""
    held_id = secrets.token_hex(16)
    text_ = json.dumps([list(row) for row in rows])  # ASCII: non-ASCII text is escaped
    for part, start in enumerate(range(0, len(text_), PIECE_LENGTH)):
        db.session.add(
            PendingResponse(
                id=held_id,
                part=part,
                submitted_on=today,
                language=language,
                questionnaire_version=version,
                answers=text_[start : start + PIECE_LENGTH],
            )
        )


def release_ended_days(today: date, minimum: int = 1) -> int:
    """Release every response held from before `today` if at least `minimum` of them wait; returns how many.

    The caller's session must have no transaction open. minimum=1 releases whatever is held (the
    tests' "as after midnight", and `release --below-minimum`); the due release passes
    RELEASE_MIN_RESPONSES. Stops early, leaving the rest to it, when another process is releasing.
    """
    return _release(today, minimum)[0]


def _release(today: date, minimum: int) -> tuple[int, bool]:
    """(responses released, whether this process saw the work through rather than finding it taken)."""
    day = batch_day(today)
    released = 0
    with _sole_releaser() as sole:
        chunk = 0 if sole else None
        while sole:
            began = time.monotonic()
            chunk = _release_chunk(today, max(minimum, 1), day)
            if not chunk:
                break
            released += chunk
            if db.engine.dialect.name == "sqlite":
                # One writer at a time: leave the write lock to respondents for as long as a chunk held it.
                time.sleep(time.monotonic() - began)
    if released:
        forget_deleted()  # the held rows' copies in SQLite's WAL were in the order they were sent
        # PostgreSQL's heap keeps deleted rows until their space is reused: the held rows were in
        # the order they were sent, and exited drafts held answers.
        compact_postgres(("pending_responses", "drafts", "sent_drafts"))
    return released, chunk is not None


@contextmanager
def _sole_releaser():
    """SQLite: True if no other process or thread is releasing (a lock file beside the database, held
    for the whole release so its pauses are respondents', not another releaser's). PostgreSQL: True;
    its advisory lock is taken per transaction."""
    database = db.engine.url.database
    if db.engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        yield True
        return
    # The service's own file, never a link planted in its place (O_NOFOLLOW), readable by no one else:
    # whoever could open it could hold the lock, and no release would ever run.
    descriptor = os.open(f"{database}-release.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def batch_day(today: date) -> date:
    """The day a batch released on `today` records: the day before, or the survey's last day once closed."""
    day = today - timedelta(days=1)
    from app.surveys import live

    closes = live.dates()[1]
    if closes is not None:
        # The closing moment is the first moment the survey is closed: its last day is the one before that moment.
        day = min(day, (closes - timedelta(microseconds=1)).astimezone(LONDON).date())
    return day


def _ended(today: date):
    return PendingResponse.submitted_on < today


def _take_lock() -> bool:
    """Make this transaction the only release running; False when another process holds it (PostgreSQL)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}).scalar())
    # SQLite: take the write lock before reading what to release, so a second releaser reads only
    # after the first has committed (it waits up to the busy timeout, then finds what is left).
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True


def _release_chunk(today: date, minimum: int, day: date) -> int | None:
    """Release one chunk in one transaction; its size, 0 when fewer than `minimum` wait, None when busy."""
    if not _take_lock():
        db.session.rollback()
        return None
    waiting = db.session.scalar(select(func.count(func.distinct(PendingResponse.id))).where(_ended(today))) or 0
    if waiting < minimum:
        db.session.rollback()
        return 0
    size = waiting if waiting - CHUNK < minimum else CHUNK  # never leave fewer than the minimum behind
    # The lowest held ids: random ones, so a random part of the batch.
    chosen = select(PendingResponse.id).where(_ended(today)).group_by(PendingResponse.id).order_by(PendingResponse.id).limit(size)
    pieces = db.session.execute(
        delete(PendingResponse)
        .where(PendingResponse.id.in_(chosen.scalar_subquery()))
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
        on = max(day, first.submitted_on)  # never a day before it was sent (a closing date moved earlier)
        responses.append(
            {"id": response_id, "submitted_on": on, "language": first.language, "questionnaire_version": first.questionnaire_version}
        )
        rows = json.loads("".join(piece.answers for piece in response_parts))
        released.append((on, rows))
        answers.extend({"response_id": response_id, "question_id": q, "value": v} for q, v in rows)
    # Core inserts: the ORM's bulk path took longer than SQLite's own work (bench/release).
    db.session.connection().execute(insert(Response.__table__), responses)
    if answers:
        db.session.connection().execute(insert(Answer.__table__), answers)
    counts.add(counts.of_responses(released))  # the dashboard's counts move with the responses
    db.session.commit()
    return len(held)


def release_due() -> int:
    """Release what is due now under RELEASE_MIN_RESPONSES (the request's thread and the command)."""
    return _release(now_london().date(), current_app.config["RELEASE_MIN_RESPONSES"])[0]


def discard_ended(today: date) -> int:
    """Delete every response held from before `today`, unreleased; returns how many (the caller audits)."""
    held = waiting_count(today)
    db.session.execute(delete(PendingResponse).where(_ended(today)))
    db.session.commit()
    forget_deleted()
    compact_postgres(("pending_responses",))
    return held


def waiting_count(before: date | None = None) -> int:
    """How many responses are held (sent before `before`, if given). Never shown on a page."""
    query = select(func.count(func.distinct(PendingResponse.id)))
    if before is not None:
        query = query.where(_ended(before))
    return db.session.scalar(query) or 0


def _next_midnight(now: datetime) -> float:
    tomorrow = now.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=LONDON).timestamp()


def release_if_due() -> None:
    """Before each request: a comparison of two numbers, and once a day per process one indexed
    query; if responses of an ended day are held, the release starts in a thread of its own.

    A database that is down leaves the responses held, and a request a minute later tries again;
    the request itself goes on (nothing is lost, and no page fails because of this).
    """
    state = current_app.extensions["response_release"]
    if time.time() < state["next"]:
        return
    with state["lock"]:
        if time.time() < state["next"]:
            return
        state["next"] = time.time() + RETRY_SECONDS  # no other request of this process starts one meanwhile
        if state["thread"] is not None and state["thread"].is_alive():
            return  # a long release (minutes at 100,000 held) is still going: never a second thread
    now = now_london()
    try:
        due = db.session.scalar(select(PendingResponse.id).where(_ended(now.date())).limit(1)) is not None
    except Exception as error:  # a database outage above all; whatever it is, the page must still work
        db.session.rollback()
        log.warning("Checking for responses to release failed (%s); trying again later.", type(error).__name__)
        return
    if not due:
        state["next"] = _next_midnight(now)
        return
    app = current_app._get_current_object()
    state["thread"] = threading.Thread(target=_release_in_background, args=(app, now), name="response-release", daemon=True)
    state["thread"].start()


def _release_in_background(app: Flask, now: datetime) -> None:
    state = app.extensions["response_release"]
    with app.app_context():
        try:
            _, finished = _release(now.date(), app.config["RELEASE_MIN_RESPONSES"])
            if finished:  # else another process holds the lock: look again in a minute
                state["next"] = _next_midnight(now)
        except Exception as error:  # anything: the responses stay held and a later request tries again
            db.session.rollback()
            # The kind of error only: its text could quote held answers.
            log.warning("Releasing the ended days failed (%s); the responses stay held.", type(error).__name__)
        finally:
            db.session.remove()


def init_app(app: Flask) -> None:
    app.extensions["response_release"] = {"next": 0.0, "lock": threading.Lock(), "thread": None}
    app.before_request(release_if_due)
