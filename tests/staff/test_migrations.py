"""The migrations build the same schema as the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db

STAFF_TABLES = {"staff_users", "staff_sessions", "staff_recovery_codes", "staff_audit_events"}


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_staff_migrations_downgrade_cleanly(app):
    with app.app_context():
        downgrade(revision="0001")
        assert not (STAFF_TABLES | {"staff_sign_in_failures"}) & set(inspect(db.engine).get_table_names())
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert STAFF_TABLES <= tables and "staff_sign_in_failures" not in tables


def test_upgrading_keeps_accounts_and_forgets_text_typed_for_unknown_usernames(app):
    with app.app_context():
        downgrade(revision="0003")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO staff_users (username, password_hash, active, session_version) VALUES ('kim', 'x', true, 3)"
            ))
            connection.execute(text(
                "INSERT INTO staff_audit_events (occurred_at, actor, action, details) VALUES "
                "('2026-06-01 10:00:00', 'my secret password', 'sign_in_failed', '{\"reason\": \"unknown_user\"}'),"
                "('2026-06-01 10:01:00', 'kim', 'sign_in_failed', '{\"reason\": \"wrong_password\"}')"
            ))
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT username, role, totp_secret FROM staff_users")).all() == [("kim", "analyst", None)]
            actors = connection.execute(text("SELECT actor FROM staff_audit_events ORDER BY id")).scalars().all()
        assert actors == [None, "kim"]
