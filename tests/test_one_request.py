"""One request a page, nothing cached: the stylesheet inlined and allowed by its hash, every public
response `no-store`, no file the page would fetch, and a favicon that costs nothing."""

import base64
import hashlib

import pytest

from app import stylesheet
from app.config import LANGUAGES
from tests.helpers import Respondent, soup


def _public_pages(client):
    respondent = Respondent(client)
    yield "/", client.get("/")
    for path in ("/help", "/privacy", "/leaving-quickly", "/accessibility", "/no-such-page"):
        yield path, client.get(path)
    yield "/start", respondent.start()
    yield "/question/1", client.get("/question/1")
    yield "/question/1 with errors", respondent.post("/question/1", {})
    yield "/question/1, too large", respondent.post("/question/1", {"x": "a" * 70_000})
    respondent.complete()
    yield "/check", client.get("/check")
    yield "/check (POST)", respondent.submit()
    yield "/done", client.get("/done")
    yield "/favicon.ico", client.get("/favicon.ico")
    yield "/exit", client.get("/exit")


@pytest.mark.parametrize("language", ["en", "ur"])
def test_every_public_response_is_no_store_and_each_page_needs_nothing_else(client, language):
    client.get(f"/?lang={language}")
    pages = 0
    for name, response in _public_pages(client):
        assert response.headers["Cache-Control"] == "no-store", name
        if response.mimetype != "text/html" or response.status_code in (204, 302, 303):
            continue
        pages += 1
        page = soup(response)
        # Nothing the browser would fetch: no stylesheet, image, icon or font file; the icon is empty
        # and inline, so browsers do not ask for /favicon.ico either.
        assert not page.select("link[rel~=stylesheet], img, source, iframe, object"), name
        assert [link["href"] for link in page.select("link[rel~=icon]")] == ["data:,"], name
        assert not page.select("[style]"), name
        styles = page.select("style")
        assert len(styles) == 1, name
        css = styles[0].get_text()
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        policy = response.headers["Content-Security-Policy"]
        assert f"style-src 'sha256-{digest}';" in policy, name  # that style and no other
        assert "'self'" not in policy.split("style-src", 1)[1].split(";")[0], name
    assert pages >= 9


def test_the_inlined_style_is_the_source_file_compacted():
    css, source = stylesheet.load()
    original = stylesheet.SOURCE.read_text()
    assert "/*" not in css and len(css) < len(original)
    # Same rules, in the same order: every declaration of the source is there.
    for line in original.splitlines():
        line = line.strip()
        if line.endswith(";") and not line.startswith("/*"):
            assert line in css, line
    assert source.startswith("'sha256-") and source.endswith("='")


def test_a_stylesheet_with_a_closing_tag_is_refused(tmp_path):
    sneaky = tmp_path / "site.css"
    sneaky.write_text("p { color: red }\n</style><p>not a style")
    with pytest.raises(RuntimeError):
        stylesheet.load(sneaky)


def test_the_favicon_is_an_empty_answer(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Set-Cookie" not in response.headers


def test_staff_pages_keep_their_stylesheet_files(client):
    response = client.get("/staff/login")
    page = soup(response)
    assert [link["href"] for link in page.select("link[rel=stylesheet]")] == ["/static/site.css", "/static/staff.css"]
    assert "style-src 'self';" in response.headers["Content-Security-Policy"]
    assert not page.select("style")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_style_is_the_same_in_every_language(client, language):
    css, _ = stylesheet.load()
    assert soup(client.get(f"/?lang={language}")).select_one("style").get_text() == css
