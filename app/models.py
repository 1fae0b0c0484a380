"""Typed SQLAlchemy models. Answers are a long table so a new question never needs a schema change."""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


# On SQLite every table of respondents' data is WITHOUT ROWID, keyed by a random value: a plain table's
# hidden rowid counts up in insertion order, and its rows lie in the file in that order. Keyed by a
# random value, neither the rows' keys nor their place in the file follows the order they came in.
RANDOM_ORDER = {"sqlite_with_rowid": False}


class Draft(db.Model):
    """Answers in progress, keyed by a hash of the random token in the respondent's session cookie.

    Nothing about the person or device is kept. Sending the answers deletes the draft (see SentDraft).
    """

    __tablename__ = "drafts"
    __table_args__ = RANDOM_ORDER

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    # sha256 of the token it had before its last new token, until the next save: a double tap's
    # second request still carries that one (app/survey/drafts.py).
    previous_id: Mapped[str | None] = mapped_column(String(64), index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SentDraft(db.Model):
    """That the draft of a cookie token was sent: a repeated submit or a reload of the thank-you page is
    recognised without keeping the draft, whose expiry would date the response to the minute.

    The key is a hash of the token (not the draft's key), and the expiry is a day.
    """

    __tablename__ = "sent_drafts"
    __table_args__ = RANDOM_ORDER

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class PendingResponse(db.Model):
    """A piece of a response sent today, waiting for the day to end (app/survey/release.py).

    It holds the answers (as JSON, in pieces) and the day, nothing more; it is written in the same
    transaction that deletes the draft, so it is as durable as a response. Why pieces: a row too
    long for its B-tree page goes to overflow pages (on PostgreSQL, to TOAST), which are added at
    the end of the file in the order rows arrive; short rows lie only where their random key puts them.
    """

    __tablename__ = "pending_responses"
    __table_args__ = RANDOM_ORDER

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, never a response's id
    part: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0, 1, ... within the response
    submitted_on: Mapped[date] = mapped_column(Date, index=True)
    language: Mapped[str] = mapped_column(String(16))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[str] = mapped_column(Text)  # a piece of the JSON [[question id, value], ...]


class Response(db.Model):
    """A released response. The id is random and given at release, so rows carry no order within a day."""

    __tablename__ = "responses"
    __table_args__ = RANDOM_ORDER

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    submitted_on: Mapped[date] = mapped_column(Date, index=True)  # a day, never a time
    language: Mapped[str] = mapped_column(String(16))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(db.Model):
    """One answer: an option code (one row per chosen option of a multiple choice) or free text.

    No id of its own: a counter would number the answers in the order they were stored. The key is
    the response's random id, the question and the value, so a response's answers sit together.
    """

    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_question_value", "question_id", "value"),
        # Staff summaries: who answered a question, and breakdowns joining two questions' answers.
        Index("ix_answers_question_response", "question_id", "response_id"),
        RANDOM_ORDER,
    )

    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    response: Mapped[Response] = relationship(back_populates="answers")


class DayCount(db.Model):
    """How many responses were released for a day: the dashboard's responses per day, and its total.

    This table and the three below are kept up to date by the release that adds responses and by the
    purge that deletes them, in the same transaction (app/counts.py), so the dashboard reads a few
    hundred rows instead of counting every answer. They change only at release, as the summaries do.
    """

    __tablename__ = "day_counts"

    submitted_on: Mapped[date] = mapped_column(Date, primary_key=True)
    responses: Mapped[int] = mapped_column()


class AnswerCount(db.Model):
    """How many released responses have each answer (question, value): one row per option chosen
    (or free text written), as counting the answers table grouped by question and value gives."""

    __tablename__ = "answer_counts"
    __table_args__ = RANDOM_ORDER  # keyed by its values, not by when a row was first added

    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    responses: Mapped[int] = mapped_column()


class QuestionCount(db.Model):
    """How many released responses answered each question (a multiple choice counts once)."""

    __tablename__ = "question_counts"

    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    responses: Mapped[int] = mapped_column()


