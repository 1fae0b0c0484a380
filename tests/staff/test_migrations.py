"""The migrations build the same schema as the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_staff_migration_downgrades_cleanly(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    with app.app_context():
        downgrade(revision="0001")
        assert not {"staff_users", "staff_sign_in_failures", "staff_audit_events"} & set(inspect(db.engine).get_table_names())
        upgrade()
        assert {"staff_users", "staff_sign_in_failures", "staff_audit_events"} <= set(inspect(db.engine).get_table_names())
