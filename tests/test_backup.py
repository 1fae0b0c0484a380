"""Backups restore to the same data: the commands docs/operators.md gives, run against a live app, and the
restored database's CSV export compared byte for byte with the original's.

The suite runs once on SQLite files and once on PostgreSQL (TEST_DATABASE_URL, see tests/conftest.py);
each run tests the backup of the database it uses, and says the other half does not apply.
"""

import shutil
import sqlite3
import subprocess
from glob import glob
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db
from app.questionnaire import QUESTIONNAIRE
from app.staff.exports.csv import export_chunks
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import Respondent, release_today

RESTORED = "survey_restored"


def _export(app) -> bytes:
    with app.test_request_context("/staff/export.csv"):
        return b"".join(export_chunks(QUESTIONNAIRE))


def _answered(make_app, **overrides):
    """An app with released responses and an answer in progress, as a live service has."""
    app = make_app(**overrides)
    for language in ("en", "ur", "pl"):
        respondent = Respondent(app.test_client())
        respondent.complete(language=language)
        respondent.submit()
    release_today(app)
    Respondent(app.test_client()).start()  # a draft, still open while the backup runs
    export = _export(app)
    assert export.count(b"\r\n") == 4, export  # the header and three responses
    return app, export


def _restored_app(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url})


def _sqlite_path(app) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="this run uses PostgreSQL; the SQLite run tests this")
def test_sqlite_online_backup_restores_the_same_export(make_app, tmp_path):
    app, export = _answered(make_app)
    live = _sqlite_path(app)
    with app.app_context():
        db.session.execute(text("SELECT 1 FROM responses LIMIT 1"))  # the app holds a connection meanwhile
        # docs/operators.md, "Backups and restores": the online backup API, safe while the service runs.
        source, target = sqlite3.connect(live), sqlite3.connect(tmp_path / "backup.sqlite3")
        with target:
            source.backup(target)
        source.close()
        target.close()
        db.session.remove()
    restored = tmp_path / "restored" / "survey.sqlite3"
    restored.parent.mkdir()
    shutil.copy(tmp_path / "backup.sqlite3", restored)  # the restore: the file put where DATABASE_URL points
    check = sqlite3.connect(restored)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    again = _restored_app(f"sqlite:///{restored}")
    try:
        assert _export(again) == export
    finally:
        with again.app_context():
            db.engine.dispose()


def _postgres_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    assert found, f"{name} is missing: Debian's postgresql-client has it"
    return found


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and psql take it (no "+psycopg")."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.skipif(TEST_DATABASE_URL is None, reason="this run uses SQLite; the PostgreSQL run tests this")
def test_postgres_dump_restores_the_same_export(make_app, tmp_path):
    app, export = _answered(make_app)
    dump = tmp_path / "survey.dump"
    # docs/operators.md, "Backups and restores": pg_dump while the service runs, pg_restore into a new database.
    subprocess.run([_postgres_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}",
                    f"--dbname={_libpq(TEST_DATABASE_URL)}"], check=True, capture_output=True, timeout=120)
    admin = create_engine(TEST_DATABASE_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {RESTORED}"))
        connection.execute(text(f"CREATE DATABASE {RESTORED}"))
    restored_url = make_url(TEST_DATABASE_URL).set(database=RESTORED).render_as_string(hide_password=False)
    again = None
    try:
        subprocess.run([_postgres_tool("pg_restore"), "--no-owner", f"--dbname={_libpq(restored_url)}", str(dump)],
                       check=True, capture_output=True, timeout=120)
        again = _restored_app(restored_url)
        assert _export(again) == export
    finally:
        if again is not None:
            with again.app_context():
                db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {RESTORED}"))
        admin.dispose()
