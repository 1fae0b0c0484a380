"""The public results page and its CSV: every language (right to left too), the tables and charts,
the owner's words escaped, the page when nothing is published, and the links to it."""

import pytest

from app import results, stylesheet
from app.results.charts import MARGIN
from app.config import LANGUAGES
from app.questionnaire import QUESTIONNAIRE
from tests.helpers import Respondent, soup
from tests.results.conftest import BREAKDOWN, TABLES, public_page, publish

CSV_TEXTS = {"en": ("=HYPERLINK(\"http://evil.example\")", "Words.")}


@pytest.mark.parametrize("path", ["/results", "/results.csv"])
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_nothing_published_is_a_clear_page_in_every_language(client, path, language):
    response = client.get(f"{path}?lang={language}")
    assert response.status_code == 404  # no results page yet: nothing should keep this one as one
    page = soup(response)
    assert page.html["lang"] == language and page.html["dir"] == LANGUAGES[language]["dir"]
    with client.application.test_request_context(f"/?lang={language}"):
        from flask_babel import gettext

        assert page.h1.get_text() == gettext("No results published yet")
    assert page.select_one("a.quick-exit") and page.select_one("main a[href='/']")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_language_shows_the_tables_in_that_language(app, editor, survey_rows, language):
    publish(editor, TABLES, [BREAKDOWN], {"en": ("Results", "What we did."), "ur": ("نتائج", "ہم نے کیا کیا۔")})
    page = public_page(editor, language)
    assert page.html["lang"] == language and page.html["dir"] == LANGUAGES[language]["dir"]
    area = QUESTIONNAIRE.questions["area"]
    with app.test_request_context(f"/?lang={language}"):
        heading = str(area.summary_label or area.text)
        birmingham = str(area.option("birmingham").label)
    section = page.select_one("section.result")
    assert section.h3.get_text() == heading
    assert birmingham in [th.get_text() for th in section.select("tbody th")]
    # The owner wrote in English and Urdu: another language's page shows the English, marked as English.
    story = page.select_one(".story")
    if language in ("en", "ur"):
        assert "lang" not in story.attrs and page.h1.get_text() == ("نتائج" if language == "ur" else "Results")
    else:
        assert story["lang"] == "en" and story["dir"] == "ltr" and page.h1["lang"] == "en"
    with app.test_request_context(f"/?lang={language}"):
        from app.i18n import format_day
        from app.survey.state import today_london

        day = format_day(today_london())
    published = page.select_one("#published").get_text()
    assert day in published and str(len(survey_rows)) in published


def test_hidden_counts_read_as_on_the_staff_summaries(editor, survey_rows):
    publish(editor, ["area"], [])
    table = public_page(editor).select_one("section.result table")
    cells = {tr.th.get_text(): [td.get_text() for td in tr.select("td")] for tr in table.select("tbody tr")}
    assert cells["Walsall"] == ["fewer than 5", "fewer than 5"]
    assert "hidden" in [count for count, _ in cells.values()]
    assert cells["Sandwell"] == ["0", "0.0%"]
    assert table.select_one("tfoot td").get_text() == f"{len(survey_rows)}"
    assert [th.get_text() for th in table.select("thead th")] == ["Answer", "Number of responses", "Share of all responses"]


def test_each_chart_says_what_it_shows_and_draws_only_shown_counts(editor, survey_rows):
    publish(editor, ["area"], [BREAKDOWN])
    one_way, by_area = public_page(editor).select("section.result")
    chart = one_way.select_one("svg[role=img]")
    title = chart.select_one("title")
    assert chart["aria-labelledby"] == title["id"]
    assert title.get_text() == ("Bar chart of the table above: the number of people who gave each answer to “Which area do you live in?”. "
                                "Each bar is labelled with its number and share; a hidden number has no bar.")
    shown = [tr for tr in one_way.select("tbody tr") if tr.td.get_text() not in ("0", "hidden", "fewer than 5")]
    assert len(chart.select("rect")) == len(shown)
    labels = [text.get_text() for text in chart.select("text")]
    assert "Walsall" in labels and "fewer than 5" in labels and "hidden" in labels
    assert all(rect["fill"] == "#1d70b8" for rect in chart.select("rect"))  # 5.2:1 on white
    grouped = by_area.select_one("svg[role=img] title").get_text()
    assert grouped.startswith("Bar chart of the table above: for each answer to “Which area do you live in?”, the share of the people")


def test_a_right_to_left_chart_is_mirrored(editor, survey_rows):
    publish(editor, ["area"], [])
    chart = public_page(editor, "ar").select_one("svg")
    assert chart["direction"] == "rtl"
    width = float(chart["width"])
    for rect in chart.select("rect"):  # bars start at the right (inside its margin) and grow to the left
        assert float(rect["x"]) + float(rect["width"]) == pytest.approx(width - MARGIN)


@pytest.mark.parametrize("field", ["title", "text"])
def test_html_in_the_owners_words_is_shown_as_typed(editor, survey_rows, field):
    typed = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:x">link</a>'
    texts = {"en": (typed, "Words.") if field == "title" else ("Results", f"One.\n\n{typed}\nTwo")}
    assert publish(editor, ["area"], [], texts).status_code == 303
    response = editor.get("/results")
    page = soup(response)
    assert not page.select("script, img, main a[href^=javascript]")
    shown = page.h1.get_text() if field == "title" else page.select(".story p")[1].get_text("|")
    assert shown == (typed if field == "title" else f"{typed}|Two")
    assert b"<script>" not in response.get_data()
    staff = soup(editor.get("/staff/results"))  # the staff page shows the title too
    assert not staff.select("main script, main img")


