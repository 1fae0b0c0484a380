"""Choosing the respondent's language: ?lang=xx, then the language cookie, then Accept-Language, then the
survey's default language.

Only the survey's languages (QUESTIONNAIRE.languages: the ones its file has, of the service's LANGUAGES)
can be chosen. Any other code (another language of the service, unsupported, malformed, hostile) is
ignored quietly: the next source decides, and nothing errors. The cookie only ever holds a supported code.
"""

from functools import lru_cache
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date
from flask import current_app, g, has_request_context, request, url_for
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from app.questionnaire import QUESTIONNAIRE

LANGUAGE_PARAM = "lang"
# The query parameters a language link keeps: the ones that change what a page shows. Anything else
# in the address is dropped, so it never reaches a page (or the cache of rendered pages).
KEPT_PARAMS = {"change": "1"}


def supported(code: str | None) -> str | None:
    """The survey's language a code asks for ("PL", "pl-PL", "pl_PL" -> "pl"), or None."""
    if not code or len(code) > 35:  # a language tag is never longer than this
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in QUESTIONNAIRE.languages else None


def survey_languages() -> dict[str, dict]:
    """The languages a respondent can choose, the default first: {code: {"name": ..., "dir": ...}}."""
    return {code: current_app.config["LANGUAGES"][code] for code in QUESTIONNAIRE.languages}


def select_locale() -> str:
    if not has_request_context():  # a CLI command or background job: the source language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = QUESTIONNAIRE.languages
    asked = supported(request.args.get(LANGUAGE_PARAM))
    if asked:
        g.remember_language = asked  # saved in the cookie after the response is built
        return asked
    remembered = supported(request.cookies.get(current_app.config["LANGUAGE_COOKIE"]))
    if remembered:
        return remembered
    header = request.headers.get("Accept-Language", "")
    return _best_language(header[:500], languages) or languages[0]


@lru_cache(maxsize=1024)
def _best_language(header: str, languages: tuple[str, ...]) -> str | None:
    """Browsers send a handful of distinct headers, so parsing each once saves work on every page.
    Werkzeug matches "pl-PL" to "pl" and ignores malformed parts of the header."""
    return parse_accept_header(header, LanguageAccept).best_match(languages)


def parsed_once(selector):
    """Wrap a locale selector so each language code is parsed into a babel Locale once: Flask-Babel
    parses the selector's answer on every request, and only a handful of codes ever come back."""
    return lambda: _locale(selector())


@lru_cache(maxsize=64)
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def remember_language(response):
    """Keep a language picked with ?lang= for the following pages (HttpOnly, SameSite=Lax, Secure in production).

    A session cookie: it ends when the browser closes, so a shared phone keeps no trace of the visit.
    """
    chosen = g.pop("remember_language", None)
    if g.get("preview_file_id") is not None:
        return response  # a staff preview (app/staff/preview_views.py) leaves the respondents' cookies alone
    if chosen and request.cookies.get(current_app.config["LANGUAGE_COOKIE"]) != chosen:
        response.set_cookie(
            current_app.config["LANGUAGE_COOKIE"],
            chosen,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def text_direction() -> str:
    return current_app.config["LANGUAGES"].get(str(get_locale()), {}).get("dir", "ltr")


def language_url(code: str) -> str:
    """The current page in another language, always a path on this site.

    A plain GET of the same page, so a question page shows the answers already saved in the draft.
    The address is rebuilt from the route that matched, never copied from the request: a request
    path such as "/\\evil.example/" or "//evil.example/" would otherwise become a link to another
    site. An address no route matched, or a POST-only one (such as an error after "Start now"),
    links to the start page.
    """
    rule = request.url_rule
    if rule is None or request.endpoint is None or "GET" not in (rule.methods or ()):
        return f"{url_for('survey.start')}?{urlencode({LANGUAGE_PARAM: code})}"
    kept = {name: value for name, value in KEPT_PARAMS.items() if request.args.get(name) == value}
    return url_for(request.endpoint, **(request.view_args or {}), **kept, **{LANGUAGE_PARAM: code})


def this_page_path() -> str | None:
    """The path of the page being served, rebuilt from its route (never the raw request path), or None."""
    if request.url_rule is None or request.endpoint is None:
        return None
    return url_for(request.endpoint, **(request.view_args or {}))


def format_day(day) -> str:
    """A date in words ("22 June 2021") in the respondent's language; British order for English."""
    locale = str(get_locale())
    return format_date(day, "long", locale="en_GB" if locale == "en" else locale)
