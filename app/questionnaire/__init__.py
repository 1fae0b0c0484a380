"""The survey as data: an XLSForm spreadsheet (SURVEY_FILE, by default the shipped west-midlands.xlsx)
read by xlsform.py into the building blocks of model.py, and the engine that walks it (engine.py).

Each app serves the live version the database holds (app/surveys/live.py); SURVEY_FILE, read once
per file and process (`questionnaire_for`), seeds an empty database. QUESTIONNAIRE stands for the
current app's live questionnaire (fixed within a request), and outside an app for the process's
SURVEY_FILE: views, exports and summaries import it. A SURVEY_FILE with problems stops the start
with every problem listed and no traceback.
"""

import sys

from flask import current_app, has_app_context
from werkzeug.local import LocalProxy

from app.config import LANGUAGES, Config
from app.questionnaire.model import Questionnaire
from app.questionnaire.xlsform import SurveyFileError, load

APP_LOAD_ERROR = 4


def _questionnaire(path: str) -> Questionnaire:
    try:
        return load(path, LANGUAGES)
    except SurveyFileError as error:
        # The problems and nothing else (no traceback). Status 4 is gunicorn's "the app failed to load":
        # the server stops, instead of starting new workers that fail the same way for ever.
        print(f"SURVEY_FILE={path} cannot be used:", *error.problems, sep="\n", file=sys.stderr)
        raise SystemExit(APP_LOAD_ERROR) from None


_loaded: dict[str, Questionnaire] = {}


def questionnaire_for(path: str) -> Questionnaire:
    """The questionnaire of a SURVEY_FILE, read once per process (apps with the same file share it)."""
    if path not in _loaded:
        _loaded[path] = _questionnaire(path)
    return _loaded[path]


_of_the_process = questionnaire_for(Config.SURVEY_FILE)


def current_questionnaire() -> Questionnaire:
    """The live questionnaire (app/surveys/live.py) in an app, fixed for the request; outside one, the process's."""
    if has_app_context():
        if "live_survey" in current_app.extensions:
            from app.surveys import live

            return live.in_use().questionnaire
        return current_app.extensions.get("questionnaire", _of_the_process)
    return _of_the_process


QUESTIONNAIRE: Questionnaire = LocalProxy(current_questionnaire)  # type: ignore[assignment]

__all__ = ["QUESTIONNAIRE", "current_questionnaire", "questionnaire_for"]
