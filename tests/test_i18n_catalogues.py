"""The translation catalogues: complete, in step with the code, placeholders intact, compiling cleanly.

A string added to the code or a template without a translation in every language fails here, with
the fix in the message: `make extract`, translate the new entries, `make translations`.
"""

import io
import re
from gettext import GNUTranslations, c2py
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.config import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
TRANSLATED = sorted(code for code in LANGUAGES if code != "en")
FIX = "run `make extract`, translate the new or changed entries in every language, then `make translations`"

# Python named placeholders (%(name)s) and the rest of printf-style conversions, "%%" included.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
# In a plural form a language may say the number in words ("دقيقتان", two minutes) and leave it out.
COUNTS = {"%(count)s", "%(num)s"}


def read_catalogue(code: str) -> Catalog:
    path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def messages(catalogue: Catalog):
    return [message for message in catalogue if message.id]


def singular(message_id) -> str:
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """The strings in the code and templates now, extracted exactly as `make extract` does."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-o", str(pot),
         "--no-location", "--sort-output", str(ROOT)]
    )
    with pot.open("rb") as handle:
        return read_po(handle)


def test_every_configured_language_has_a_catalogue():
    assert "en" in LANGUAGES  # the source language needs no catalogue
    for code in TRANSLATED:
        assert (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").is_file(), f"no catalogue for {code}: {FIX}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_matches_the_strings_in_the_code(code, extracted):
    in_code = {singular(m.id): m.id for m in messages(extracted)}
    in_catalogue = {singular(m.id): m.id for m in messages(read_catalogue(code))}
    missing = sorted(set(in_code) - set(in_catalogue))
    stale = sorted(set(in_catalogue) - set(in_code))
    assert not missing, f"{code}: {len(missing)} string(s) in the code have no entry ({FIX}): {missing}"
    assert not stale, f"{code}: {len(stale)} entr(y/ies) no longer in the code ({FIX}): {stale}"
    changed_plurals = sorted(key for key in in_code if in_code[key] != in_catalogue[key])
    assert not changed_plurals, f"{code}: plural wording changed ({FIX}): {changed_plurals}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_is_complete_with_no_fuzzy_or_obsolete_entries(code):
    catalogue = read_catalogue(code)
    assert not catalogue.fuzzy, f"{code}: the header is marked fuzzy, so pybabel compile would skip it"
    assert len(messages(catalogue)) > 100
    untranslated, fuzzy = [], []
    for message in messages(catalogue):
        forms = message.string if message.pluralizable else (message.string,)
        if message.pluralizable and len(forms) != catalogue.num_plurals:
            untranslated.append(message.id)
        elif not all(form and form.strip() for form in forms):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"{code}: {len(untranslated)} untranslated: {untranslated}"
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy (check the translation, then remove the flag): {fuzzy}"
    assert not catalogue.obsolete, f"{code}: delete the obsolete #~ entries: {list(catalogue.obsolete)}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_are_identical_to_the_source(code):
    wrong = []
    for message in messages(read_catalogue(code)):
        if message.pluralizable:
            source = set(placeholders(message.id[0])) | set(placeholders(message.id[1]))
            for form in message.string:
                found = set(placeholders(form))
                if not found <= source or not (source - COUNTS) <= found:
                    wrong.append((message.id[0], form))
        elif placeholders(message.string) != placeholders(message.id):
            wrong.append((message.id, message.string))
    assert not wrong, f"{code}: placeholders differ from the source: {wrong}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_compiles_without_warnings(code):
    """What `pybabel compile` checks (python-format, plural forms), then a real compile and load."""
    catalogue = read_catalogue(code)
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalogue.check()]
    assert not problems, f"{code}: pybabel compile would warn: {problems}"
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    translations = GNUTranslations(compiled)
    assert translations.gettext("Exit this page") != "Exit this page"
    english = ("It takes about %(count)s minute.", "It takes about %(count)s minutes.")
    for n in (0, 1, 2, 3, 5, 11, 22, 60, 100, 101):
        text = translations.ngettext(*english, n)
        assert text not in english
        assert text % {"count": n}


@pytest.mark.parametrize("code", TRANSLATED)
def test_plural_rule_matches_the_language(code):
    """The header's rule comes from `pybabel init`; a hand edit that breaks it would mis-pick forms.

    Rules are compared by what they pick for each count, not by their text: Babel releases write
    the same rule in different ways.
    """
    catalogue = read_catalogue(code)
    expected = Catalog(locale=code)
    assert catalogue.num_plurals == expected.num_plurals
    ours, babels = c2py(catalogue.plural_expr), c2py(expected.plural_expr)
    differ = [n for n in range(1001) if ours(n) != babels(n)]
    assert not differ, f"{code}: the catalogue's plural rule picks another form than Babel's for n = {differ[:10]}"
