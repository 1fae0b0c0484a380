"""Production server settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every setting can be overridden on the command line or by GUNICORN_CMD_ARGS. What is logged is
decided here: no client address, user agent, referrer or time, and never a query string or body.
"""

import logging
import multiprocessing
import os
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gunicorn.glogging import Logger

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# A request is mostly Python work (templates, forms) plus a short wait on the database (SQLite's
# fsync on commit, or the PostgreSQL round trip). Processes use the cores; a few threads in each
# keep a core busy while another request waits on the disk. Measured on 2 cores with
# bench/respondents: 3 workers x 4 threads (see docs/operators.md and docs/benchmarks.md).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
# On top of those, threads that can only hold refused staff sign-in posts through their pause, using
# no core (a flood's clients wait there instead of taking the interpreter lock from respondents'
# threads); the app runs at most GUNICORN_THREADS requests at once whatever the total (app/page_slots.py).
# STAFF_REFUSALS_HELD's default repeats app/config.py's: the app is not imported before the fork.
threads = int(os.environ.get("GUNICORN_THREADS", 4)) + int(os.environ.get("STAFF_REFUSALS_HELD", 32))
keepalive = 5  # seconds a browser's connection is kept for its next page
timeout = 30
graceful_timeout = 20
# Each worker opens its own database connections after the fork, never sharing the master's.
preload_app = False
# Gunicorn 24+ opens a control socket at a fixed path; two servers on one machine would collide,
# and nothing here uses it.
control_socket_disable = True
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the heartbeat file; a slow disk must not make workers look dead

# The access log keeps method, path (no query string), status, size and duration only:
# no %(h)s address, %(a)s user agent, %(f)s referrer, %(t)s time or %(q)s query.
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
accesslog = "-"

# Only the staff area gets a line for each request. Whatever stores the log (the systemd journal, a
# container runtime) stamps each line with the time it arrived, so a line for any public page (a
# question page, "Check your answers", the submit, its confirmation) would date a respondent's walk
# through the survey to the second. Public requests are counted by status instead, and the counts
# written in one line a day, at midnight (Europe/London) by a timer, never by a request (whose
# arrival the line's time stamp would then give away).
LOGGED_PREFIX = "/staff"
LONDON = ZoneInfo("Europe/London")
# Refused sign-in posts (429) get no line each: in a flood, writing a line cost more than refusing
# the post (bench/signin-flood), and thousands a second would bury every other line. Their count is
# logged instead, in one line at the first refusal after REFUSALS_EVERY seconds, and when the worker
# exits (else the last burst before a quiet spell would wait for the next flood to be logged).
QUIET_REFUSALS = {("POST", "/staff/login")}
REFUSALS_EVERY = 60.0


def printable(text, quotes: bool = False) -> str:
    """Text with control characters (and, in quoted fields, quotes and backslashes) as \\xNN escapes.

    gunicorn logs the decoded path, so `/x%0A"POST /check" 303` would otherwise start a forged line.
    """
    text = "" if text is None else str(text)
    special = '"\\' if quotes else ""
    if text.isprintable() and not any(ch in special for ch in text):
        return text
    return "".join(
        ch if ch.isprintable() and ch not in special else (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        for ch in text
    )


class AccessLogger(Logger):
    """gunicorn's logger, with the client's parts of each access line escaped, the submit unlogged and
    refused sign-in posts counted rather than logged one by one."""

    def setup(self, cfg):
        super().setup(cfg)
        self.refusals_lock = threading.Lock()
        self.refusals, self.refusals_since = 0, time.monotonic()
        self.public_lock = threading.Lock()
        self.public = Counter()
        self.public_timer = None

    def access(self, resp, req, environ, request_time):
        request = (environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
        if not is_staff_path(request[1]):
            self.count_public(resp.status_code)
            return
        if request in QUIET_REFUSALS and resp.status_code == 429:
            self.count_refusal()
            return
        super().access(resp, req, environ, request_time)

    def count_refusal(self) -> None:
        with self.refusals_lock:
            self.refusals += 1
            if time.monotonic() - self.refusals_since < REFUSALS_EVERY:
                return
        self.log_refusals()

    def log_refusals(self) -> None:
        """Write the refusals counted so far, if any, in one line."""
        with self.refusals_lock:
            now = time.monotonic()
            count, seconds = self.refusals, now - self.refusals_since
            self.refusals, self.refusals_since = 0, now
        if count:
            self.access_log.info("%d sign-in posts refused (429) in the last %d s", count, seconds)

    def count_public(self, status: int) -> None:
        with self.public_lock:
            self.public[status] += 1
            if self.public_timer is None:  # started lazily: gunicorn sets the logger up before the fork
                self.public_timer = threading.Thread(target=self.log_public_daily, daemon=True)
                self.public_timer.start()

    def log_public_daily(self) -> None:
        """Forever: sleep until the next midnight in London, then write the day's public counts."""
        while True:
            time.sleep(seconds_to_midnight(datetime.now(LONDON)))
            self.log_public()

    def log_public(self) -> None:
        """Write the public requests counted so far by status, if any, in one line."""
        with self.public_lock:
            counts, self.public = self.public, Counter()
        if counts:
            by_status = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
            self.access_log.info("public pages the day before (by status): %s", by_status)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("m", "U"):
            atoms[key] = printable(atoms[key], quotes=True)
        return atoms


def is_staff_path(path) -> bool:
    path = path or ""
    return path == LOGGED_PREFIX or path.startswith(LOGGED_PREFIX + "/")


def seconds_to_midnight(now: datetime) -> float:
    """Seconds from `now` (aware, London) to the next midnight in London, whatever the clocks do."""
    tomorrow = now.date() + timedelta(days=1)
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=LONDON)
    return max(1.0, midnight.timestamp() - now.timestamp())


class EscapingFormatter(logging.Formatter):
    """Every log line's message with control characters escaped: one event, one line."""

    def format(self, record: logging.LogRecord) -> str:
        record.msg, record.args = printable(record.getMessage()), None
        return super().format(record)


logger_class = AccessLogger


def worker_exit(server, worker):
    """gunicorn's hook: the refusals this worker counted since its last line are logged as it goes."""
    worker.log.log_refusals()

# Log lines carry no timestamp either (a line's time, next to the access log, could single out
# a respondent). The application logs only the method and path of an unexpected error and the
# exception; SQLAlchemy is told to hide statement parameters, which would be answers.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": EscapingFormatter, "format": "[%(process)d] [%(levelname)s] %(name)s: %(message)s"},
        "access": {"()": EscapingFormatter, "format": "%(message)s"},
    },
    "handlers": {
        "error_console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
        "access_console": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    "root": {"level": "INFO", "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access_console"], "propagate": False},
        "alembic": {"level": "WARNING"},
    },
}
