"""The survey as data: an XLSForm spreadsheet (SURVEY_FILE, by default the shipped west-midlands.xlsx)
read by xlsform.py into the building blocks of model.py, and the engine that walks it (engine.py).

QUESTIONNAIRE is read once, when the app is imported: views, exports and summaries import it. A file
with problems stops the start with every problem listed and no traceback.
"""

import sys

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


QUESTIONNAIRE = _questionnaire(Config.SURVEY_FILE)

__all__ = ["QUESTIONNAIRE"]
