"""The command line: staff accounts and data retention."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, AuditEvent, Draft, Response, StaffUser


def test_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["staff", "create", "Analyst", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created analyst (analyst)." in result.output  # the default role
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.username == "analyst" and user.active and user.role == "analyst" and user.totp_secret is None
        assert user.password_hash.startswith("scrypt:")
        assert db.session.scalar(select(AuditEvent)).action == "account_created"


def test_create_prompts_twice(app, runner):
    result = runner.invoke(args=["staff", "create", "analyst"], input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Password: \nRepeat for confirmation: \n")
    mismatch = runner.invoke(args=["staff", "create", "other"], input="a long enough password\nnot the same one\n")
    assert mismatch.exit_code != 0


def test_passwords_shorter_than_12_are_refused(app, runner):
    result = runner.invoke(args=["staff", "create", "analyst", "--password-stdin"], input="elevenchars\n")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_a_username_is_created_once(app, runner):
    runner.invoke(args=["staff", "create", "analyst", "--password-stdin"], input="a long enough password\n")
    result = runner.invoke(args=["staff", "create", "ANALYST", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 1 and "already an account called analyst" in result.output


def test_list_disable_and_set_password(app, runner):
    runner.invoke(args=["staff", "create", "bea", "--password-stdin"], input="a long enough password\n")
    runner.invoke(args=["staff", "create", "al", "--role", "viewer", "--password-stdin"], input="a long enough password\n")
    assert runner.invoke(args=["staff", "disable", "bea"]).output == "Disabled bea.\n"
    assert runner.invoke(args=["staff", "list"]).output == "al\tviewer\tactive\tno-2fa\nbea\tanalyst\tdisabled\tno-2fa\n"
    result = runner.invoke(args=["staff", "set-password", "bea", "--password-stdin"], input="another long password\n")
    assert result.output == "Set a new password for bea.\nbea is still disabled (flask staff enable bea).\n"
    assert runner.invoke(args=["staff", "list"]).output == "al\tviewer\tactive\tno-2fa\nbea\tanalyst\tdisabled\tno-2fa\n"
    assert runner.invoke(args=["staff", "enable", "bea"]).output == "Enabled bea.\n"
    assert runner.invoke(args=["staff", "list"]).output == "al\tviewer\tactive\tno-2fa\nbea\tanalyst\tactive\tno-2fa\n"
    missing = runner.invoke(args=["staff", "disable", "nobody"])
    assert missing.exit_code == 1 and "no account called nobody" in missing.output


def _actions(app):
    with app.app_context():
        return [(e.action, e.details) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_finding_setting_a_password_does_not_enable_a_disabled_account(app, runner):
    # It used to, and the audit trail said only "password set": enabling is its own change, audited apart.
    runner.invoke(args=["staff", "create", "bea", "--password-stdin"], input="a long enough password\n")
    runner.invoke(args=["staff", "disable", "bea"])
    runner.invoke(args=["staff", "set-password", "bea", "--password-stdin"], input="another long password\n")
    with app.app_context():
        assert db.session.scalar(select(StaffUser.active).where(StaffUser.username == "bea")) is False
    assert _actions(app)[-1] == ("password_set", {"username": "bea"})
    result = runner.invoke(args=["staff", "set-password", "bea", "--enable", "--password-stdin"], input="a third long password\n")
    assert result.exit_code == 0 and result.output == "Set a new password for bea.\nEnabled bea.\n"
    assert _actions(app)[-2:] == [("password_set", {"username": "bea"}), ("account_enabled", {"username": "bea"})]
    with app.app_context():
        assert db.session.scalar(select(StaffUser.active).where(StaffUser.username == "bea")) is True


@pytest.mark.parametrize("command", [["disable", "kim"], ["set-role", "kim", "analyst"]])
def test_finding_the_command_line_never_leaves_no_enabled_admin(app, runner, command):
    from tests.staff.conftest import make_user

    make_user(app, "kim", role="admin")
    make_user(app, "lee", role="admin")
    runner.invoke(args=["staff", "disable", "lee"])  # a disabled admin does not count
    result = runner.invoke(args=["staff", *command])
    assert result.exit_code == 1 and "kim is the only enabled admin" in result.output
    assert runner.invoke(args=["staff", "list"]).output == "kim\tadmin\tactive\t2fa\nlee\tadmin\tdisabled\t2fa\n"
    runner.invoke(args=["staff", "enable", "lee"])
    assert runner.invoke(args=["staff", *command]).exit_code == 0  # another admin remains: allowed


def test_roles_and_two_factor_reset(app, runner):
    from tests.staff.conftest import make_user

    make_user(app, "kim", role="viewer")
    assert runner.invoke(args=["staff", "list"]).output == "kim\tviewer\tactive\t2fa\n"
    assert runner.invoke(args=["staff", "set-role", "kim", "admin"]).output == "kim is now admin.\n"
    assert runner.invoke(args=["staff", "set-role", "kim", "owner"]).exit_code == 2
    assert runner.invoke(args=["staff", "create", "x", "--role", "root", "--password-stdin"], input="a long enough password\n").exit_code == 2
    result = runner.invoke(args=["staff", "reset-2fa", "kim"])
    assert result.exit_code == 0 and "set it up again" in result.output
    assert runner.invoke(args=["staff", "list"]).output == "kim\tadmin\tactive\tno-2fa\n"
    with app.app_context():
        actions = [(e.actor, e.action, e.details) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == [(None, "role_set", {"username": "kim", "role": "admin"}), (None, "two_factor_reset", {"username": "kim"})]


def test_weak_passwords_are_refused_on_the_command_line(app, runner):
    result = runner.invoke(args=["staff", "create", "analyst", "--password-stdin"], input="aaaaaaaaaaaa\n")
    assert result.exit_code == 1 and "harder to guess" in result.output


def test_purge_deletes_old_responses_and_expired_drafts(app, runner, rows):
    rows([
        ("old1", date(2026, 6, 1), "en", "v", [("area", "coventry"), ("age", "25_34")]),
        ("old2", date(2026, 6, 7), "en", "v", [("area", "dudley")]),
        ("keep", date(2026, 6, 8), "en", "v", [("area", "walsall")]),
    ])
    now = datetime.now(timezone.utc)
    with app.app_context():
        db.session.add_all([Draft(id="expired", answers={}, expires_at=now - timedelta(minutes=1)),
                            Draft(id="live", answers={}, expires_at=now + timedelta(minutes=30))])
        db.session.commit()
    result = runner.invoke(args=["responses", "purge", "--before", "2026-06-08"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Deleted 2 responses submitted before 2026-06-08 and 1 expired drafts.\n"
        "Deleted 0 audit trail entries older than 400 days.\n"
    )
    with app.app_context():
        assert db.session.scalars(select(Response.id)).all() == ["keep"]
        assert db.session.scalars(select(Answer.response_id)).all() == ["keep"]
        assert db.session.scalars(select(Draft.id)).all() == ["live"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "purge"))
        assert event.details == {"before": "2026-06-08", "responses": 2, "drafts": 1, "audit_events": 0, "audit_days": 400}


@pytest.mark.parametrize("days", [None, 30, 0])
def test_purge_deletes_audit_entries_older_than_the_retention(make_app, days):
    app = make_app() if days is None else make_app(STAFF_AUDIT_RETENTION_DAYS=days)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ages = [1, 29, 31, 399, 401, 3000]  # days
    with app.app_context():
        db.session.add_all(
            AuditEvent(occurred_at=now - timedelta(days=age), actor="sam", action="sign_in", details={"age": age}) for age in ages
        )
        db.session.add(AuditEvent(occurred_at=now - timedelta(days=500), actor=None, action="sign_in_failed_unknown", details={}, count=9))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["responses", "purge", "--before", "2000-01-01"])
    assert result.exit_code == 0, result.output
    kept_days = {None: 400, 30: 30, 0: None}[days]
    expected = [age for age in ages if kept_days is None or age < kept_days]
    with app.app_context():
        kept = [e.details["age"] for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in").order_by(AuditEvent.id))]
        unknown = db.session.scalar(select(func.count()).where(AuditEvent.action == "sign_in_failed_unknown"))
        purge = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "purge"))
    assert kept == expected
    assert unknown == (1 if kept_days is None else 0)
    deleted = len(ages) + 1 - len(expected) - unknown
    if kept_days is None:
        assert "audit" not in result.output and "audit_events" not in purge.details
    else:
        assert f"Deleted {deleted} audit trail entries older than {kept_days} days." in result.output
        assert purge.details["audit_events"] == deleted and purge.details["audit_days"] == kept_days
    # The purge's own entry is new: it stays, and says what went.
    from app.staff import audit

    with app.test_request_context():
        assert "audit trail entries" in audit.describe(purge) or kept_days is None


def test_purge_needs_a_real_day(app, runner):
    assert runner.invoke(args=["responses", "purge", "--before", "June"]).exit_code == 2
    assert runner.invoke(args=["responses", "purge"]).exit_code == 2


def test_recount_mends_counts_that_drifted(app, runner, rows):
    """A response deleted by hand (an erasure request) leaves the dashboard counts too high until a recount."""
    from app import counts
    from app.models import Response

    rows([
        ("erased", date(2026, 6, 1), "en", "v", [("area", "coventry"), ("age", "25_34")]),
        ("kept1", date(2026, 6, 7), "en", "v", [("area", "dudley")]),
        ("kept2", date(2026, 6, 8), "en", "v", [("area", "walsall")]),
    ])
    with app.app_context():
        db.session.delete(db.session.get(Response, "erased"))
        db.session.commit()
        assert counts.total() == 3 and counts.kept() != counts.fresh()
    result = runner.invoke(args=["responses", "recount"])
    assert result.exit_code == 0, result.output
    assert result.output == "Recounted: 2 responses (the counts had 3).\n"
    with app.app_context():
        assert counts.kept() == counts.fresh() and counts.total() == 2
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recount")).all()
        assert [(e.actor, e.details) for e in events] == [(None, {"responses": 2, "before": 3})]
