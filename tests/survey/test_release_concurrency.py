"""Two releasers at once (two servers' first requests after midnight, or a request and the command),
each on its own connection: every held response is released exactly once, and no transaction
releases fewer than the minimum (app/survey/release.py: PostgreSQL's advisory lock, SQLite's write lock)."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app import counts
from app.extensions import db
from app.models import Answer, PendingResponse, Response
from app.survey import release

DAY = date(2026, 6, 8)
HELD = 120


def test_two_releasers_at_once_release_every_response_exactly_once(app, monkeypatch):
    monkeypatch.setattr(release, "CHUNK", 7)  # many transactions, so the two interleave
    with app.app_context():
        for index in range(HELD):
            release.hold(DAY, "en", "v", [("area", "walsall"), ("difference_text", f"marker-{index}")])
        db.session.commit()
        db.session.remove()
    chunks = []
    of_responses = release.counts.of_responses
    monkeypatch.setattr(release.counts, "of_responses", lambda rows: chunks.append(len(rows)) or of_responses(rows))
    start = threading.Barrier(2)
    released, failures = [], []

    def releaser():
        with app.app_context():  # its own session, so its own connection
            try:
                start.wait(timeout=30)
                released.append(release.release_ended_days(DAY + timedelta(days=1), minimum=5))
            except Exception as error:  # reported below, not lost in the thread
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=releaser) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == [] and len(released) == 2
    assert sum(released) == HELD
    assert min(chunks) >= 5 and sum(chunks) == HELD
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == HELD
        assert db.session.scalar(select(func.count()).select_from(PendingResponse)) == 0
        markers = db.session.scalars(select(Answer.value).where(Answer.question_id == "difference_text")).all()
        assert sorted(markers) == sorted(f"marker-{index}" for index in range(HELD))  # none twice, none lost
        assert counts.kept() == counts.fresh()
        db.session.remove()


def test_nothing_is_released_while_another_releaser_holds_the_lock(make_app):
    """PostgreSQL: a releaser that finds the advisory lock taken leaves the work to its holder at
    once. SQLite: the write lock is taken before anything is read, so it waits (here past a short
    busy timeout, and fails) rather than reading what the other is releasing."""
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=100)
    with app.app_context():
        for index in range(10):
            release.hold(DAY, "en", "v", [("area", "walsall")])
        db.session.commit()
        other = db.engine.connect()  # the other releaser, in the middle of its transaction
        try:
            if other.dialect.name == "postgresql":
                other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": release.LOCK_KEY})
                assert release.release_ended_days(DAY + timedelta(days=1), minimum=5) == 0
            else:
                other.exec_driver_sql("BEGIN IMMEDIATE")
                with pytest.raises(OperationalError):
                    release.release_ended_days(DAY + timedelta(days=1), minimum=5)
                db.session.rollback()
            assert release.waiting_count() == 10
        finally:
            other.rollback()
            other.close()
        assert release.release_ended_days(DAY + timedelta(days=1), minimum=5) == 10
        db.session.remove()
