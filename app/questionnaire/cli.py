"""`flask --app wsgi survey ...`: check and show questionnaires written as XLSForm spreadsheets, make one
the live version (publish, as the staff area does), and download a stored one."""

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
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
    refused = versions.problems(questionnaire)
    db.session.remove()
    if refused:
        for problem in refused:
            click.echo(problem, err=True)
        sys.exit(1)
    count = len(questionnaire.questions)
    click.echo(f"{file}: version {questionnaire.version}, {len(questionnaire.pages)} pages, {count} questions, no problems.")


@survey_cli.command("show")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--lang", "language", help="The language to print (default: the survey's default language).")
def show_command(file, language):
    """Print a questionnaire as text (without FILE: the one the app serves)."""
    if file:
        questionnaire = _load_or_exit(file)
    else:
        from app.questionnaire import QUESTIONNAIRE as questionnaire
    # Only the survey's own languages: another would print the default language's texts under its name.
    language = language or questionnaire.languages[0]
    if language not in questionnaire.languages:
        raise click.BadParameter(f"{language!r} is not one of {', '.join(questionnaire.languages)}", param_hint="--lang")
    click.echo(show(questionnaire, language), nl=False)


@survey_cli.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def publish(file):
    """Make FILE the live version, as the staff area's upload and "make live" do: print its problems
    and exit 1, or print what changes in each language and make it live (every worker within seconds)."""
    from app.surveys import lifecycle

    with open(file, "rb") as opened:
        data = opened.read()
    try:
        draft = lifecycle.upload(data, lifecycle.COMMAND_LINE)
    except xlsform.SurveyFileError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(error.problems)} problem(s) in {file}; nothing was kept", err=True)
        sys.exit(1)
    before = lifecycle.live_file()
    for language, lines in lifecycle.changes(draft, before).items():
        click.echo(f"Changes in {language}:" if lines else f"No changes in {language}.")
        for line in lines:
            click.echo(line)
    try:
        lifecycle.make_live(draft, lifecycle.COMMAND_LINE)
    except lifecycle.NotMadeLive as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        click.echo(f"Version {draft.version} was not made live; it is kept as a draft.", err=True)
        sys.exit(1)
    click.echo(f"Version {draft.version} is live (before: {before.version if before else 'none'}).")


@survey_cli.command("download")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--version", "version", help="A version stored earlier (default: the live one).")
def download(out, version):
    """Write a stored survey file (the live version's, or VERSION's) to OUT, byte for byte as uploaded."""
    from app.surveys import lifecycle

    stored = lifecycle.stored(version)
    if stored is None:
        raise click.ClickException(f"No survey file is stored under version {version}." if version else "No live version is stored.")
    with open(out, "wb") as written:
        written.write(stored.content)
    click.echo(f"Wrote version {stored.version} ({stored.state}) to {out}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(survey_cli)
