"""Typed SQLAlchemy models. Answers are a long table so a new question never needs a schema change."""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, String, Text
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
    __table_args__ = (
        Index("ix_answers_question_value", "question_id", "value"),
        # Staff summaries: who answered a question, and breakdowns joining two questions' answers.
        Index("ix_answers_question_response", "question_id", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    response: Mapped[Response] = relationship(back_populates="answers")


class StaffUser(db.Model):
    """A member of staff who may sign in to /staff. Created from the command line or by an admin; never
    deleted, only disabled.

    Sign-in failures are counted on the account itself (the throttle's growing delay), so an unknown
    username leaves no row anywhere. The TOTP secret must be readable to check a code, so it is kept as
    is; `totp_last_step` is the last time-step accepted, so each code works once.
    """

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower case
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[str] = mapped_column(String(16), default="analyst")  # viewer, analyst or admin
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32; None until enrolled
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_passwords: Mapped[int] = mapped_column(default=0)  # in a row, since the last success
    last_failed_password_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_codes: Mapped[int] = mapped_column(default=0)
    last_failed_code_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSession(db.Model):
    """A staff sign-in, kept on the server. The cookie carries only a random token; this row is keyed by
    its SHA-256, so a copy of the database cannot be replayed as a cookie. Deleting the row ends the
    session whatever copies of the cookie exist.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the password step: the absolute limit
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    two_factor_done: Mapped[bool] = mapped_column(default=False)
    pending_totp_secret: Mapped[str | None] = mapped_column(String(64))  # while enrolling
    user: Mapped[StaffUser] = relationship()


class StaffRecoveryCode(db.Model):
    """A one-time recovery code for a lost phone, stored as its SHA-256 (each code holds 80 random bits,
    so the hash cannot be reversed by trying them all). Deleted when used."""

    __tablename__ = "staff_recovery_codes"
    __table_args__ = (Index("ix_staff_recovery_codes_user_code", "user_id", "code_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(db.Model):
    """Something a member of staff did: sign-in, sign-out, export, purge, account change.

    `details` holds filters and row counts, never answers, and never text typed into a form.
    """

    __tablename__ = "staff_audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))  # a username, or None for the command line
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Failed sign-ins for unknown accounts are one row a day with a count, so a flood adds no rows.
    count: Mapped[int] = mapped_column(default=1, server_default="1")

