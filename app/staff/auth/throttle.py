"""The sign-in throttle: slows password guessing without locking anyone out, and without starving respondents.
(Two-factor codes are stricter: they lock after 10 wrong in a row; see code_attempts.py.)

- Per username, growing delays: after FREE_TRIES failures in a row, each further attempt waits 1, 2,
  4... seconds after the last failure, up to STAFF_SIGNIN_MAX_DELAY_SECONDS. Attempts during a delay
  are refused before any hashing and do not count, so the real owner waits at most that long, ever.
  Known accounts count failures on their own row (shared by every process); unknown usernames are
  counted only in this process's memory, keyed by a hash, so they leave no row and are throttled the
  same way (the answer never tells whether an account exists).
- Per process, a token bucket of password checks a minute; and for the whole server, a cap on how
  many run at once (STAFF_CONCURRENT_PASSWORD_CHECKS, 1), shared by every gunicorn worker through
  lock files. scrypt takes a core and 32 MB for tens of milliseconds; with one check at a time, a
  flood never holds more than one core, whatever the number of workers, and an attempt beyond the
  cap gets a 429 page at once instead of queueing for a core that respondents need.

Everything here is checked before a password is hashed.
"""

import fcntl
import hashlib
import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.engine import make_url

from app.lru import LRU
from app.survey.abuse import TokenBucket

logger = logging.getLogger(__name__)

FREE_TRIES = 3
UNKNOWN_NAMES_KEPT = 10_000  # per process; a bound on memory


class Busy(Exception):
    """This process is checking as many passwords as it may; try again in `retry_after` seconds."""

    def __init__(self, retry_after: float):
        super().__init__(retry_after)
        self.retry_after = retry_after


def delay_after(failures: int, max_delay: int) -> float:
    """Seconds to wait after the last of `failures` failures in a row."""
    if failures < FREE_TRIES:
        return 0.0
    return float(min(max_delay, 2 ** (failures - FREE_TRIES)))


def wait(failures: int, last_failed_at: datetime | None, at: datetime, max_delay: int) -> float:
    """Seconds before another attempt is allowed (0: now)."""
    if not failures or last_failed_at is None:
        return 0.0
    remaining = delay_after(failures, max_delay) - (at - last_failed_at).total_seconds()
    return max(0.0, remaining)


def lock_files(database_url: str, at_once: int, directory: str) -> list[str]:
    """The lock files of the server-wide cap: one per check allowed at once, in `directory` (the
    service's own: in a shared /tmp any local user could hold them, and every sign-in would be
    refused). Named for the database address with its password left out (a digest of a secret could
    be guessed offline), so two surveys or test runs sharing a directory never share a cap."""
    key = make_url(database_url).render_as_string(hide_password=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return [os.path.join(directory, f"password-check-{digest}-{slot}.lock") for slot in range(at_once)]


class PasswordChecks:
    """Password checking's share of the server: a rate per process, and a cap on checks at once
    across every process of the server."""

    def __init__(self, per_minute: int, burst: int, at_once: int, lock_paths: list[str] = (), clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.bucket = TokenBucket(per_minute / 60, max(burst, 1), clock()) if per_minute > 0 else None
        self.slots = threading.BoundedSemaphore(max(at_once, 1))  # this process's threads, before the files
        self.lock_paths = list(lock_paths)
        self.unknown = LRU(UNKNOWN_NAMES_KEPT)  # sha256(username) -> (failures, last failure as datetime)

    def take(self) -> float:
        """Take one of this process's sign-in attempts a minute: 0 if allowed, else seconds to wait.
        (SignInGate takes it for every sign-in post, before the app.)"""
        if self.bucket is None:
            return 0.0
        with self.lock:
            return self.bucket.take(self.clock())

    @contextmanager
    def slot(self):
        """Hold one of the server's password-check slots, or raise Busy at once (never wait)."""
        if not self.slots.acquire(blocking=False):
            raise Busy(1.0)
        try:
            held = self._server_slot()
            try:
                yield
            finally:
                if held is not None:
                    os.close(held)  # closing the file releases its lock (so does the process dying)
        finally:
            self.slots.release()

    def _server_slot(self) -> int | None:
        """An exclusive lock on a free one of the lock files: its descriptor, None when there are no
        files to lock (then only this process's cap applies); Busy when every one is taken.

        Each attempt opens the file anew: flock belongs to an open file, so two threads of one
        process sharing a descriptor would both "hold" the same lock. A file that cannot be opened
        (out of descriptors in a flood, a symlink planted in its place) counts as busy for this
        attempt only: a clear 429, never a cap dropped for good."""
        for path in self.lock_paths:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            except OSError as error:
                logger.warning("A password-check lock file could not be opened: %s", error.strerror)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                os.close(fd)
        if self.lock_paths:
            raise Busy(1.0)
        return None

    @staticmethod
    def _key(username: str) -> str:
        return hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()

    def unknown_failures(self, username: str) -> tuple[int, datetime | None]:
        return self.unknown.get(self._key(username)) or (0, None)

    def unknown_failed(self, username: str, at: datetime) -> None:
        failures, _ = self.unknown_failures(username)
        self.unknown.put(self._key(username), (failures + 1, at))


class SignInGate:
    """WSGI middleware: a sign-in post over this process's rate is refused before Flask sees it.

    A flood of sign-in posts is refused at a fraction of the cost of a request through the app (no
    form parsing, CSRF check, database query or template), so the threads respondents need stay free.
    The page is rendered once, and carries the same security headers as every other page.
    """

    def __init__(self, wsgi_app, app, checks: PasswordChecks, pause: float = 0.0, held: int = 1):
        self.wsgi_app, self.app, self.checks = wsgi_app, app, checks
        self.pause = pause if held > 0 else 0.0  # STAFF_REFUSALS_HELD=0: no pause
        self.held = threading.BoundedSemaphore(max(held, 1))
        self.page: bytes | None = None

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/staff/login":
            retry = self.checks.take()
            if retry:
                return self.refuse(retry - self.hold(), start_response)
        return self.wsgi_app(environ, start_response)

    def hold(self) -> float:
        """Wait `pause` seconds before refusing, if fewer than `held` refusals of this process are
        waiting; the seconds waited.

        A flood is clients that post again as soon as they are answered; however cheap the refusal,
        they then make the server refuse as fast as it can, and every refusal (gunicorn reading the
        request, in Python) takes the interpreter lock from the threads serving respondents. Answered
        after a pause, each of those clients sends one post a pause. The wait uses no core; beyond
        `held` waiting at once a refusal is immediate, so the flood can never hold every thread.
        """
        if self.pause <= 0 or not self.held.acquire(blocking=False):
            return 0.0
        try:
            time.sleep(self.pause)
        finally:
            self.held.release()
        return self.pause

    def refuse(self, retry: float, start_response):
        if self.page is None:
            from flask import render_template

            with self.app.test_request_context("/staff/login"):
                self.page = render_template("staff/busy.html").encode()
        from app import CONTENT_SECURITY_POLICY

        start_response(
            "429 Too Many Requests",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(self.page))),
                ("Retry-After", str(max(1, round(retry)))),
                ("Cache-Control", "no-store"),
                ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
                ("X-Robots-Tag", "noindex, nofollow"),
            ],
        )
        return [self.page]
