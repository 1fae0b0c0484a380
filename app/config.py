"""Settings from the environment, in one place, with safe defaults for development."""

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
HOST_PREFIX = "__Host-"
INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
# The West Midlands survey, inside the package so an installed copy has it too (pyproject.toml package-data).
SHIPPED_SURVEY = Path(__file__).resolve().parent / "questionnaire" / "west-midlands.xlsx"

# The languages a respondent can choose. Adding one: `pybabel init -l xx`, translate, compile, add a line here.
# Each is named in itself, and right-to-left scripts are marked so the page mirrors.
LANGUAGES = {
    "en": {"name": "English", "dir": "ltr"},
    "pl": {"name": "Polski", "dir": "ltr"},
    "ro": {"name": "Română", "dir": "ltr"},
    "pa": {"name": "ਪੰਜਾਬੀ", "dir": "ltr"},
    "ur": {"name": "اردو", "dir": "rtl"},
    "bn": {"name": "বাংলা", "dir": "ltr"},
    "ar": {"name": "العربية", "dir": "rtl"},
}


def parse_london_time(value: str | None, end_of_day: bool = False) -> datetime | None:
    """Read an ISO date or datetime as Europe/London time.

    A bare date means the start of that day, or with end_of_day (for a closing date) the start of
    the next day, so "SURVEY_CLOSES=2021-06-22" keeps the survey open all of 22 June.
    """
    if not value:
        return None
    value = value.strip()
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    if end_of_day and len(value) == 10:
        moment = (moment + timedelta(days=1)).replace(tzinfo=LONDON)
    return moment


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value.strip()) if value and value.strip() else None


class Config:
    """Read once at start-up; tests pass overrides to create_app()."""

    ENV_NAME = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'survey.sqlite3'}"
    )
    SURVEY_NAME = os.environ.get("SURVEY_NAME", "")  # empty: the translated default name
    # The questionnaire and its translations: an XLSForm spreadsheet (.xlsx); unset or empty: the West
    # Midlands survey shipped in the package. Read once at start-up (app/questionnaire/__init__.py).
    SURVEY_FILE = os.environ.get("SURVEY_FILE") or str(SHIPPED_SURVEY)
    SURVEY_OPENS = parse_london_time(os.environ.get("SURVEY_OPENS"))
    SURVEY_CLOSES = parse_london_time(os.environ.get("SURVEY_CLOSES"), end_of_day=True)
    QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "https://www.bbc.co.uk/weather")
    DRAFT_IDLE_MINUTES = _int("DRAFT_IDLE_MINUTES", 60)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 64 * 1024)
    # Werkzeug also caps the number of form fields, so a body of thousands of tiny fields is refused early.
    MAX_FORM_PARTS = _int("MAX_FORM_PARTS", 200)
    # Rendered question pages kept per server process (app/survey/page_cache.py); about 12 KB each. 0: off.
    PAGE_CACHE_SIZE = _int("PAGE_CACHE_SIZE", 1000)
    # The accessibility statement (/accessibility): the parts only the survey's owner can give. Where one
    # is empty the page says plainly that the owner has not given it yet. Dates are ISO dates (2026-12-07).
    ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "")
    ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "")  # email, phone, address: a line each
    ACCESSIBILITY_STATEMENT_DATE = _day(os.environ.get("ACCESSIBILITY_STATEMENT_DATE"))  # prepared on
    ACCESSIBILITY_REVIEWED = _day(os.environ.get("ACCESSIBILITY_REVIEWED"))  # last reviewed on
    # Until native speakers have reviewed the translations, the statement says so (a known problem).
    TRANSLATIONS_REVIEWED = os.environ.get("TRANSLATIONS_REVIEWED", "no") == "yes"

    LANGUAGES = LANGUAGES
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    # The catalogues live at the top of the repository (translations/<lang>/LC_MESSAGES), not under app/.
    BABEL_TRANSLATION_DIRECTORIES = str(INSTANCE_DIR.parent / "translations")

    # The CSRF token lives as long as the session, so a slow respondent never meets an expired token.
    WTF_CSRF_TIME_LIMIT = None
    # Flask-WTF's extra check over HTTPS wants a same-site Referer, but every page says
    # Referrer-Policy: no-referrer, so browsers send none and every form would fail. The token, the
    # SameSite cookies and the Sec-Fetch-Site check (app/request_guard.py) stop cross-site posts.
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_NAME = "session"
    LANGUAGE_COOKIE = "lang"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = ENV_NAME == "production"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Staff area (app/staff/auth/): summaries hide counts below this threshold; sessions end when idle and
    # after an absolute lifetime; every account signs in with a second factor (development may turn it off).
    STAFF_SUPPRESSION_THRESHOLD = _int("STAFF_SUPPRESSION_THRESHOLD", 5)
    # Held responses are released only in batches of at least this many (app/survey/release.py), so
    # comparing the pages before and after a release never singles anyone out. Unset: the threshold above.
    RELEASE_MIN_RESPONSES = os.environ.get("RELEASE_MIN_RESPONSES") or None
    STAFF_IDLE_MINUTES = _int("STAFF_IDLE_MINUTES", 30)
    STAFF_SESSION_HOURS = _int("STAFF_SESSION_HOURS", 12)
    STAFF_TWO_FACTOR = os.environ.get("STAFF_TWO_FACTOR", "on") != "off"
    # The staff cookie is its own, apart from the respondents' session. __Host- (Secure, Path=/, no Domain)
    # needs HTTPS, so development uses a plain name.
    STAFF_COOKIE_NAME = "__Host-staff" if ENV_NAME == "production" else "staff"
    # The sign-in throttle: growing delays per username (never a lock), and per process at most this many
    # password checks a minute and this many at once, so a flood costs respondents little.
    STAFF_SIGNIN_MAX_DELAY_SECONDS = _int("STAFF_SIGNIN_MAX_DELAY_SECONDS", 60)
    STAFF_PASSWORD_CHECKS_PER_MINUTE = _int("STAFF_PASSWORD_CHECKS_PER_MINUTE", 30)
    STAFF_PASSWORD_CHECKS_BURST = _int("STAFF_PASSWORD_CHECKS_BURST", 10)
    STAFF_CONCURRENT_PASSWORD_CHECKS = _int("STAFF_CONCURRENT_PASSWORD_CHECKS", 1)
    # A sign-in post refused for being over that rate is answered after this pause, so a script that
    # posts again as soon as it is answered sends about one a second, not thousands. A pause holds a
    # thread but no core; at most STAFF_REFUSALS_HELD at once per process (the rest are answered at
    # once), and gunicorn.conf.py gives each worker that many threads on top of those pages use.
    STAFF_REFUSAL_PAUSE_MS = _int("STAFF_REFUSAL_PAUSE_MS", 1000)
    STAFF_REFUSALS_HELD = _int("STAFF_REFUSALS_HELD", 32)
    # Requests each process runs through the app at once (app/page_slots.py): gunicorn's threads for
    # pages, as gunicorn.conf.py reads the same variable. 0: no limit.
    PAGE_THREADS = _int("GUNICORN_THREADS", 4)
    # Where that cap's lock files live: the service's own directory, never the shared /tmp (where
    # any local user could hold them). Empty: the app's instance folder.
    STAFF_LOCK_DIR = os.environ.get("STAFF_LOCK_DIR", "")
    # The audit trail keeps this many days; `responses purge` deletes older entries. 0: keep them all.
    STAFF_AUDIT_RETENTION_DAYS = _int("STAFF_AUDIT_RETENTION_DAYS", 400)
    # A summary page counted from the answers (within two groups, a breakdown within a group) stops
    # with a page saying so after this long, well before nginx's 30 s proxy timeout would cut it off.
    STAFF_SUMMARY_SECONDS = _int("STAFF_SUMMARY_SECONDS", 20)
    # SQLite only (see app/database.py): FULL makes every confirmed response survive a power cut.
    SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "FULL")
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 10_000)
    # Per-draft flood brakes in each process (app/survey/abuse.py); 0 turns them off. New starts
    # are limited per client address by nginx, never by a bucket shared by everyone.
    # Roomy enough for a whole survey with a mistake on every page, posted as fast as a browser can.
    POSTS_PER_DRAFT_PER_MINUTE = _int("POSTS_PER_DRAFT_PER_MINUTE", 60)
    POSTS_PER_DRAFT_BURST = _int("POSTS_PER_DRAFT_BURST", 100)


