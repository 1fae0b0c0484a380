"""The public, anonymous survey."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from app.survey import views  # noqa: E402,F401  (routes register on import)
from app.survey import abuse, page_cache  # noqa: E402

bp.before_request(abuse.check_post)  # after the opening-dates check, which views registers first
bp.record_once(lambda state: abuse.init_app(state.app))
bp.record_once(lambda state: page_cache.init_app(state.app))
