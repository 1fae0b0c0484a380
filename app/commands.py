"""Command-line tasks: `flask --app wsgi drafts purge`, `flask --app wsgi responses release`."""

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

drafts_cli = AppGroup("drafts", help="Answers in progress.")


@drafts_cli.command("purge")
def purge_drafts():
    """Delete expired drafts (also done as new respondents arrive)."""
    from app.survey.drafts import purge_expired_drafts
    from app.survey.release import release_if_due

    release_if_due()  # a command after midnight releases the ended days, as a request would
    click.echo(f"Deleted {purge_expired_drafts()} expired drafts.")


@click.command("release")
@with_appcontext
def release_responses():
    """Release the responses of every day that has ended (also done by the first request after midnight)."""
    from app.survey.release import release_ended_days, waiting_count
    from app.survey.state import today_london

    released = release_ended_days(today_london())
    click.echo(f"Released {released} responses; {waiting_count()} sent today are waiting for the day to end.")


def init_app(app: Flask) -> None:
    app.cli.add_command(drafts_cli)

    from app.staff.cli import responses_cli, staff_cli

    responses_cli.add_command(release_responses)
    app.cli.add_command(staff_cli)
    app.cli.add_command(responses_cli)
