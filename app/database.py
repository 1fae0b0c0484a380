"""Database engine settings: SQLite tuned for many small concurrent writes; PostgreSQL as it comes.

SQLite (the default, one machine):
- WAL journal: readers never wait for the writer, and a commit appends to the log instead of
  rewriting pages.
- synchronous (SQLITE_SYNCHRONOUS, default FULL): in WAL mode FULL syncs the log on every commit,
  so a response the respondent saw confirmed survives a power cut or kernel crash as well as a
  killed process. NORMAL syncs only at checkpoints: still safe from a killed process and never
  corrupt, but a power cut can lose the last commits. See docs/operators.md for the measured cost.
- busy_timeout: a writer waits for the lock instead of failing with "database is locked".
- foreign_keys: SQLite leaves them off unless asked, per connection.
- secure_delete: deleted rows are overwritten with zeros, not just marked free, so an exited or
  expired draft's answers are gone from the file. Their older copies in the WAL are removed by
  forget_deleted(), which checkpoints the log into the main file and truncates it.

Connections stay open in SQLAlchemy's QueuePool (the default for a file database), so these
pragmas run once per connection, not once per request.

Python's sqlite3 module (before 3.12's autocommit attribute) opens a transaction only just before
the first INSERT, UPDATE or DELETE, and runs reads outside one. A write transaction therefore takes
the write lock with its first statement, as BEGIN IMMEDIATE would, and never has to upgrade a read
snapshot to a write (the case that fails at once with SQLITE_BUSY whatever the busy timeout).
`bench/respondents` measures this under load: no "database is locked".
"""

import logging

from flask import Flask
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Engine

from app.extensions import db

SYNCHRONOUS_LEVELS = {"OFF", "NORMAL", "FULL", "EXTRA"}
CHECKPOINT_WAIT_MS = 250


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy, keeping query parameters (answers) out of errors and logs."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # SQLAlchemy puts the parameters of a failed statement in the exception text, which ends up in
    # the error log; parameters are answers, so never show them.
    options.setdefault("hide_parameters", True)
    if not str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        # A server restart leaves every pooled connection dead; test each one as it is checked out
        # (one round trip) so the first requests after the database is back do not fail.
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, app.config)


def _tune_sqlite(engine: Engine, config) -> None:
    synchronous = str(config.get("SQLITE_SYNCHRONOUS") or "FULL").upper()
    if synchronous not in SYNCHRONOUS_LEVELS:
        raise RuntimeError(f"SQLITE_SYNCHRONOUS must be one of {sorted(SYNCHRONOUS_LEVELS)}.")
    busy_ms = int(config.get("SQLITE_BUSY_TIMEOUT_MS") or 10_000)
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
        finally:
            cursor.close()


def unavailable_errors(app: Flask) -> tuple[type[BaseException], ...]:
    """The errors that mean "the database cannot be used just now", not "this request is wrong".

    SQLAlchemy wraps the driver's errors for statements it runs; the draft read goes to the driver
    directly (app/survey/drafts.py), so the driver's own classes count too. SQLite's "database is
    locked" (past the busy timeout) and "database or disk is full" are OperationalErrors.
    """
    with app.app_context():
        driver = db.engine.dialect.loaded_dbapi
    return (
        exc.OperationalError,
        exc.InterfaceError,
        exc.TimeoutError,  # every pooled connection busy for pool_timeout seconds
        driver.OperationalError,
        driver.InterfaceError,
    )


def forget_deleted() -> None:
    """After deleting a draft: move the WAL into the main file and truncate it, on SQLite.

    Each saved page of a draft appended a copy of its row to the WAL; secure_delete zeroes the row
    in the database pages, and this removes the copies in the log. Run outside a transaction, after
    the commit. A checkpoint that cannot finish at once (a long read elsewhere) leaves the log for
    the next one; it never fails the request. On PostgreSQL, see docs/security.md (vacuum, WAL retention).
    """
    engine = db.engine
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        busy_ms = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        # Wait briefly for other readers and writers, never the full busy timeout of a write.
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cursor.close()
    finally:
        connection.close()


def compact_postgres(tables: tuple[str, ...]) -> None:
    """On PostgreSQL: rewrite these tables into new files (VACUUM FULL), so deleted rows' bytes leave them.

    PostgreSQL has no secure_delete: a deleted row stays in its page, readable with pageinspect,
    until the space is reused; plain VACUUM only marks it free. Run once a day, after the release,
    on small tables (drafts, the held responses), it takes their lock for milliseconds. A failure
    (not the tables' owner, say) is logged and changes nothing else.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM FULL {', '.join(tables)}"))
    except Exception:  # housekeeping: never fail the request or command that triggered it
        logging.getLogger(__name__).warning("VACUUM FULL of %s failed.", ", ".join(tables))


def check_database() -> bool:
    """True when the database answers a trivial query (for /healthz)."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
        return True
    except Exception:  # any failure means "not healthy"; the load balancer needs no details
        db.session.rollback()
        return False
