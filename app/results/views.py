"""Public results routes. Thin: the latest publication, shown as a page or as CSV."""

from flask import Response, render_template
from flask_babel import get_locale

from app.results import bp, display, snapshot
from app.staff.exports.csv import BOM, csv_text


def _language() -> str:
    return str(get_locale())


def _nothing_yet():
    # 404, not 200: there is no results page yet, so nothing (a search engine, a link checker, a
    # cache) should keep this one as if it were; a person still gets a clear page in their language.
    return render_template("results/none.html"), 404


@bp.get("/results")
def page():
    publication = snapshot.latest()
    if publication is None:
        return _nothing_yet()
    language = _language()
    titles = {code: texts["title"] for code, texts in publication.texts.items()}
    stories = {code: texts["text"] for code, texts in publication.texts.items()}
    story = display.words(stories, language, publication.languages)
    return render_template(
        "results/page.html",
        publication=publication,
        title=display.words(titles, language, publication.languages),
        story=story,
        story_paragraphs=display.paragraphs(story.text),
        tables=display.page_tables(publication, language),
    )


@bp.get("/results.csv")
def csv():
    publication = snapshot.latest()
    if publication is None:
        return _nothing_yet()
    response = Response(BOM + csv_text(display.csv_rows(publication, _language())), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"results-{publication.published_on.isoformat()}-{_language()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
