"""Whether the survey is open, from SURVEY_OPENS and SURVEY_CLOSES (Europe/London)."""

from datetime import date, datetime

from app.config import LONDON


def now_london() -> datetime:
    return datetime.now(LONDON)


def today_london() -> date:
    return now_london().date()


def survey_status(opens: datetime | None, closes: datetime | None, now: datetime | None = None) -> str:
    """"open", "not_yet" or "closed"."""
    now = now or now_london()
    if opens and now < opens:
        return "not_yet"
    if closes and now >= closes:
        return "closed"
    return "open"
