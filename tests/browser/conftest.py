"""Real-browser fixtures: live servers on fresh databases and one headless Debian Chromium per session.

Nothing here is ever skipped: a missing browser or axe-core fails the run with the command that
installs it, so a green CI always means the checks really ran.
"""

import os
import re
import shutil
import subprocess
import tempfile
import threading

import pytest
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from tests.browser.checks import AXE_PATH, DESKTOP

# Never let Playwright fetch a browser of its own: the tests drive Debian's chromium.
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"

CHROMIUM = "/usr/bin/chromium"
# axe-core 4.10 and Playwright's CDP client need a current Chromium; Debian's security updates keep its
# package current (156 when this was written). An older one fails here, saying so, not in odd ways later.
CHROMIUM_MINIMUM = 120
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

collect_ignore = ["node_modules"]


class _QuietHandler(WSGIRequestHandler):
    """The live server's request log would only repeat what the tests already say."""

    def log_request(self, *args, **kwargs):
        pass


class LiveServer:
    """An app served over real HTTP on 127.0.0.1 (a free port) from a daemon thread."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def serve_app(tmp_path_factory):
    """Build and serve an app with config overrides, each on its own fresh database.

    Usage: `server = serve_app(SURVEY_CLOSES=...)`; then `server.url` and `server.app`.
    Same pattern as the `make_app` fixture of tests/conftest.py, but lasting the whole session.
    """
    servers = []

    def serve(**overrides) -> LiveServer:
        database = tmp_path_factory.mktemp("browser-db") / "test.sqlite3"
        config = {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
        config.update(overrides)
        app = create_app(config)
        with app.app_context():
            upgrade()
        server = LiveServer(app)
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def survey_server(serve_app) -> LiveServer:
    """The survey with default settings (open, 60 minute drafts)."""
    return serve_app()


@pytest.fixture(scope="session")
def playwright_driver():
    """The one Playwright driver of the session: its sync API allows only one at a time per thread."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is missing ({CHROMIUM}): run `make browser-deps`.")
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False).stdout
    major = re.search(r"(\d+)\.\d+\.\d+", version)
    if not major or int(major[1]) < CHROMIUM_MINIMUM:
        pytest.fail(f"Chromium {CHROMIUM_MINIMUM} or newer is needed, found {version.strip()!r}: "
                    "`apt-get update && apt-get install chromium chromium-driver`.")
    if not AXE_PATH.is_file():
        pytest.fail("axe-core is missing (tests/browser/node_modules): run `make browser-deps`.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: install the test extra (`make test` does).")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser_context(playwright_driver):
    """Headless Debian Chromium with a fresh temporary profile, shared by the whole session."""
    profile = tempfile.mkdtemp(prefix="survey-chromium-")
    try:
        context = playwright_driver.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,  # Playwright adds --user-data-dir for the profile
            viewport=DESKTOP,
            service_workers="block",
        )
        yield context
        context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser_page(browser_context):
    """A fresh tab with no cookies: a new respondent on a desktop-sized screen."""
    browser_context.clear_cookies()
    page = browser_context.new_page()
    page.set_viewport_size(DESKTOP)
    yield page
    page.close()

