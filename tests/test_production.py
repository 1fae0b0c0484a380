"""The production front door, tested from outside: `make run-production` (nginx in front of gunicorn on a
Unix socket, deploy/nginx/), and gunicorn alone with gunicorn.conf.py.

Each stack is started once for this module on a fresh SQLite file in a temporary directory, talked
to over 127.0.0.1 only, and stopped with SIGTERM as an operator's Ctrl-C would. Run once (in the
SQLite run): the front door does not depend on the database.
"""

import gzip
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.helpers import FULL_ANSWERS

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
MARKERS = {"User-Agent": "UA-MARKER/1.0", "Referer": "http://referrer-marker.example/"}

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="the front door is tested once, in the SQLite run"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {seconds} s")


class Stack:
    """A server started in its own session, stopped with SIGTERM; its output in a file."""

    def __init__(self, command, env, output: Path):
        self.output = output
        self.log = open(output, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self) -> int:
        """SIGTERM to the whole group, as Ctrl-C in a terminal; waits until every process of it ended."""
        if self.group_alive():
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=40)
        deadline = time.monotonic() + 40
        while self.group_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.group_alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()
        return self.process.returncode


def _env(tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "PORT", "BIND")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp / 'survey.sqlite3'}", "PYTHONPATH": str(ROOT)}, **extra)
    return env


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """`make run-production` on a free port; yields (port, run directory, stack)."""
    if not (shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK)):
        pytest.fail("nginx is missing: `make nginx-deps` (or `make test`) installs Debian's nginx-light.")
    tmp = tmp_path_factory.mktemp("production")
    port = free_port()
    stack = Stack(["make", "-s", "run-production"], _env(tmp, PORT=str(port), RUN_DIR=str(tmp / "run")),
                  tmp / "output.log")
    try:
        wait_for(lambda: "serving on" in stack.text() or stack.process.poll() is not None, 180, "run-production")
        assert stack.process.poll() is None, stack.text()
        yield port, tmp / "run", stack
    finally:
        stack.returncode = stack.stop()


@pytest.fixture(scope="module")
def gunicorn_alone(tmp_path_factory):
    """gunicorn with gunicorn.conf.py on a TCP port, no proxy in front; yields (port, stack)."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    env = _env(tmp, APP_ENV="production", SECRET_KEY=secrets.token_hex(16))
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    port = free_port()
    stack = Stack([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-w", "1", "wsgi:app"],
                  dict(env, BIND=f"{HOST}:{port}"), tmp / "gunicorn.log")
    try:
        wait_for(lambda: _status(port, "/healthz") == 200, 60, "gunicorn")
        yield port, stack
    finally:
        stack.stop()


def _status(port, path) -> int | None:
    try:
        return request(port, "GET", path)[0]
    except OSError:
        return None


def request(port, method, path, body=None, headers=None, source="127.0.0.1"):
    """(status, headers, body) over a new connection; body decompressed if gzipped."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        found["set-cookie-all"] = response.headers.get_all("Set-Cookie") or []
        if found.get("content-encoding") == "gzip":
            found["compressed-size"] = len(data)
            data = gzip.decompress(data)
        return response.status, found, data
    finally:
        connection.close()


def send_oversized(port, size: int, cookie: str = "") -> bytes:
    """POST `size` bytes the way a browser does: keep sending, read the answer even if the server
    stopped reading. Returns the whole answer; a reset connection raises."""
    with socket.create_connection((HOST, port), timeout=30) as conn:
        head = (f"POST /question/1 HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {size}\r\nConnection: close\r\n{cookie}\r\n").encode()
        conn.sendall(head)
        chunk, sent = b"a" * 65536, 0
        try:
            while sent < size:
                sent += conn.send(chunk[: min(len(chunk), size - sent)])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early; the answer is still there to read
        answer = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return answer
            answer += data


