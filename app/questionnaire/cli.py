"""`flask --app wsgi survey ...`: check and show questionnaires written as XLSForm spreadsheets."""

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.questionnaire import versions, xlsform
from app.questionnaire.review import show

survey_cli = AppGroup("survey", help="The questionnaire as an XLSForm spreadsheet.")


def _languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def _load_or_exit(path: str):
    try:
        return xlsform.load(path, _languages())
    except xlsform.SurveyFileError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(error.problems)} problem(s) in {path}", err=True)
        sys.exit(1)


@survey_cli.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def check(file):
    """Check an XLSForm file: exit 0 if the service can run it, else list every problem and exit 1."""
    questionnaire = _load_or_exit(file)
    refused = versions.problem(questionnaire)
    if refused:
        click.echo(refused, err=True)
        sys.exit(1)
    count = len(questionnaire.questions)
    click.echo(f"{file}: version {questionnaire.version}, {len(questionnaire.pages)} pages, {count} questions, no problems.")


@survey_cli.command("show")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--lang", "language", default="en", show_default=True, help="The language to print.")
def show_command(file, language):
    """Print a questionnaire as text (without FILE: the one the app serves)."""
    if language not in _languages():
        raise click.BadParameter(f"{language!r} is not one of {', '.join(_languages())}", param_hint="--lang")
    if file:
        questionnaire = _load_or_exit(file)
    else:
        from app.questionnaire import QUESTIONNAIRE as questionnaire
    click.echo(show(questionnaire, language), nl=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(survey_cli)
