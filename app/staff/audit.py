"""The audit trail: who signed in, exported or purged, and when. Never any answers, and never text
someone typed: a failed sign-in names a real account or says it was for an unknown one."""

from datetime import datetime, time, timedelta, timezone

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import AuditEvent

# Action names stored in the database; the audit page shows each with a readable description.
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_FAILED_UNKNOWN = "sign_in_failed_unknown"  # one row a day, counted
TWO_FACTOR_ENROLLED = "two_factor_enrolled"
RECOVERY_CODE_USED = "recovery_code_used"
SIGN_OUT = "sign_out"
SESSION_EXPIRED = "session_expired"
EXPORT = "export"
CODEBOOK = "codebook"
R_SCRIPT = "r_script"
SUMMARY = "summary"  # a summary table downloaded as CSV (protected counts, no answers)
PURGE = "purge"
RECOUNT = "recount"  # the dashboard counts counted afresh (`flask responses recount`)
ACCOUNT_CREATED = "account_created"
ACCOUNT_DISABLED = "account_disabled"
PASSWORD_SET = "password_set"
ACCOUNT_ENABLED = "account_enabled"
ROLE_SET = "role_set"
TWO_FACTOR_RESET = "two_factor_reset"
TWO_FACTOR_LOCKED = "two_factor_locked"  # too many wrong codes in a row: codes are refused
TWO_FACTOR_UNLOCKED = "two_factor_unlocked"  # by an admin, or by the account's own recovery code
SESSIONS_ENDED = "sessions_ended"
# After the survey closes, a remainder of held responses below RELEASE_MIN_RESPONSES (`flask responses ...`).
RELEASE_BELOW_MINIMUM = "release_below_minimum"
DISCARD_HELD = "discard_held"
# The survey's life (app/surveys/lifecycle.py); by the command line when the actor is None.
SURVEY_UPLOADED = "survey_uploaded"
SURVEY_MADE_LIVE = "survey_made_live"
SURVEY_OPENED = "survey_opened"
SURVEY_CLOSED = "survey_closed"
SURVEY_DATES_SET = "survey_dates_set"
RESULTS_PUBLISHED = "results_published"  # a "you said, we did" snapshot on /results (app/results/snapshot.py)


def record(action: str, actor: str | None, **details) -> AuditEvent:
    """Store one event and commit it, so it is kept even if what follows fails."""
    event = AuditEvent(
        occurred_at=datetime.now(timezone.utc).replace(microsecond=0),
        actor=actor,
        action=action,
        details=details,
    )
    db.session.add(event)
    db.session.commit()
    return event


def record_unknown_sign_in_failure() -> None:
    """Count a failed sign-in for an unknown account: today's row goes up by one (a row is added only
    for the first of the day), so a flood of made-up names adds no rows and nothing typed is kept."""
    at = datetime.now(timezone.utc).replace(microsecond=0)
    midnight = datetime.combine(at.date(), time(0), tzinfo=timezone.utc)
    counted = db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.action == SIGN_IN_FAILED_UNKNOWN, AuditEvent.occurred_at >= midnight)
        .values(count=AuditEvent.count + 1)
    ).rowcount
    if not counted:
        db.session.add(AuditEvent(occurred_at=at, actor=None, action=SIGN_IN_FAILED_UNKNOWN, details={}, count=1))
    db.session.commit()


def purge_older_than(days: int, now: datetime | None = None) -> int:
    """Delete the entries more than `days` days old (retention); returns how many went."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    deleted = db.session.execute(delete(AuditEvent).where(AuditEvent.occurred_at < cutoff)).rowcount
    db.session.commit()
    return deleted


def recent(limit: int = 100, before_id: int | None = None) -> list[AuditEvent]:
    """The newest events first; `before_id` pages back through older ones."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query))


