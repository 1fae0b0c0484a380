"""Fixtures: an app on a fresh database built by the real migrations, a test client, a CLI runner."""

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db
from tests.helpers import Respondent

# Set (by `make test`, through .ci/with-postgres) to run every test on PostgreSQL instead of
# SQLite files; each app then starts from an empty schema, migrated as in production.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _empty_postgres_schema(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def make_app(tmp_path):
    """Build an app with overrides; each gets its own fresh SQLite database unless one is given.

    With TEST_DATABASE_URL set, the database is that PostgreSQL one instead, emptied for each test.
    """
    built = []
    emptied = False

    def build(**overrides):
        nonlocal emptied
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "STAFF_LOCK_DIR": str(tmp_path / "locks"),  # the sign-in cap's lock files go with the test
            "STAFF_REFUSAL_PAUSE_MS": 0,  # tests of the pause set it
        }
        config.update(overrides)
        if TEST_DATABASE_URL and config["SQLALCHEMY_DATABASE_URI"] == TEST_DATABASE_URL and not emptied:
            _empty_postgres_schema(TEST_DATABASE_URL)  # once per test: apps in one test share it
            emptied = True
        app = create_app(config)
        built.append(app)
        with app.app_context():
            upgrade()
        return app

    yield build
    # Close pooled connections, so PostgreSQL's connection limit and open files never run out.
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def respondent(client):
    """A member of the public working through the survey (with real CSRF tokens)."""
    return Respondent(client)
