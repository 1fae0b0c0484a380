"""Data retention: delete responses older than a day the survey's owner chooses."""

from datetime import date

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Answer, Response


def purge_responses(before: date) -> int:
    """Delete every response submitted before `before` (that day is kept), with its answers."""
    old = select(Response.id).where(Response.submitted_on < before)
    count = db.session.scalar(select(func.count()).select_from(old.subquery())) or 0
    # Answers first: SQLite does not enforce ON DELETE CASCADE unless foreign keys are switched on.
    db.session.execute(delete(Answer).where(Answer.response_id.in_(old)))
    db.session.execute(delete(Response).where(Response.submitted_on < before))
    db.session.commit()
    return count