def describe(event: AuditEvent) -> str:
    """An audit event in words (the stored details are filters and counts, never answers)."""
    d = event.details or {}
    reasons = {
        "locked": _("username locked after too many failures"),
        "unknown_user": _("no such account"),
        "disabled": _("account disabled"),
        "wrong_password": _("wrong password"),
        "wrong_code": _("wrong two-factor code"),
    }
    if event.action == SIGN_IN:
        return _("Signed in")
    if event.action == SIGN_IN_FAILED:
        return _("Sign-in failed: %(reason)s", reason=reasons.get(d.get("reason"), d.get("reason", "")))
    if event.action == SIGN_IN_FAILED_UNKNOWN:
        return ngettext(
            "A failed sign-in for an unknown account (this day)",
            "%(num)s failed sign-ins for unknown accounts (this day)",
            event.count or 1,
        )
    if event.action == TWO_FACTOR_ENROLLED:
        return _("Set up two-factor sign-in")
    if event.action == RECOVERY_CODE_USED:
        return _("Signed in with a recovery code (%(left)s left)", left=d.get("left"))
    if event.action == ACCOUNT_ENABLED:
        return _("Enabled the account %(username)s", username=d.get("username"))
    if event.action == ROLE_SET:
        return _("Made %(username)s %(role)s", username=d.get("username"), role=_article(d.get("role")))
    if event.action == TWO_FACTOR_RESET:
        return _("Reset two-factor sign-in for %(username)s", username=d.get("username"))
    if event.action == TWO_FACTOR_LOCKED:
        return _("Locked for two-factor codes after %(count)s wrong codes in a row", count=d.get("attempts"))
    if event.action == TWO_FACTOR_UNLOCKED and d.get("by") == "recovery_code":
        return _("Unlocked two-factor codes with a recovery code")
    if event.action == TWO_FACTOR_UNLOCKED:
        return _("Unlocked two-factor codes for %(username)s", username=d.get("username"))
    if event.action == SESSIONS_ENDED:
        return _("Ended the sessions of %(username)s (%(count)s)", username=d.get("username"), count=d.get("sessions"))
    if event.action == RELEASE_BELOW_MINIMUM:
        return _("Released %(responses)s held responses below the minimum of %(minimum)s",
                 responses=d.get("responses"), minimum=d.get("minimum"))
    if event.action == DISCARD_HELD:
        return _("Discarded %(responses)s held responses, fewer than the minimum of %(minimum)s",
                 responses=d.get("responses"), minimum=d.get("minimum"))
    if event.action == SURVEY_UPLOADED:
        return _("Uploaded a draft of the survey, version %(version)s", version=d.get("version"))
    if event.action == SURVEY_MADE_LIVE:
        return _("Made version %(version)s of the survey live (before: %(before)s)",
                 version=d.get("version"), before=d.get("before") or _("none"))
    if event.action == SURVEY_OPENED:
        return _("Opened the survey again")
    if event.action == SURVEY_CLOSED:
        return _("Closed the survey now")
    if event.action == SURVEY_DATES_SET:
        return _("Set the survey to open %(opens)s and close %(closes)s",
                 opens=d.get("opens") or _("at any time"), closes=d.get("closes") or _("never"))
    if event.action == RESULTS_PUBLISHED:
        return _("Published results from %(responses)s responses: %(count)s tables and %(breakdowns)s breakdowns",
                 responses=d.get("responses"), count=len(d.get("tables") or []), breakdowns=len(d.get("breakdowns") or []))
    if event.action == SIGN_OUT:
        return _("Signed out")
    if event.action == SESSION_EXPIRED:
        return _("Signed out after being idle")
    if event.action == EXPORT and d.get("format") in ("xlsx", "spss", "stata"):
        return _(
            "Exported %(rows)s responses as %(format)s (from %(start)s to %(end)s%(values)s)",
            rows=d.get("rows"),
            format={"xlsx": _("an Excel workbook"), "spss": _("SPSS files"), "stata": _("a Stata file")}[d["format"]],
            start=d.get("start") or _("the first"),
            end=d.get("end") or _("the last"),
            values=(", " + (_("labels") if d.get("values") == "labels" else _("codes"))) if "values" in d else "",
        )
    if event.action == EXPORT:
        return _(
            "Exported %(rows)s responses (from %(start)s to %(end)s, %(values)s, %(bom)s)",
            rows=d.get("rows"),
            start=d.get("start") or _("the first"),
            end=d.get("end") or _("the last"),
            values=_("labels") if d.get("values") == "labels" else _("codes"),
            bom=_("with byte-order mark") if d.get("bom") else _("no byte-order mark"),
        )
    if event.action == CODEBOOK:
        return _("Downloaded the codebook")
    if event.action == R_SCRIPT:
        return _("Downloaded the R script")
    if event.action == SUMMARY:
        return _(
            "Downloaded a summary table: %(question)s%(by)s%(group)s",
            question=d.get("question"),
            by=_(" by %(by)s", by=d["by"]) if d.get("by") else "",
            group=_(" within %(group)s", group=" and ".join(g for g in (d["group"], d.get("and_group")) if g)) if d.get("group") else "",
        )
    if event.action == PURGE:
        text = _(
            "Deleted %(responses)s responses submitted before %(before)s and %(drafts)s expired drafts",
            responses=d.get("responses"),
            before=d.get("before"),
            drafts=d.get("drafts"),
        )
        if "audit_events" in d:
            text += _(
                ", and %(count)s audit trail entries older than %(days)s days",
                count=d["audit_events"],
                days=d.get("audit_days"),
            )
        return text
    if event.action == RECOUNT:
        return _("Recounted the dashboard counts: %(responses)s responses", responses=d.get("responses"))
    if event.action == ACCOUNT_CREATED:
        if d.get("role"):
            return _("Created the account %(username)s (%(role)s)", username=d.get("username"), role=d.get("role"))
        return _("Created the account %(username)s", username=d.get("username"))
    if event.action == ACCOUNT_DISABLED:
        return _("Disabled the account %(username)s", username=d.get("username"))
    if event.action == PASSWORD_SET:
        return _("Set a new password for %(username)s", username=d.get("username"))
    return event.action


def _article(role: str | None) -> str:
    return {"admin": _("an admin"), "analyst": _("an analyst"), "viewer": _("a viewer")}.get(role or "", role or "")


def local_time(event: AuditEvent) -> str:
    """When an event happened, to the minute, in Europe/London time."""
    from app.config import LONDON

    moment = event.occurred_at
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
