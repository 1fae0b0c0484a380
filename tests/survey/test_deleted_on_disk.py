"""Deleted means deleted on disk: after "Exit this page" or expiry, a draft's answers are in no byte
of the database files (SQLite's main file, WAL and shared-memory index), not only gone from its tables.

On PostgreSQL the files are the server's (docs/security.md says what stays and for how long); there the
tables are checked.
"""

import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Draft
from tests.helpers import FULL_ANSWERS, Respondent, stored_values


def database_bytes(app) -> bytes | None:
    """Every byte of the SQLite database's files, or None on another database."""
    with app.app_context():
        engine = db.engine
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        db.session.remove()
    if path is None:
        return None
    return b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
                    if Path(f"{path}{suffix}").exists())


def respondent_with_marker(app) -> tuple[Respondent, str]:
    """A respondent who typed a marker early on and then saved every later page (many copies of the draft)."""
    marker = f"typed{secrets.token_hex(8)}"
    respondent = Respondent(app.test_client())
    last = respondent.complete({**FULL_ANSWERS, "difference_text": marker, "gender_self_described": marker})
    assert last.headers["Location"] == "/check"
    files = database_bytes(app)
    assert files is None or marker.encode() in files  # it was there, so its absence below means something
    assert marker in "".join(stored_values(app))
    return respondent, marker


def assert_gone(app, marker: str) -> None:
    assert marker not in "".join(stored_values(app))
    files = database_bytes(app)
    if files is not None:
        assert marker.encode() not in files


def test_exit_leaves_no_byte_of_the_draft(app):
    respondent, marker = respondent_with_marker(app)
    assert respondent.client.get("/exit").status_code == 303
    assert_gone(app, marker)


@pytest.mark.parametrize("how", ["next page view", "purge"])
def test_expiry_leaves_no_byte_of_the_draft(app, how):
    respondent, marker = respondent_with_marker(app)
    with app.app_context():
        db.session.execute(update(Draft).values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        db.session.commit()
        db.session.remove()
    if how == "purge":
        result = app.test_cli_runner().invoke(args=["drafts", "purge"])
        assert result.output == "Deleted 1 expired drafts.\n"
    else:
        assert "were deleted" in respondent.client.get("/question/1").get_data(as_text=True)
    assert_gone(app, marker)


def test_sending_leaves_no_draft_and_no_copy_of_it_in_the_log(app):
    """Sent answers are kept, as the response; the draft's own copies (with its expiry) are not."""
    respondent, marker = respondent_with_marker(app)
    respondent.submit()
    with app.app_context():
        assert db.session.query(Draft).count() == 0
        path = db.engine.url.database if db.engine.dialect.name == "sqlite" else None
        db.session.remove()
    if path is not None:
        wal = Path(f"{path}-wal")
        assert not wal.exists() or marker.encode() not in wal.read_bytes()
