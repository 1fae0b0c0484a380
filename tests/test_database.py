"""Database settings: SQLite pragmas and pooling, concurrent writers, and no answers in the logs."""

import logging
import threading

import pytest
from sqlalchemy import text

from app.extensions import db
from app.survey.release import waiting_count
from tests.helpers import Respondent


def _is_sqlite(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


def test_sqlite_connections_use_wal_full_sync_busy_timeout_and_foreign_keys(app):
    if not _is_sqlite(app):
        pytest.skip("SQLite settings")
    with app.app_context():
        pragma = lambda name: db.session.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("busy_timeout") == 10_000
        assert pragma("foreign_keys") == 1


def test_synchronous_level_is_configurable(make_app):
    app = make_app(SQLITE_SYNCHRONOUS="normal")
    if not _is_sqlite(app):
        pytest.skip("SQLite settings")
    with app.app_context():
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_connections_are_kept_between_requests(app):
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
        db.session.connection()
        db.session.remove()
    opened = []

    def count(*_args):
        opened.append(1)

    event.listen(engine, "connect", count)
    try:
        seen = set()
        for _ in range(3):
            with app.app_context():
                seen.add(id(db.session.connection().connection.dbapi_connection))
                db.session.remove()
    finally:
        event.remove(engine, "connect", count)
    # Each context took a connection the pool already had (the live survey's stamp read keeps one
    # more in it): none was opened for them.
    assert opened == [] and len(seen) <= 2


def test_concurrent_respondents_all_get_stored(app):
    """Many threads submitting at once: every confirmed response is stored, none fails on a lock."""
    errors, done = [], []

    def respondent():
        try:
            person = Respondent(app.test_client())
            person.complete()
            if person.submit().status_code == 303:
                done.append(1)
        except Exception as error:  # reported below with the test's failure
            errors.append(error)

    threads = [threading.Thread(target=respondent) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(done) == 8
    with app.app_context():
        assert waiting_count() == 8


SECRET_ANSWER = "Unmistakable answer 7731"


def _make_draft_updates_fail(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(
                text("CREATE TRIGGER refuse BEFORE UPDATE ON drafts BEGIN SELECT RAISE(ABORT, 'refused'); END")
            )
        else:
            db.session.execute(text("ALTER TABLE drafts ADD CONSTRAINT refuse CHECK (answers::text NOT LIKE '%7731%') NOT VALID"))
        db.session.commit()


def test_a_failed_write_logs_no_answers(app, caplog):
    from app.questionnaire import QUESTIONNAIRE

    respondent = Respondent(app.test_client())
    respondent.start()
    for page in QUESTIONNAIRE.pages:
        if any(q.id == "difference_text" for q in page.questions):
            break
        respondent.answer(page.id)
    _make_draft_updates_fail(app)
    caplog.set_level(logging.DEBUG)
    response = respondent.answer(page.id, {"difference": ["lighting"], "difference_text": SECRET_ANSWER})
    assert response.status_code == 500  # the clear "problem with the service" page
    assert "Unhandled error" in caplog.text  # the failure is logged...
    assert SECRET_ANSWER not in caplog.text  # ...without the answer
    assert "lighting" not in caplog.text
