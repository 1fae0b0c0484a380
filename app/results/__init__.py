"""The public results: "you said, we did". /results shows the latest publication (a snapshot an
editor made in the staff area, app/staff/results_views.py) and /results.csv its tables.

The start and end pages link here only once something is published (`results_published`, a
template global every page may call).
"""

import time

from flask import Blueprint, current_app
from sqlalchemy import exists, select

from app.extensions import db
from app.models import ResultsPublication

bp = Blueprint("results", __name__)

CHECK_SECONDS = 2.0  # as the live survey's stamp (app/surveys/live.py): a new publication shows within 2 s
clock = time.monotonic


class _Published:
    """One app's knowledge of whether anything is published. A publication is never withdrawn, so
    once true this is never asked again; until then at most once every CHECK_SECONDS."""

    def __init__(self) -> None:
        self.known = False
        self.checked_at = float("-inf")


def results_published() -> bool:
    """Whether the results page has anything to show (for the start and end pages' link)."""
    state: _Published = current_app.extensions["results_published"]
    if state.known or clock() - state.checked_at < CHECK_SECONDS:
        return state.known
    try:
        # Its own connection: a failed read must not end the request's transaction, nor the page.
        with db.engine.connect() as connection:
            state.known = bool(connection.scalar(select(exists().where(ResultsPublication.id.isnot(None)))))
    except current_app.extensions["database_unavailable"]:
        return False
    state.checked_at = clock()
    return state.known


def forget() -> None:
    """Ask again at the next page (this process has just published)."""
    current_app.extensions["results_published"].checked_at = float("-inf")


bp.record_once(lambda setup: setup.app.extensions.setdefault("results_published", _Published()))
bp.record_once(lambda setup: setup.app.add_template_global(results_published))

from app.results import views  # noqa: E402,F401  (routes register on import)
