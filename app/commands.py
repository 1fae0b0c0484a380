"""Command-line tasks: `flask --app wsgi drafts purge`."""

import click
from flask import Flask
from flask.cli import AppGroup

drafts_cli = AppGroup("drafts", help="Answers in progress.")


@drafts_cli.command("purge")
def purge_drafts():
    """Delete expired drafts (also done as new respondents arrive)."""
    from app.survey.drafts import purge_expired_drafts

    click.echo(f"Deleted {purge_expired_drafts()} expired drafts.")


def init_app(app: Flask) -> None:
    app.cli.add_command(drafts_cli)

    from app.staff.cli import responses_cli, staff_cli

    app.cli.add_command(staff_cli)
    app.cli.add_command(responses_cli)
