"""The public, anonymous survey."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from app.survey import views  # noqa: E402,F401  (routes register on import)