class AnswerPairCount(db.Model):
    """How many released responses have both of two answers: one to a question a group or breakdown
    can be by (single choice or scale), and one to a question counted by value (any with options).

    With `value` ANSWERED (app/counts.py), the responses with that first answer that answered the
    question at all, whatever its kind: a multiple choice's options overlap, so they do not add up
    to it. A dashboard within one group, and a breakdown of all responses, read these rows instead
    of joining the answers table to itself (181 s for one group at a million responses).
    """

    __tablename__ = "answer_pair_counts"
    __table_args__ = RANDOM_ORDER  # keyed by its values, not by when a row was first added

    by_question: Mapped[str] = mapped_column(String(64), primary_key=True)
    by_value: Mapped[str] = mapped_column(Text, primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    responses: Mapped[int] = mapped_column()


class QuestionnaireVersion(db.Model):
    """What a questionnaire version asked: its questions and options with their English texts, kept when
    an app first starts with it (app/questionnaire/versions.py), so the exports and the codebook can
    describe answers given under earlier versions after their file has gone. Nothing about respondents."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (Index("ix_questionnaire_versions_version", "version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)  # the order versions were first used in
    version: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict] = mapped_column(JSON)


class SurveyFile(db.Model):
    """An uploaded XLSForm, kept as its bytes: a draft, the live version, or a version once live and
    now retired (app/surveys/lifecycle.py). Who uploaded it and who made it live are staff (or
    "command line"); nothing here is about respondents."""

    __tablename__ = "survey_files"
    __table_args__ = (
        # At most one live row, whatever two staff members do at once.
        Index("ix_survey_files_one_live", "state", unique=True,
              sqlite_where=text("state = 'live'"), postgresql_where=text("state = 'live'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32))  # the settings sheet's version
    state: Mapped[str] = mapped_column(String(8), index=True)  # draft, live or retired
    content: Mapped[bytes] = mapped_column(LargeBinary)  # the .xlsx file as uploaded
    sha256: Mapped[str] = mapped_column(String(64))  # of content: the parsed questionnaire's cache key
    uploaded_by: Mapped[str] = mapped_column(String(64))  # a staff username, or "command line"
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    made_live_by: Mapped[str | None] = mapped_column(String(64))
    made_live_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SurveySettings(db.Model):
    """The survey's opening and closing moments as set in the staff area: one row (id 1), absent until
    they are first set, when SURVEY_OPENS and SURVEY_CLOSES apply. None is "no such limit"."""

    __tablename__ = "survey_settings"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    opens: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    # Two-factor code attempts since the last right code, each counted when claimed, before its check
    # (app/staff/auth/code_attempts.py); 10 locks the account for codes. And when the last was claimed.
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
    # A preview of a stored survey file (app/staff/preview.py): which file, and the answers typed
    # into it. Kept with the session, so they end with it, and never a draft, response or count.
    preview_file_id: Mapped[int | None] = mapped_column()
    preview_answers: Mapped[dict | None] = mapped_column(JSON)
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


class ResultsPublication(db.Model):
    """A "you said, we did" snapshot shown on /results (app/results/snapshot.py) until the next one.

    The tables are stored as the public sees them, already protected: a hidden count is stored as
    its reason ("small" or "secondary"), never as a number, so neither this row nor a backup of it
    holds a count the page hides. The day (never a time) and who published it; `responses` is how
    many released responses there were then, which the next publication must exceed by the
    suppression threshold. Nothing here is about any one respondent.
    """

    __tablename__ = "results_publications"

    id: Mapped[int] = mapped_column(primary_key=True)  # the latest is the one shown
    published_on: Mapped[date] = mapped_column(Date)
    published_by: Mapped[str] = mapped_column(String(64))  # a staff username
    responses: Mapped[int] = mapped_column()
    threshold: Mapped[int] = mapped_column()  # STAFF_SUPPRESSION_THRESHOLD then: "fewer than 5"
    languages: Mapped[list] = mapped_column(JSON)  # the survey's languages then, its default first
    # language -> {"title": ..., "text": ...}: the owner's words, plain text, in the survey's languages
    texts: Mapped[dict] = mapped_column(JSON)
    # [{"kind": "table" or "breakdown", ...}]: labels in every language and the protected figures
    tables: Mapped[list] = mapped_column(JSON)
