"""Data retention: delete responses older than a day the survey's owner chooses."""

from datetime import date

from sqlalchemy import delete, select

from app import counts
from app.extensions import db
from app.models import Answer, Response


def purge_responses(before: date) -> int:
    """Delete every response submitted before `before` (that day is kept), with its answers."""
    old = select(Response.id).where(Response.submitted_on < before)
    counts.hold_releases()
    gone = counts.fresh(Response.submitted_on < before)
    counts.add(gone, sign=-1)  # the dashboard's counts, in the same transaction
    # Answers first: SQLite does not enforce ON DELETE CASCADE unless foreign keys are switched on.
    db.session.execute(delete(Answer).where(Answer.response_id.in_(old)))
    db.session.execute(delete(Response).where(Response.submitted_on < before))
    db.session.commit()
    return sum(gone.days.values())
