"""The public, anonymous survey."""

from flask import Blueprint, g, url_for
from flask_babel import get_locale

bp = Blueprint("survey", __name__)

# The pages a staff preview of a survey file has of its own (app/staff/preview_views.py); the others
# (help, privacy...) are the public ones.
PREVIEW_PAGES = frozenset({"start", "begin", "question", "check", "done", "exit"})


def survey_url(name: str, **values) -> str:
    """The address of a survey page, for templates: the public page, or within a staff preview
    (g.preview_file_id set) the preview's own, so every link and form of the preview stays in it."""
    file_id = g.get("preview_file_id")
    if file_id is not None and name in PREVIEW_PAGES:
        # The language goes on in the address: a preview sets no respondent's language cookie.
        if name != "exit":  # the way out carries nothing
            values.setdefault("lang", str(get_locale()))
        return url_for(f"staff.preview_{name}", file_id=file_id, **values)
    return url_for(f"survey.{name}", **values)

from app.survey import views  # noqa: E402,F401  (routes register on import)
from app.survey import abuse, page_cache  # noqa: E402

bp.before_request(abuse.check_post)  # after the opening-dates check, which views registers first
bp.record_once(lambda state: abuse.init_app(state.app))
bp.record_once(lambda state: page_cache.init_app(state.app))
