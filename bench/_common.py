"""Shared by the benchmarks: servers on 127.0.0.1 that always get stopped, a small HTTP/1.1 client,
and a simulated respondent that walks the survey the way a browser does.

Only loopback is ever contacted. Everything has a time limit.
"""

import asyncio
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


# `timeout` and CI stop a script with SIGTERM, which by default ends Python at once: the servers'
# context managers would not run and their gunicorn would go on serving. As an exception, it does.
signal.signal(signal.SIGTERM, _exit_on_sigterm)


def use_project_python() -> None:
    """Re-run this script with the project's virtualenv Python when started with another one."""
    venv_python = VENV_BIN / "python"
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve() and venv_python.exists():
        os.execv(venv_python, [str(venv_python), *sys.argv])


def under_postgres(argv: list[str]) -> None:
    """Re-run under .ci/with-postgres (a durable, throw-away server) unless already there."""
    if not os.environ.get("TEST_DATABASE_URL"):
        script = ROOT / ".ci" / "with-postgres"
        os.execv(script, [str(script), sys.executable, *argv])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(16),
            "APP_ENV": "production",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def migrate(env: dict) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )


class Server:
    """gunicorn with the project's gunicorn.conf.py, in its own process group; a context manager."""

    def __init__(self, app: str, env: dict, port: int, log_path: Path, ready_path: str = "/healthz", args=()):
        self.app, self.env, self.port, self.log_path, self.ready_path = app, env, port, log_path, ready_path
        self.args = list(args)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "Server":
        env = dict(self.env, BIND=f"{HOST}:{self.port}")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), *self.args, self.app],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start; see {self.log_path}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as conn:
                    conn.sendall(f"GET {self.ready_path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                    if conn.recv(12).startswith(b"HTTP/1.1 200"):
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

    def kill_all(self) -> None:
        """kill -9 the master and every worker at once."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        else:
            try:  # the master is gone; make sure no orphaned worker stays
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, AttributeError, TypeError):
                pass
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class HTTPError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection, as a browser tab would use; cookies kept like a browser."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port, self.timeout = port, timeout
        self.reader = self.writer = None
        self.cookies: dict[str, str] = {}

    async def close(self):
        if self.writer:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(self, method: str, path: str, form: dict | None = None):
        """(status, lower-cased headers, body). A GET on a keep-alive connection the server had just
        closed is retried once on a new one, as browsers do."""
        for attempt in (1, 2):
            reused = self.writer is not None
            try:
                return await asyncio.wait_for(self._exchange(method, path, form), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError, HTTPError) as error:
                await self.close()
                if attempt == 2 or not reused or method != "GET":
                    raise HTTPError(f"{method} {path}: {error!r}") from error
            except asyncio.TimeoutError as error:
                await self.close()
                raise HTTPError(f"{method} {path}: timed out") from error

    async def _exchange(self, method, path, form):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        body = b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            body = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, values in form.items()
                            for v in (values if isinstance(values, list) else [values])).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise HTTPError("connection closed before a response")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._set_cookie(value)
            headers[name] = value
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, data

    def _set_cookie(self, value: str):
        pair, _, attributes = value.partition(";")
        name, _, content = pair.partition("=")
        attributes = attributes.lower()
        if "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = content.strip()


CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def csrf_token(html: bytes) -> str:
    match = CSRF.search(html)
    if not match:
        raise HTTPError("no csrf_token in the page")
    return match.group(1).decode()


def random_answers(page, marker: str, rng: random.Random) -> dict:
    """A valid answer for every question on a page; free text carries the respondent's marker."""
    from app.questionnaire.model import Kind

    answers = {}
    for question in page.questions:
        if question.kind is Kind.TEXT:
            answers[question.id] = marker[: question.max_length]
        elif question.kind is Kind.MULTIPLE:
            plain = [o.code for o in question.options if not o.exclusive]
            exclusive = [o.code for o in question.options if o.exclusive]
            if exclusive and rng.random() < 0.2:
                answers[question.id] = [rng.choice(exclusive)]
            else:
                answers[question.id] = rng.sample(plain, k=min(len(plain), rng.randint(1, 3)))
        else:
            answers[question.id] = rng.choice(question.options).code
    return answers


class Stats:
    def __init__(self):
        self.latencies: list[float] = []
        self.by_method: dict[str, list[float]] = {"GET": [], "POST": []}
        self.errors: list[str] = []
        self.confirmed: list[str] = []  # markers of responses the server confirmed
        self.started = 0

    def percentile(self, p: float, method: str | None = None) -> float:
        latencies = self.by_method[method] if method else self.latencies
        if not latencies:
            return float("nan")
        ordered = sorted(latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def respondent(port: int, stats: Stats, stop_at: float, think: float, seed: int, ramp: float = 0.0) -> None:
    """Complete the survey again and again until stop_at; never stops in the middle of a request.

    ramp: arrive at a random moment within the first `ramp` seconds, as people do, not all at once.
    """
    from app.questionnaire import QUESTIONNAIRE

    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, ramp))

    async def call(conn, method, path, form=None, expect=(200,)):
        began = time.monotonic()
        status, headers, body = await conn.request(method, path, form)
        stats.latencies.append(time.monotonic() - began)
        stats.by_method[method].append(stats.latencies[-1])
        if status not in expect:
            raise HTTPError(f"{method} {path} -> {status}")
        return status, headers, body

    async def pause():
        if think:
            await asyncio.sleep(min(think * rng.uniform(0.5, 1.5), max(0.0, stop_at - time.monotonic())))

    while time.monotonic() < stop_at:
        conn = Connection(port)
        marker = f"bench-{uuid.uuid4().hex}"
        try:
            stats.started += 1
            _, _, page = await call(conn, "GET", "/")
            await pause()
            _, headers, _ = await call(conn, "POST", "/start", {"csrf_token": csrf_token(page), "website": ""}, (303,))
            location = headers["location"]
            while "/question/" in location:
                if time.monotonic() >= stop_at:
                    return  # an unfinished walk, as a person who leaves
                _, _, html = await call(conn, "GET", location)
                number = int(location.rsplit("/", 1)[1].split("?")[0])
                form = {"csrf_token": csrf_token(html), "website": ""}
                form.update(random_answers(QUESTIONNAIRE.pages[number - 1], marker, rng))
                await pause()
                _, headers, _ = await call(conn, "POST", location, form, (303,))
                location = headers["location"]
            if not location.endswith("/check"):
                raise HTTPError(f"unexpected redirect to {location}")
            _, _, html = await call(conn, "GET", "/check")
            await pause()
            _, headers, _ = await call(conn, "POST", "/check", {"csrf_token": csrf_token(html), "website": ""}, (303,))
            stats.confirmed.append(marker)  # the server committed before answering 303
            await call(conn, "GET", headers["location"])
        except HTTPError as error:
            stats.errors.append(str(error))
            await asyncio.sleep(0.05)
        finally:
            await conn.close()