class Browser:
    """A respondent: one cookie jar, pages parsed for their CSRF token."""

    def __init__(self, port, source="127.0.0.1"):
        self.port, self.source, self.cookies = port, source, {}

    def call(self, method, path, form=None, headers=None):
        headers = dict(headers or {})
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, found, data = request(self.port, method, path, body, headers, self.source)
        for cookie in found["set-cookie-all"]:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return status, found, data

    def token(self, html: bytes) -> str:
        return BeautifulSoup(html, "html.parser").select_one("input[name=csrf_token]")["value"]

    def walk(self, headers=None) -> list[str]:
        """The whole survey with the full answers; returns the paths visited."""
        _, _, page = self.call("GET", "/", headers=headers)
        status, found, _ = self.call("POST", "/start", {"csrf_token": self.token(page)}, headers)
        assert status == 303, status
        visited, location = ["/", "/start"], found["location"]
        while "/question/" in location:
            _, _, html = self.call("GET", location, headers=headers)
            soup = BeautifulSoup(html, "html.parser")
            names = {field["name"] for field in soup.select("form input[name], form textarea[name]")}
            form = {"csrf_token": self.token(html)}
            form.update({name: value for name, value in FULL_ANSWERS.items() if name in names})
            status, found, _ = self.call("POST", location, form, headers)
            assert status == 303, (location, status)
            visited.append(location)
            location = found["location"]
        _, _, html = self.call("GET", "/check", headers=headers)
        status, found, _ = self.call("POST", "/check", {"csrf_token": self.token(html)}, headers)
        assert (status, found["location"]) == (303, "/done")
        assert self.call("GET", "/done", headers=headers)[0] == 200
        return visited + ["/check", "/done"]


def access_log(run_dir: Path) -> list[str]:
    return (run_dir / "logs" / "survey-access.log").read_text().splitlines()


# --- through nginx ------------------------------------------------------------------------------


