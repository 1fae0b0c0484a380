"""Fixtures: an app on a fresh database built by the real migrations, a test client, a CLI runner."""

import pytest
from flask_migrate import upgrade

from app import create_app
from tests.helpers import Respondent


@pytest.fixture
def make_app(tmp_path):
    """Build an app with overrides; each gets its own fresh SQLite database unless one is given."""

    def build(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        }
        config.update(overrides)
        app = create_app(config)
        with app.app_context():
            upgrade()
        return app

    return build


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
