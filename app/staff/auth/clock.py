"""The current time, in one place, so tests can move the clock for every part of staff sign-in."""

from datetime import datetime, timezone


def now() -> datetime:
    """The current time (UTC); tests replace it to move the clock."""
    return datetime.now(timezone.utc)


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite returns them without a zone)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
