"""The README and the guides in docs/ say only what is true of this repository: every command in their
shell blocks names a real make target, flask command or script (or a system tool), and every relative
link and image resolves, anchors included."""

import re
import shlex
from functools import cache
from pathlib import Path

import click
import pytest
from flask.cli import FlaskGroup, ScriptInfo

ROOT = Path(__file__).resolve().parent.parent
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXPECTED_GUIDES = {"survey-owners.md", "operators.md", "analysts.md", "security.md", "design.md", "benchmarks.md"}

# Programs the guides may call that are not this repository's: the system's, and the venv's own tools.
TOOLS = {
    "adduser", "apt-get", "cat", "certbot", "chmod", "chown", "cp", "createdb", "csv2po", "curl", "date",
    "diff", "echo", "git", "gunicorn", "ln", "mkdir", "nginx", "npm", "pg_dump", "pg_restore", "pip", "po2csv",
    "psql", "pybabel", "pytest", "python", "python3", "rm", "Rscript", "sqlite3", "systemctl",
}
SHELL_WORDS = {"for", "do", "done", "in", "then", "fi", "if", "export", "set", ".", "cd"}
BLOCK = re.compile(r"^```(sh|bash|console)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<(?:img|a) [^>]*?(?:src|href)=\"([^\"]+)\"")
HEADING = re.compile(r"^#{1,6} (.+)$", re.M)


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)  # no headings in code
    return {_slug(heading) for heading in HEADING.findall(text)}


@cache
def _make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w.-]*):(?!=)", (ROOT / "Makefile").read_text(), re.M))


@cache
def _flask_cli():
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "docs", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return FlaskGroup(create_app=lambda: app), app


def _commands(block: str) -> list[list[str]]:
    """Each simple command of a shell block, as words: continuations joined, comments dropped, and
    pipes, lists, `$(...)` and `<(...)` split into commands of their own."""
    text = block.replace("\\\n", " ")
    inner = []  # what $(...) and <(...) run is a command too; the outer one gets a plain word
    text = re.sub(r"[<$]\(([^()]*)\)", lambda match: inner.append(match[1]) or "WORD", text)
    commands = []
    for line in text.splitlines() + inner:
        words = shlex.split(line, comments=True)
        command = []
        for word in words + [";"]:
            if word in {";", "&&", "||", "|"} or word.endswith(";"):
                if word.endswith(";") and word != ";":
                    command.append(word[:-1])
                if command:
                    commands.append(command)
                command = []
            else:
                command.append(word)
    return commands


def _problem(words: list[str]) -> str | None:
    """Why a command names nothing real, or None."""
    while words and (re.match(r"^\w+=", words[0]) or words[0] in SHELL_WORDS):
        if words[0] in {"export", "set", ".", "for", "cd"}:
            return None  # shell built-ins with arguments of their own
        words = words[1:]
    if not words:
        return None
    program, args = words[0], words[1:]
    name = program.rsplit("/", 1)[-1]
    if name == "make":
        unknown = [a for a in args if not a.startswith("-") and "=" not in a and a not in _make_targets()]
        return f"no make target {unknown}" if unknown else None
    if name == "flask":
        return _flask_problem(args)
    if program.startswith(".venv/bin/"):
        if name in {"python", "python3"} and args and not args[0].startswith("-"):
            return None if (ROOT / args[0]).exists() else f"no script {args[0]}"
        return None if name in TOOLS else f"{program} is not a tool the venv has"
    if "/" in program:
        return None if (ROOT / program).exists() else f"no script {program}"
    return None if name in TOOLS else f"{program} is neither a make target, a flask command, a script nor a known tool"


def _flask_problem(args: list[str]) -> str | None:
    if args[:2] == ["--app", "wsgi"]:
        args = args[2:]
    group, app = _flask_cli()
    command, path = group, []
    # A context of its own, closed at once: FlaskGroup.get_command pushes the app's context onto it,
    # which left open would serve every later test's CLI command from this app's empty database.
    with click.Context(group, obj=ScriptInfo(create_app=lambda: app)) as context:
        while isinstance(command, click.Group) and args and not args[0].startswith("-"):
            path.append(args[0])
            command = command.get_command(context, args.pop(0))
            if command is None:
                return f"no flask command {' '.join(path)}"
    return None if path else "flask without a command"


def test_every_guide_is_there_and_says_whom_it_is_for():
    assert {path.name for path in GUIDES[1:]} == EXPECTED_GUIDES
    for path in GUIDES[1:]:
        opening = path.read_text().split("\n\n")[1]
        assert "**For**" in opening and "**You will be able to**" in opening.replace("\n", " "), path.name


def test_the_readme_stays_short_and_links_to_every_guide():
    readme = (ROOT / "README.md").read_text()
    assert readme.count("\n") <= 200
    for name in EXPECTED_GUIDES:
        assert f"(docs/{name})" in readme, name


@pytest.mark.parametrize("path", GUIDES, ids=lambda path: path.name)
def test_every_command_names_something_real(path):
    problems = []
    for _, block in BLOCK.findall(path.read_text()):
        for words in _commands(block):
            problem = _problem(words)
            if problem:
                problems.append(f"{' '.join(words)}: {problem}")
    assert not problems, problems


@pytest.mark.parametrize("path", GUIDES, ids=lambda path: path.name)
def test_every_relative_link_resolves(path):
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans are not links
    broken = []
    for target in [markdown or html for markdown, html in LINK.findall(text)]:
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        where = (path.parent / file).resolve() if file else path
        if not where.exists():
            broken.append(target)
        elif anchor and where.suffix == ".md" and anchor not in _anchors(where):
            broken.append(target)
    assert not broken, broken


def test_the_checker_finds_what_is_not_real():
    """The checks above would catch a mistake: a made-up target, flask command, script and anchor."""
    assert _problem(["make", "no-such-target"])
    assert _problem([".venv/bin/flask", "--app", "wsgi", "survey", "no-such-command"])
    assert _problem(["flask", "--app", "wsgi", "nonsense"])
    assert _problem(["bench/no-such-script"])
    assert _problem(["frobnicate"])
    assert not _problem(["flask", "--app", "wsgi", "survey", "check", "my-survey.xlsx"])
    assert not _problem(["PORT=8000", "make", "run"])
    assert "no-such-heading" not in _anchors(ROOT / "docs" / "operators.md")
    assert [["make", "run"], ["date", "+%F"]] == _commands("make run # a comment\ndate +%F\n")
