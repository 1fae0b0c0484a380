"""The survey as data (default.py), its building blocks (model.py) and the engine that walks it (engine.py)."""

from app.questionnaire.default import QUESTIONNAIRE

__all__ = ["QUESTIONNAIRE"]
