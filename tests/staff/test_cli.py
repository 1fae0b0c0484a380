"""The command line: staff accounts and data retention."""

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, AuditEvent, Draft, Response, StaffUser


def test_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["staff", "create", "Analyst", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created analyst." in result.output
    with app.app_context():
        user = db.session.scalar(select(StaffUser))
        assert user.username == "analyst" and user.active
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
    for name in ("bea", "al"):
        runner.invoke(args=["staff", "create", name, "--password-stdin"], input="a long enough password\n")
    assert runner.invoke(args=["staff", "disable", "bea"]).output == "Disabled bea.\n"
    assert runner.invoke(args=["staff", "list"]).output == "al\tactive\nbea\tdisabled\n"
    result = runner.invoke(args=["staff", "set-password", "bea", "--password-stdin"], input="another long password\n")
    assert result.output == "Set a new password for bea.\n"
    assert runner.invoke(args=["staff", "list"]).output == "al\tactive\nbea\tactive\n"
    missing = runner.invoke(args=["staff", "disable", "nobody"])
    assert missing.exit_code == 1 and "no account called nobody" in missing.output


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
    assert result.output == "Deleted 2 responses submitted before 2026-06-08 and 1 expired drafts.\n"
    with app.app_context():
        assert db.session.scalars(select(Response.id)).all() == ["keep"]
        assert db.session.scalars(select(Answer.response_id)).all() == ["keep"]
        assert db.session.scalars(select(Draft.id)).all() == ["live"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "purge"))
        assert event.details == {"before": "2026-06-08", "responses": 2, "drafts": 1}


def test_purge_needs_a_real_day(app, runner):
    assert runner.invoke(args=["responses", "purge", "--before", "June"]).exit_code == 2
    assert runner.invoke(args=["responses", "purge"]).exit_code == 2