def finalise(config: dict) -> None:
    """Check settings that depend on each other; production refuses to start without a real secret."""
    if not config.get("SECRET_KEY"):
        if config.get("ENV_NAME") == "production":
            raise RuntimeError("SECRET_KEY must be set in production (APP_ENV=production).")
        config["SECRET_KEY"] = "development-only-secret-key"
    if config.get("SESSION_COOKIE_SECURE"):
        # Over HTTPS the cookies are "__Host-" cookies: browsers accept them only from this host,
        # over HTTPS, for the whole site, so another subdomain or a plain-HTTP page cannot plant one.
        for name in ("SESSION_COOKIE_NAME", "LANGUAGE_COOKIE"):
            if not config[name].startswith(HOST_PREFIX):
                config[name] = HOST_PREFIX + config[name]
    if config.get("ENV_NAME") == "production" and not config.get("STAFF_TWO_FACTOR"):
        raise RuntimeError("Staff two-factor sign-in cannot be switched off in production (STAFF_TWO_FACTOR).")
    if config.get("RELEASE_MIN_RESPONSES") is None:
        config["RELEASE_MIN_RESPONSES"] = config.get("STAFF_SUPPRESSION_THRESHOLD", 5)
    config["RELEASE_MIN_RESPONSES"] = int(config["RELEASE_MIN_RESPONSES"])
    if config["RELEASE_MIN_RESPONSES"] < 1:
        raise RuntimeError("RELEASE_MIN_RESPONSES must be at least 1.")
    opens, closes = config.get("SURVEY_OPENS"), config.get("SURVEY_CLOSES")
    if opens and closes and opens >= closes:
        raise RuntimeError("SURVEY_OPENS must be before SURVEY_CLOSES.")
