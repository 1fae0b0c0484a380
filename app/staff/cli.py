"""Command-line tasks for the staff area: `flask --app wsgi staff ...` and `flask --app wsgi responses purge|recount`."""

import sys
from datetime import date

import click
from flask.cli import AppGroup

from app.extensions import db
from app.staff import audit, auth, retention

staff_cli = AppGroup("staff", help="Staff accounts (there is no sign-up page).")
responses_cli = AppGroup("responses", help="Submitted responses.")


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(change, *args):
    try:
        return change(*args)
    except auth.AccountError as error:
        raise click.ClickException(str(error)) from error


ROLE = click.Choice(auth.ROLES)


@staff_cli.command("create")
@click.argument("username")
@click.option("--role", type=ROLE, default=auth.accounts.DEFAULT_ROLE, show_default=True,
              help="viewer: summaries; analyst: also exports; admin: also accounts and the audit trail.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
def create(username: str, role: str, password_stdin: bool):
    """Create a staff account (asks for the password twice). It sets up two-factor at its first sign-in."""
    user = _run(auth.create_user, username, _password(password_stdin), role)
    click.echo(f"Created {user.username} ({user.role}).")


@staff_cli.command("list")
def list_accounts():
    """List staff accounts: role, whether each can sign in, and whether two-factor is set up (and locked)."""
    for user in auth.list_users():
        state = "active" if user.active else "disabled"
        two_factor = "2fa" if user.totp_secret else "no-2fa"
        if auth.codes_locked(user):
            two_factor += "-locked"  # too many wrong codes: `unlock-2fa` or `reset-2fa`
        click.echo(f"{user.username}\t{user.role}\t{state}\t{two_factor}")


@staff_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE)
def set_role(username: str, role: str):
    """Give an account another role; its open sessions end."""
    user = _run(auth.set_role, username, role)
    click.echo(f"{user.username} is now {user.role}.")


@staff_cli.command("reset-2fa")
@click.argument("username")
def reset_two_factor(username: str):
    """For a lost phone: forget an account's two-factor and recovery codes; it sets them up again at its
    next sign-in (with its password). Its open sessions end."""
    user = _run(auth.reset_two_factor, username)
    click.echo(f"Reset two-factor sign-in for {user.username}: they set it up again at their next sign-in.")


@staff_cli.command("unlock-2fa")
@click.argument("username")
def unlock_two_factor(username: str):
    """After too many wrong codes: let an account enter codes again, keeping its app. Its open sessions
    end. If the owner did not make those attempts, someone has the password: set a new one first."""
    user = _run(auth.unlock_codes, username)
    click.echo(f"Unlocked two-factor codes for {user.username}.")


@staff_cli.command("end-sessions")
@click.argument("username")
def end_sessions(username: str):
    """Sign an account out everywhere."""
    ended = _run(auth.end_sessions, username)
    click.echo(f"Ended {ended} sessions of {auth.normalise_username(username)}.")


@staff_cli.command("disable")
@click.argument("username")
def disable(username: str):
    """Stop an account signing in; its open sessions end at once."""
    user = _run(auth.disable_user, username)
    click.echo(f"Disabled {user.username}.")


@staff_cli.command("enable")
@click.argument("username")
def enable(username: str):
    """Let a disabled account sign in again."""
    user = _run(auth.enable_user, username)
    click.echo(f"Enabled {user.username}.")


@staff_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.option("--enable", "enable_too", is_flag=True, help="Also enable the account if it is disabled (audited as its own change).")
def set_password(username: str, password_stdin: bool, enable_too: bool):
    """Set a new password; its open sessions end. A disabled account stays disabled unless --enable."""
    user = _run(auth.set_password, username, _password(password_stdin))
    click.echo(f"Set a new password for {user.username}.")
    if enable_too and not user.active:
        _run(auth.enable_user, user.username)
        click.echo(f"Enabled {user.username}.")
    elif not user.active:
        click.echo(f"{user.username} is still disabled (flask staff enable {user.username}).")


@responses_cli.command("purge")
@click.option(
    "--before",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Delete responses submitted before this day (YYYY-MM-DD); that day is kept.",
)
def purge(before):
    """Delete old responses, every expired draft and audit trail entries past their retention
    (STAFF_AUDIT_RETENTION_DAYS), for data retention."""
    from flask import current_app

    from app.survey.drafts import purge_expired_drafts

    day: date = before.date()
    responses = retention.purge_responses(day)
    drafts = purge_expired_drafts()
    details = {"before": day.isoformat(), "responses": responses, "drafts": drafts}
    click.echo(f"Deleted {responses} responses submitted before {day.isoformat()} and {drafts} expired drafts.")
    days = current_app.config["STAFF_AUDIT_RETENTION_DAYS"]
    if days > 0:
        details.update(audit_events=audit.purge_older_than(days), audit_days=days)
        click.echo(f"Deleted {details['audit_events']} audit trail entries older than {days} days.")
    audit.record(audit.PURGE, None, **details)


@responses_cli.command("recount")
def recount():
    """Count the dashboard's counts afresh from the responses, if they ever drift from them (a
    response deleted by hand, say for an erasure request, or a release by old code during an upgrade)."""
    from app import counts

    before = counts.total()
    counts.rebuild()
    db.session.commit()
    after = counts.total()
    click.echo(f"Recounted: {after} responses (the counts had {before}).")
    audit.record(audit.RECOUNT, None, responses=after, before=before)
