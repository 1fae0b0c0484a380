"""Command-line tasks: `flask --app wsgi drafts purge`, `flask --app wsgi responses release|discard-held`."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

drafts_cli = AppGroup("drafts", help="Answers in progress.")



@drafts_cli.command("purge")
def purge_drafts():
    """Delete expired drafts (also done as new respondents arrive)."""
    from app.survey.drafts import purge_expired_drafts
    from app.survey.release import release_due

    try:
        release_due()  # a command after midnight releases what is due, as a request would
    except Exception as error:  # the purge must still run; the responses stay held for the next try
        from app.extensions import db

        db.session.rollback()
        click.echo(f"Releasing the ended days failed ({type(error).__name__}); the responses stay held.", err=True)
    click.echo(f"Deleted {purge_expired_drafts()} expired drafts.")


def _held_line(held: int) -> str:
    # "some", never a number: this line goes to the journal every night when a timer runs it.
    if not held:
        return "no responses are held."
    return "some responses are held, sent today or waiting for a batch of at least RELEASE_MIN_RESPONSES."


@click.command("release")
@click.option("--below-minimum", is_flag=True,
              help="Once the survey has closed: release what is left although fewer than RELEASE_MIN_RESPONSES (asks first).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (with --below-minimum).")
@with_appcontext
def release_responses(below_minimum: bool, yes: bool):
    """Release the held responses of ended days, if at least RELEASE_MIN_RESPONSES wait (also done after midnight)."""
    from app.survey.release import release_due, release_ended_days, waiting_count
    from app.survey.state import today_london

    if not below_minimum:
        released = release_due()
        click.echo(f"Released {released} responses; {_held_line(waiting_count())}")
        return
    released = release_due()  # a batch that reached the minimum goes as usual first
    if released:
        click.echo(f"Released {released} responses (a batch of at least RELEASE_MIN_RESPONSES).")
    today = today_london()
    held = _closed_and_held(today)
    minimum = current_app.config["RELEASE_MIN_RESPONSES"]
    click.echo(
        f"{held} responses of ended days are held, fewer than RELEASE_MIN_RESPONSES ({minimum}).\n"
        "Released together, they change the dashboard's counts by only their own answers: anyone who compares\n"
        "the pages before and after this release sees those answers as a small group (one response: that\n"
        "person's whole set). The other choice is `responses discard-held`, which deletes them unreleased."
    )
    if not yes:
        click.confirm("Release them now?", abort=True)
    released = release_ended_days(today, minimum=1)
    _audit("RELEASE_BELOW_MINIMUM", responses=released, minimum=minimum)
    click.echo(f"Released {released} responses below the minimum.")


@click.command("discard-held")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def discard_held(yes: bool):
    """Once the survey has closed: delete the held responses too few to release (never released, never counted)."""
    from app.survey.release import discard_ended
    from app.survey.state import today_london

    today = today_london()
    held = _closed_and_held(today)
    click.echo(f"{held} responses of ended days are held. Discarded, they are deleted and never appear anywhere.")
    if not yes:
        click.confirm("Delete them?", abort=True)
    discarded = discard_ended(today)
    _audit("DISCARD_HELD", responses=discarded, minimum=current_app.config["RELEASE_MIN_RESPONSES"])
    click.echo(f"Discarded {discarded} held responses.")


def _closed_and_held(today) -> int:
    """How many responses of ended days are held; refuses while the survey is open or when none are."""
    from app.survey.release import waiting_count
    from app.survey.state import survey_status

    from app.surveys import live

    if survey_status(*live.dates()) != "closed":
        raise click.ClickException(
            "The survey has not closed (SURVEY_CLOSES): until it does, later responses bring the held ones "
            "to a batch of RELEASE_MIN_RESPONSES, released after their day ends."
        )
    held = waiting_count(today)
    if not held:
        raise click.ClickException("No responses of ended days are held.")
    return held


def _audit(action: str, **details) -> None:
    """Record one of app/staff/audit.py's actions, named by its constant (imported late: the CLI loads first)."""
    from app.staff import audit

    audit.record(getattr(audit, action), None, **details)


def init_app(app: Flask) -> None:
    app.cli.add_command(drafts_cli)

    from app.staff.cli import responses_cli, staff_cli

    responses_cli.add_command(release_responses)
    responses_cli.add_command(discard_held)
    app.cli.add_command(staff_cli)
    app.cli.add_command(responses_cli)