def stored_markers(database_url: str) -> tuple[int, set[str]]:
    """(responses in the database, markers found in their free-text answers).

    Responses sent today are held until the day ends; they are released first, as the first
    request after midnight would.
    """
    from datetime import timedelta

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from app import create_app
    from app.extensions import db
    from app.survey.release import release_ended_days
    from app.survey.state import today_london

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        release_ended_days(today_london() + timedelta(days=1))
        db.engine.dispose()
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM responses")).scalar_one()
        markers = {row[0] for row in connection.execute(text("SELECT value FROM answers WHERE value LIKE 'bench-%'"))}
    engine.dispose()
    return count, markers


def integrity_check(database_file: Path) -> str:
    import sqlite3

    connection = sqlite3.connect(database_file)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class Production:
    """`deploy/run-production` (nginx in front of gunicorn, as `make run-production` runs it) on a free
    port, with a throw-away prefix; a context manager. Stopped with SIGTERM, as Ctrl-C would."""

    def __init__(self, env: dict, port: int, run_dir: Path, log_path: Path):
        self.env, self.port, self.run_dir, self.log_path = env, port, run_dir, log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "Production":
        env = dict(self.env, PORT=str(self.port), RUN_DIR=str(self.run_dir))
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "python"), str(ROOT / "deploy" / "run-production")],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"run-production exited at start; see {self.log_path}")
            if b"serving on" in self.log_path.read_bytes():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"run-production not ready after {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