def test_pages_are_gzipped_and_carry_the_app_headers(production):
    port, _, _ = production
    status, headers, body = request(port, "GET", "/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert b"<style>" in body and headers["compressed-size"] < len(body) / 2
    assert headers["cache-control"] == "no-store"
    assert headers["content-security-policy"].startswith("default-src 'none'; style-src 'sha256-")
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["server"] == "nginx"  # no version, and not gunicorn's
    assert all("Secure" in cookie and "HttpOnly" in cookie for cookie in headers["set-cookie-all"])
    status, headers, css = request(port, "GET", "/static/site.css", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip" and b"body" in css


def test_the_favicon_costs_nothing(production):
    port, _, _ = production
    status, headers, body = request(port, "GET", "/favicon.ico")
    assert (status, body) == (204, b"")


@pytest.mark.parametrize("size", [1_000_000, 10_000_000])
def test_a_body_over_the_limit_gets_the_apps_page_in_the_respondents_language(production, size):
    port, _, _ = production
    answer = send_oversized(port, size, cookie="Cookie: __Host-lang=pl\r\n")  # production: a __Host- cookie
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    page = BeautifulSoup(body, "html.parser")
    assert page.html["lang"] == "pl"
    assert page.select_one("h1").get_text() == "Przepraszamy, wysłano za dużo danych"
    assert page.select_one("a.quick-exit")


def test_a_slow_client_is_dropped_while_others_are_served(production):
    port, _, _ = production
    slow = socket.create_connection((HOST, port), timeout=30)
    request_bytes = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"
    sent, closed = 0, False
    began = time.monotonic()
    slow.settimeout(0.5)
    while time.monotonic() - began < 40 and sent < len(request_bytes):
        try:
            slow.send(request_bytes[sent : sent + 1])
            sent += 1
            if slow.recv(1024) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        assert request(port, "GET", "/help")[0] == 200  # everyone else is served meanwhile
    slow.close()
    assert closed and sent < len(request_bytes), "nginx kept waiting for a client sending a byte a second"


def test_nginx_limits_a_flood_of_starts_per_address_and_never_the_next_person(production):
    port, _, _ = production
    flooder = Browser(port, source="127.0.0.2")
    token = flooder.token(flooder.call("GET", "/")[2])
    first_cookie = dict(flooder.cookies)
    statuses = []
    for _ in range(300):  # one CSRF token and its cookie, replayed: a new draft each time
        flooder.cookies = dict(first_cookie)
        statuses.append(flooder.call("POST", "/start", {"csrf_token": token})[0])
    assert statuses.count(303) >= 60 and statuses.count(429) > 0
    refused = next(i for i, status in enumerate(statuses) if status == 429)
    flooder.cookies = dict(first_cookie)
    status, headers, body = flooder.call("POST", "/start", {"csrf_token": token})
    if status == 429:  # the refusal is the app's page, with Retry-After
        assert headers["retry-after"] and b"too many requests" in body and refused >= 60
    newcomer = Browser(port, source="127.0.0.3")
    assert newcomer.walk()[-1] == "/done"


def test_nginx_refuses_a_sign_in_flood_per_address_with_its_own_page(production):
    # The refusals never reach the app, not even for their page: a flood costs the app nothing.
    port, _, stack = production
    before = stack.text().count('"POST /staff/login"')
    statuses, refused = [], None
    for _ in range(40):
        status, headers, body = request(port, "POST", "/staff/login", "username=a&password=b",
                                        {"Content-Type": "application/x-www-form-urlencoded"}, source="127.0.0.4")
        statuses.append(status)
        if status == 429:
            refused = (headers, body)
    assert statuses[:5] == [400] * 5 and statuses.count(429) >= 30  # no CSRF token: the app's 400
    headers, body = refused
    page = BeautifulSoup(body, "html.parser")
    assert page.h1.get_text() == "Too many sign-in attempts" and page.html["lang"] == "en"
    assert headers["retry-after"] == "60" and headers["cache-control"] == "no-store"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert headers["x-content-type-options"] == "nosniff" and headers["x-robots-tag"] == "noindex, nofollow"
    time.sleep(1)
    assert stack.text().count('"POST /staff/login"') - before == statuses.count(400)
    # Another address is not refused: its post reaches the app, whose own rate the flood did not use up.
    assert request(port, "POST", "/staff/login", "username=a", {"Content-Type": "application/x-www-form-urlencoded"},
                   source="127.0.0.5")[0] == 400


@pytest.mark.parametrize("path, source", [("/staff/two-factor", "127.0.0.6"), ("/staff/two-factor/set-up", "127.0.0.7")])
def test_nginx_refuses_a_flood_of_codes_per_address_with_its_own_page(production, path, source):
    # The second step's posts are braked like the sign-ins, in an allowance of their own: a burst of 5,
    # then nginx's page; only those 5 reach the app.
    port, _, stack = production
    before = stack.text().count(f'"POST {path}"')
    statuses, refused = [], None
    for _ in range(20):
        status, headers, body = request(port, "POST", path, "code=123456",
                                        {"Content-Type": "application/x-www-form-urlencoded"}, source=source)
        statuses.append(status)
        if status == 429:
            refused = (headers, body)
    assert statuses[:5] == [400] * 5 and statuses.count(429) >= 12  # no CSRF token: the app's 400
    headers, body = refused
    assert BeautifulSoup(body, "html.parser").h1.get_text() == "Too many sign-in attempts"
    assert headers["retry-after"] == "60" and headers["cache-control"] == "no-store"
    time.sleep(1)
    assert stack.text().count(f'"POST {path}"') - before == statuses.count(400)
    # The same address's sign-in allowance is its own: a password post still reaches the app.
    assert request(port, "POST", "/staff/login", "username=a", {"Content-Type": "application/x-www-form-urlencoded"},
                   source=source)[0] == 400


def test_the_logs_hold_no_address_agent_referrer_query_time_or_public_page(production):
    port, run_dir, stack = production
    Browser(port).walk(headers=MARKERS)
    request(port, "GET", "/help?q=QUERY-MARKER", headers=MARKERS)
    request(port, "GET", "/staff/login?q=QUERY-MARKER", headers=MARKERS)
    request(port, "GET", '/staff/x%0A"POST%20/check"%20303', headers=MARKERS)
    request(port, "GET", "/staff/x%0D%0A%1B[31mred")
    request(port, "GET", '/x%0A"POST%20/check"%20303', headers=MARKERS)
    request(port, "POST", "/question/1", body="a" * 100_000, headers={"Content-Type": "application/x-www-form-urlencoded"})
    time.sleep(1)  # nginx writes its log line when the request ends
    nginx_lines = access_log(run_dir)
    gunicorn_lines = [line for line in stack.text().splitlines() if line.startswith('"')]
    for lines in (nginx_lines, gunicorn_lines):
        assert len(lines) >= 3
        for line in lines:
            assert re.fullmatch(r'"[A-Z]+ /staff[^"\s]*( [^"]*)?" \d{3} \d+ [\d.]+m?s', line), line
            assert "127.0.0" not in line and "MARKER" not in line and "referrer" not in line
            assert not re.search(r"\d\d:\d\d|\d{4}-\d\d-\d\d|/20\d\d", line), line  # no time, no date
        assert any(line.startswith('"GET /staff/login"') for line in lines)
    everything = stack.text() + "".join(path.read_text() for path in (run_dir / "logs").iterdir())
    # A whole walk through the survey, the submit included, and not one public page in any log.
    assert not re.search(r'^"[A-Z]+ /(?!staff)', everything, re.MULTILINE)
    assert "/question/" not in everything and "/done" not in everything
    assert "\x1b" not in everything and "\r" not in everything


def test_nginx_error_logs_never_name_a_client(production):
    port, run_dir, _ = production
    send_oversized(port, 1_000_000)  # a 413, which nginx would log with "client: ADDRESS"
    request(port, "GET", "/" + "a" * 9000)  # too long for the header buffers
    for path in (run_dir / "logs").iterdir():
        if path.name != "survey-access.log":
            text = path.read_text()
            assert "client:" not in text and "127.0.0." not in text, path.name


def test_the_app_trusts_the_scheme_from_nginx_and_no_address(production):
    port, run_dir, _ = production
    server = (run_dir / "survey-server.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in server  # nginx's own, never the client's
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        assert f'proxy_set_header {header} "";' in server
    status, _, _ = request(port, "GET", "/", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert status == 200


def test_the_stack_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    stack = Stack(["make", "-s", "run-production"], _env(tmp_path, PORT=str(port), RUN_DIR=str(tmp_path / "run")),
                  tmp_path / "output.log")
    try:
        wait_for(lambda: "serving on" in stack.text() or stack.process.poll() is not None, 180, "run-production")
        assert request(port, "GET", "/healthz")[0] == 200
    finally:
        returncode = stack.stop()
    assert "run-production: stopped" in stack.text()
    assert not (tmp_path / "run" / "nginx.pid").exists() and not (tmp_path / "run" / "gunicorn.sock").exists()
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=2).close()
    assert returncode is not None


# --- gunicorn alone -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1_000_000, 10_000_000])
def test_gunicorn_alone_shows_the_413_page_not_a_reset(gunicorn_alone, size):
    port, _ = gunicorn_alone
    head, _, body = send_oversized(port, size).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert BeautifulSoup(body, "html.parser").select_one("h1").get_text() == "Sorry, that was too much to send"


def test_gunicorn_alone_escapes_what_a_client_sends_into_its_log(gunicorn_alone):
    port, stack = gunicorn_alone
    request(port, "GET", '/staff/x%0A"POST%20/check"%20303')
    time.sleep(0.5)
    lines = stack.text().splitlines()
    assert re.search(r'^"GET /staff/x\\x0a\\x22POST /check\\x22 303" \d{3} ', "\n".join(lines), re.MULTILINE)
    assert not any(line.startswith('"POST /check"') for line in lines)
