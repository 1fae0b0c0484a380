"""The survey as data (default.py, or an XLSForm spreadsheet read by xlsform.py), its building blocks
(model.py) and the engine that walks it (engine.py).

QUESTIONNAIRE is read once, when the app is imported: views, exports and summaries import it. With
SURVEY_FILE set, a file with problems stops the start with every problem listed and no traceback.
"""

import sys

from app.config import LANGUAGES, Config
from app.questionnaire.model import Questionnaire

APP_LOAD_ERROR = 4


def _questionnaire(path: str) -> Questionnaire:
    if not path:
        from app.questionnaire.default import QUESTIONNAIRE as written_in_python

        return written_in_python
    from app.questionnaire.xlsform import SurveyFileError, load

    try:
        return load(path, LANGUAGES)
    except SurveyFileError as error:
        # The problems and nothing else (no traceback). Status 4 is gunicorn's "the app failed to load":
        # the server stops, instead of starting new workers that fail the same way for ever.
        print(f"SURVEY_FILE={path} cannot be used:", *error.problems, sep="\n", file=sys.stderr)
        raise SystemExit(APP_LOAD_ERROR) from None


QUESTIONNAIRE = _questionnaire(Config.SURVEY_FILE)

__all__ = ["QUESTIONNAIRE"]
