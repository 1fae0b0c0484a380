"""Choosing the respondent's language: ?lang=xx, then the language cookie, then Accept-Language, then English."""

from urllib.parse import urlencode

from flask import current_app, g, request
from babel.dates import format_date
from flask_babel import get_locale

LANGUAGE_PARAM = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get(LANGUAGE_PARAM, "")
    if asked in languages:
        g.remember_language = asked  # saved in the cookie after the response is built
        return asked
    remembered = request.cookies.get(current_app.config["LANGUAGE_COOKIE"], "")
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(list(languages)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_language(response):
    """Keep a language picked with ?lang= for the following pages (an unsupported code is ignored)."""
    chosen = g.pop("remember_language", None)
    if chosen and request.cookies.get(current_app.config["LANGUAGE_COOKIE"]) != chosen:
        response.set_cookie(
            current_app.config["LANGUAGE_COOKIE"],
            chosen,
            max_age=60 * 60 * 24 * 90,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def text_direction() -> str:
    return current_app.config["LANGUAGES"].get(str(get_locale()), {}).get("dir", "ltr")


def language_url(code: str) -> str:
    """The current page in another language (a GET, so a form page shows the saved answers)."""
    args = request.args.to_dict()
    args[LANGUAGE_PARAM] = code
    return f"{request.path}?{urlencode(args)}"


def format_day(day) -> str:
    """A date in words ("22 June 2021") in the respondent's language; British order for English."""
    locale = str(get_locale())
    return format_date(day, "long", locale="en_GB" if locale == "en" else locale)
