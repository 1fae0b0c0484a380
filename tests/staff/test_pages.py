"""Every staff page: the layout promises (landmarks, one h1, skip link, no quick exit), headers, weight split."""

import pytest

from tests.helpers import soup

PAGES = ["/staff", "/staff/breakdown", "/staff/breakdown?question=experiences&by=age", "/staff/export", "/staff/audit"]


@pytest.mark.parametrize("url", PAGES)
def test_staff_page_layout(staff, submit_response, url):
    submit_response()
    response = staff.get(url)
    page = soup(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert page.html["lang"] == "en"
    assert len(page.select("h1")) == 1
    assert page.select_one("a.skip-link[href='#main']") and page.select_one("main#main")
    assert page.select_one("header") and page.select_one("footer") and page.select_one("nav[aria-label]")
    assert not page.select(".quick-exit, .quick-exit-first, .languages, a[href='/exit'], a[href*='lang=']")
    assert not page.select("script, [style], style")
    assert [link["href"] for link in page.select("link[rel=stylesheet]")] == ["/static/site.css", "/static/staff.css"]
    assert page.select_one(f"nav a[href='{url.split('?')[0]}']").get("aria-current") == "page"


def test_staff_pages_are_english_whatever_the_browser_asks_for(staff):
    page = soup(staff.get("/staff?lang=ur", headers={"Accept-Language": "ur"}))
    assert page.html["lang"] == "en" and page.html["dir"] == "ltr"
    assert page.select_one(".skip-link").get_text() == "Skip to main content"
    assert "lang" not in staff.get("/staff?lang=ur").headers.get("Set-Cookie", "")


def test_public_pages_do_not_load_the_staff_stylesheet(client):
    page = soup(client.get("/"))
    assert page.select("link[rel=stylesheet]") == []  # the public stylesheet is inlined
    assert "staff" not in page.select_one("style").get_text()


def test_the_public_start_page_does_not_link_to_the_staff_area(client):
    assert not soup(client.get("/")).select("a[href^='/staff']")
