"""One request a page, and no trace in the browser's cache, in a real Chromium.

Every request reaching the server is counted (a WSGI wrapper), so requests the browser makes on its
own (a favicon, a stylesheet, a revalidation) count too. Each profile is the test's own, so the
cache is looked at after the browser has closed, as someone picking up the phone later would.
"""

import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.questionnaire import QUESTIONNAIRE as Q
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _QuietHandler
from tests.browser.test_public_pages import fill_in, press
from tests.helpers import FULL_ANSWERS

pytestmark = pytest.mark.browser


class CountingServer:
    """The app on 127.0.0.1 with every request's method and path recorded."""

    def __init__(self, app):
        self.requests: list[str] = []

        def counted(environ, start_response):
            self.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
            return app(environ, start_response)

        self._server = make_server("127.0.0.1", 0, counted, threaded=True, request_handler=_QuietHandler)
        self.address = f"127.0.0.1:{self._server.server_port}"
        self.url = f"http://{self.address}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def counting_server(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}"})
    with app.app_context():
        upgrade()
    server = CountingServer(app)
    yield server
    server.stop()


@pytest.fixture
def fresh_browser(playwright_driver):
    """launch(profile) -> a persistent Chromium context on its own profile directory; closed by the caller."""
    profiles = []

    def launch():
        profile = Path(tempfile.mkdtemp(prefix="survey-trace-"))
        profiles.append(profile)
        context = playwright_driver.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, service_workers="block"
        )
        return profile, context

    yield launch
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


def cached_files_naming(profile: Path, address: str) -> list[str]:
    """Files in the profile's cache folders that hold the site's address."""
    found = []
    for folder in [p for p in profile.rglob("*") if p.is_dir() and "cache" in p.name.lower()]:
        for path in folder.rglob("*"):
            if path.is_file() and address.encode() in path.read_bytes():
                found.append(str(path.relative_to(profile)))
    return found


def test_every_page_view_is_one_request_and_nothing_is_cached(counting_server, fresh_browser):
    profile, context = fresh_browser()
    page = context.new_page()
    views = []  # (what the respondent did, the requests the server saw for it)

    def view(label, action, expected):
        before = len(counting_server.requests)
        action()
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # time for any request the browser makes after load (a favicon)
        views.append((label, counting_server.requests[before:], expected))

    view("open the start page", lambda: page.goto(counting_server.url + "/"), 1)
    view("open the help page", lambda: page.goto(counting_server.url + "/help"), 1)
    view("back to the start page", lambda: page.go_back(), 1)
    view("start (POST, then its redirect)", lambda: press(page), 2)
    while urlsplit(page.url).path.startswith("/question/"):
        number = int(urlsplit(page.url).path.rsplit("/", 1)[1])
        fill_in(page, Q.pages[number - 1].questions, FULL_ANSWERS)
        view(f"question {number} (POST, then its redirect)", lambda: press(page), 2)
    view("send (POST, then its redirect)", lambda: press(page), 2)
    view("reload the confirmation", lambda: page.reload(), 1)
    context.close()  # closed without "Exit this page"

    wrong = [(label, seen) for label, seen, expected in views if len(seen) != expected]
    assert not wrong, wrong
    assert not [r for r in counting_server.requests if "favicon" in r or "/static/" in r]
    assert cached_files_naming(profile, counting_server.address) == []


def test_the_cache_check_finds_a_cached_file(counting_server, fresh_browser):
    """The check above can fail: the staff sign-in page loads stylesheet files, which Chromium keeps."""
    profile, context = fresh_browser()
    page = context.new_page()
    page.goto(counting_server.url + "/staff/login")
    page.goto(counting_server.url + "/staff/login")
    context.close()
    assert "GET /static/site.css" in counting_server.requests
    assert cached_files_naming(profile, counting_server.address)



def test_no_page_breaks_its_own_policy(counting_server, fresh_browser):
    _, context = fresh_browser()
    page = context.new_page()
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    for path in ("/", "/help", "/privacy", "/leaving-quickly", "/accessibility"):
        page.goto(counting_server.url + path)
        page.wait_for_timeout(200)
    context.close()
    assert messages == []
