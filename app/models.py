"""Typed SQLAlchemy models. Answers are a long table so a new question never needs a schema change."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class Draft(db.Model):
    """Answers in progress, keyed by a hash of the random token in the respondent's session cookie.

    Nothing about the person or device is kept. A submitted draft keeps no answers and no link to
    its response; it stays only so a repeated submit can be recognised, until it expires.
    """

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Response(db.Model):
    """A submitted questionnaire. The id is random so rows carry no order within a day."""

    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    submitted_on: Mapped[date] = mapped_column(Date, index=True)  # a day, never a time
    language: Mapped[str] = mapped_column(String(16))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(db.Model):
    """One answer: an option code (one row per chosen option of a multiple choice) or free text."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_question_value", "question_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    response: Mapped[Response] = relationship(back_populates="answers")
