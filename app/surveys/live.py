"""The questionnaire in use, and the survey's dates: the live row of survey_files, the same on every
worker of every server without a restart.

Each app (one per worker process) keeps a stamp: the live file's id and sha256 and the dates, read
with one indexed query at most once every STAMP_SECONDS. Why 2 seconds: a version made live is
served everywhere within about 2 s (the owner, back on the public page, sees it), while a worker
serving hundreds of pages a second makes one small read every 2 s instead of one per request, so
`bench/pages` does not move. The process that makes a version live forgets its stamp at once.

The file's bytes are parsed only when a sha256 not seen before comes back: parsed questionnaires are
kept by sha256 (and languages) for the process, so switching back and forth costs nothing.

Within one request (one app context) the questionnaire is fixed at its first use, so a page is
never built from two versions. When the database cannot be read, the last questionnaire read is
kept; before any was read (or before `flask db upgrade`), SURVEY_FILE's is used.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask, current_app, g
from sqlalchemy import exc, select

from app.config import LONDON
from app.extensions import db
from app.lru import LRU
from app.models import SurveyFile, SurveySettings
from app.questionnaire.model import Questionnaire
from app.questionnaire.xlsform import read_xlsform

STAMP_SECONDS = 2.0
LIVE = "live"
clock = time.monotonic  # tests replace it to move time on without sleeping
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Live:
    """The survey in use: its questionnaire, the file it came from, and its dates."""

    questionnaire: Questionnaire
    key: str  # the file's sha256 (or SURVEY_FILE's path): what a cached page was built from
    file_id: int | None  # None: SURVEY_FILE, not read from the database
    dates_set: bool  # set in the staff area; if not, SURVEY_OPENS and SURVEY_CLOSES apply
    opens: datetime | None
    closes: datetime | None


class _Stamp:
    """One app's latest reading of the live row, and when it was taken."""

    def __init__(self) -> None:
        self.live: Live | None = None
        self.read_at = float("-inf")
        self.lock = threading.Lock()


# Bounded: every draft uploaded and previewed is parsed too, and a worker lives for weeks.
PARSED_KEPT = 32
_parsed = LRU(PARSED_KEPT)
_parse_lock = threading.Lock()


def parsed(content: bytes, languages) -> Questionnaire:
    """The questionnaire of a stored file, read once per process (by its bytes' sha256)."""
    key = (hashlib.sha256(content).hexdigest(), tuple(languages))
    with _parse_lock:
        questionnaire = _parsed.get(key)
        if questionnaire is None:
            questionnaire = read_xlsform(content, languages)
            _parsed.put(key, questionnaire)
        return questionnaire


def _parsed_already(sha256: str, languages) -> Questionnaire | None:
    with _parse_lock:
        return _parsed.get((sha256, tuple(languages)))


def _aware(moment: datetime | None) -> datetime | None:
    """A stored moment in London time (SQLite gives back naive UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LONDON)


def _from_file(app: Flask) -> Live:
    from app.questionnaire import questionnaire_for

    return Live(questionnaire_for(app.config["SURVEY_FILE"]), app.config["SURVEY_FILE"], None, False, None, None)


def _read(app: Flask) -> Live | None:
    """The live row as the database has it now, or None when it has none."""
    statement = (
        select(SurveyFile.id, SurveyFile.sha256, SurveySettings.id, SurveySettings.opens, SurveySettings.closes)
        .select_from(SurveyFile)
        .outerjoin(SurveySettings, SurveySettings.id == 1)
        .where(SurveyFile.state == LIVE)
    )
    # Its own connection, not the request's session: a failed read must not end the request's transaction.
    with db.engine.connect() as connection:
        row = connection.execute(statement).first()
        if row is None:
            return None
        file_id, sha256, settings_id, opens, closes = row
        questionnaire = _parsed_already(sha256, app.config["LANGUAGES"])
        if questionnaire is None:  # the bytes are read only for a file this process has not parsed
            content = connection.execute(select(SurveyFile.content).where(SurveyFile.id == file_id)).scalar_one()
            questionnaire = parsed(content, app.config["LANGUAGES"])
    return Live(questionnaire, sha256, file_id, settings_id is not None, _aware(opens), _aware(closes))


def _refresh(app: Flask, stamp: _Stamp) -> Live:
    from app.surveys import lifecycle

    try:
        live = _read(app)
        if live is None and lifecycle.seed(app):  # an empty database: SURVEY_FILE becomes the live version
            live = _read(app)
    except (exc.OperationalError, exc.ProgrammingError, exc.InterfaceError, exc.TimeoutError) as error:
        # Unreachable, or no table yet (before `flask db upgrade`): what was read last, or SURVEY_FILE's.
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0][:200]
        log.warning("Live survey not read (%s: %s): serving the questionnaire read last", type(error).__name__, reason)
        if stamp.live is None:  # nothing read yet (no table before `flask db upgrade`): try at every use
            return _from_file(app)
        # An outage after a reading: tried again after STAMP_SECONDS, not at every request, which would
        # each wait for a connection and log a line.
        stamp.read_at = clock()
        return stamp.live
    if live is None:  # seeding refused (the reason is logged): the file, with nothing stored
        return _from_file(app)
    stamp.live, stamp.read_at = live, clock()
    return live


def current(app: Flask | None = None) -> Live:
    """The live survey, read again when this app's stamp is older than STAMP_SECONDS."""
    app = app or current_app._get_current_object()
    stamp: _Stamp = app.extensions["live_survey"]
    live = stamp.live
    if live is not None and clock() - stamp.read_at < STAMP_SECONDS:
        return live
    # One thread reads; the others carry on with the last reading instead of waiting for it.
    if not stamp.lock.acquire(blocking=live is None):
        return live
    try:
        return _refresh(app, stamp)
    finally:
        stamp.lock.release()


def in_use() -> Live:
    """The live survey for this request (or app context): fixed at its first use within it."""
    if "live_survey" not in g:
        g.live_survey = current()
    return g.live_survey


def dates() -> tuple[datetime | None, datetime | None]:
    """When the survey opens and closes (None: no limit): as set in the staff area, else the environment's."""
    live = in_use()
    if not live.dates_set:
        return current_app.config["SURVEY_OPENS"], current_app.config["SURVEY_CLOSES"]
    return live.opens, live.closes


def forget(app: Flask | None = None) -> None:
    """Read the live row again at the next use (after this process changed it)."""
    app = app or current_app._get_current_object()
    app.extensions["live_survey"].read_at = float("-inf")
    g.pop("live_survey", None)


def init_app(app: Flask) -> None:
    app.extensions["live_survey"] = _Stamp()