def test_paragraphs_come_from_blank_lines(editor, survey_rows):
    publish(editor, ["area"], [], {"en": ("Results", "First line\nsecond line\n\n\n  Next paragraph  \r\n\r\nLast")})
    paragraphs = public_page(editor).select(".story p")
    assert [p.get_text("|") for p in paragraphs] == ["First line|second line", "Next paragraph", "Last"]
    assert len(paragraphs[0].select("br")) == 1


def test_the_csv_holds_the_published_tables_as_shown(editor, survey_rows):
    publish(editor, ["area"], [BREAKDOWN], CSV_TEXTS)
    response = editor.get("/results.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="results-')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # a byte-order mark, so Excel reads UTF-8
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "\"'=HYPERLINK(\"\"http://evil.example\"\")\""  # a formula is only ever text
    assert lines[1].startswith("Last published on ") and lines[1].endswith(f" from {len(survey_rows)} responses.")
    assert lines[3:5] == ["Which area do you live in?", "Answer,Number of responses,Share of all responses"]
    assert "Walsall,fewer than 5,fewer than 5" in lines
    page = public_page(editor)
    rows = [",".join([tr.th.get_text()] + [td.get_text() for td in tr.select("td")]) for tr in page.select("section.result")[0].select("tr")[1:]]
    assert lines[5:5 + len(rows)] == rows  # every figure exactly as the page shows it
    assert lines[5 + len(rows) + 1] == "\"After dark, in a quiet street near your home, by the answer to “Which area do you live in?”\""
    assert "Birmingham: number of responses" in lines[5 + len(rows) + 2]
    assert body.endswith(b"\r\n") and lines[-1] == ""


def test_the_csv_is_in_the_language_asked_for(editor, survey_rows):
    publish(editor, ["area"], [], {"en": ("Results", "Words."), "pl": ("Wyniki", "Słowa.")})
    lines = editor.get("/results.csv?lang=pl").get_data().decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Wyniki"
    assert lines[4].startswith("Odpowiedź,") and "Gdzie indziej,0,0.0%" in lines


def test_start_and_end_pages_link_to_the_results_only_once_published(app, editor, survey_rows):
    respondent = Respondent(app.test_client())
    assert not soup(respondent.client.get("/")).select("#results-link")
    publish(editor, ["area"], [])
    start = soup(respondent.client.get("/"))
    assert start.select_one("#results-link a")["href"] == "/results"
    respondent.complete()
    respondent.submit()
    done = soup(respondent.client.get("/done"))
    assert done.select_one("#results-link a")["href"] == "/results"


def test_another_process_sees_a_publication_within_seconds(make_app, survey_rows, app, editor, monkeypatch):
    other = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = other.test_client()
    now = [1000.0]
    monkeypatch.setattr(results, "clock", lambda: now[0])
    assert not soup(client.get("/")).select("#results-link")
    publish(editor, ["area"], [])
    assert not soup(client.get("/")).select("#results-link")  # asked a moment ago: not again yet
    now[0] += results.CHECK_SECONDS
    assert soup(client.get("/")).select("#results-link")


def test_the_page_prints_as_a_report(editor, survey_rows):
    css = str(stylesheet.load()[0])
    assert "@media print{.exit-bar,.skip-link,.language-switch,.footer,.no-print{display:none}" in css
    publish(editor, ["area"], [])
    page = public_page(editor)
    assert page.select("main .no-print a[href='/results.csv']")
    assert not page.select("[style], script")


def test_a_long_label_wraps_onto_lines_of_its_chart(editor, survey_rows):
    publish(editor, ["experiences"], [])
    chart = public_page(editor, "pl").select_one("svg")
    texts = [text.get_text() for text in chart.select("text")]
    label = "Zaczepki, gwizdy lub niechciane komentarze i żarty o podtekście seksualnym"
    assert label not in texts  # 74 characters: SVG would draw it on one line, out of the chart
    lines = [t for t in texts if t in label]
    assert " ".join(lines) == label and all(len(line) <= 44 for line in lines)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_results_page_fits_in_one_round_trip(app, editor, survey_rows, language):
    """The public pages' budget (tests/test_page_weight.py): HTML with its stylesheet, gzip, under 14 KB,
    here with three tables, a breakdown and both charts."""
    from tests.test_page_weight import BUDGET, gzipped_size

    publish(editor, TABLES, [BREAKDOWN], {"en": ("Results", "What we did.")})
    response = app.test_client().get(f"/results?lang={language}")
    assert response.status_code == 200
    assert gzipped_size(response.get_data()) < BUDGET


def test_a_word_longer_than_a_line_is_cut_to_fit_the_chart():
    from app.results.charts import CHARS, wrap

    assert wrap("see " + "x" * 100) == ["see", "x" * CHARS, "x" * CHARS, "x" * (100 - 2 * CHARS)]
    assert all(len(line) <= CHARS for line in wrap("https://" + "a" * 300 + " end"))
