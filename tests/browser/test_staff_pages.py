"""Staff pages in headless Chromium: the same axe-core (WCAG 2.2 A/AA), 320 px reflow and Nu HTML checks
as the public pages, on every staff page and its error states, signing in through the real form."""

from datetime import date

import pyotp
import pytest

from app.extensions import db
from app import counts
from app.models import Answer, Response
from app.staff import auth
from tests.browser.checks import PageChecks

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def press(page, selector: str = "main form button"):
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def add_responses(app) -> None:
    """Enough responses that tables show counts, small counts and secondarily hidden ones."""
    areas = ["birmingham"] * 30 + ["coventry"] * 12 + ["dudley"] * 2
    with app.app_context():
        for index, area in enumerate(areas):
            response = Response(id=f"r{index:04}", submitted_on=date(2026, 6, 8 + index % 3), language="en", questionnaire_version="v")
            response.answers = [
                Answer(question_id="area", value=area),
                Answer(question_id="safe_dark_street", value=("very_safe", "fairly_unsafe", "very_unsafe")[index % 3]),
                Answer(question_id="experiences", value="followed"),
                Answer(question_id="difference_text", value="=1+1 better lighting"),
            ]
            db.session.add(response)
        counts.rebuild()  # written without a release: count them as one would
        db.session.commit()
        auth.create_user("analyst", PASSWORD, "admin")


def test_staff_pages_pass_axe_and_the_nu_html_checker(browser_page, serve_app):
    server = serve_app()
    add_responses(server.app)
    page, checks = browser_page, PageChecks()

    response = page.goto(f"{server.url}/staff/login")
    checks.check(page, response, "staff sign-in", quick_exit=False)
    checks.check(page, press(page), "staff sign-in, fields missing", status=400, quick_exit=False)
    page.fill("#username", "analyst")
    page.fill("#password", "not the password")
    checks.check(page, press(page), "staff sign-in, failed", quick_exit=False)
    page.fill("#username", "analyst")
    page.fill("#password", PASSWORD)
    checks.check(page, press(page), "staff two-factor set-up", quick_exit=False)
    secret = page.inner_text(".secret code").replace(" ", "")
    page.fill("#code", "000000")
    checks.check(page, press(page), "staff two-factor set-up, wrong code", quick_exit=False)
    page.fill("#code", pyotp.TOTP(secret).now())
    checks.check(page, press(page), "staff recovery codes", quick_exit=False)
    checks.check(page, press(page, "main a.button"), "staff dashboard", quick_exit=False)

    response = page.goto(f"{server.url}/staff?group=area:birmingham")
    checks.check(page, response, "staff dashboard for one group", quick_exit=False)
    response = page.goto(f"{server.url}/staff?group=area:dudley")
    checks.check(page, response, "staff dashboard, group too small", quick_exit=False)
    response = page.goto(f"{server.url}/staff?group=area:birmingham&and_group=experiences_none:x")
    checks.check(page, response, "staff dashboard, a second group that is not offered", status=400, quick_exit=False)
    page.select_option("#and_group", "safe_dark_street:very_safe")
    checks.check(page, press(page, "main form.filters button"), "staff dashboard for two groups", quick_exit=False)

    response = page.goto(f"{server.url}/staff/breakdown")
    checks.check(page, response, "staff breakdown form", quick_exit=False)
    page.select_option("#question", "safe_dark_street")
    page.select_option("#by", "area")
    checks.check(page, press(page, "main form.filters button"), "staff breakdown result", quick_exit=False)
    response = page.goto(f"{server.url}/staff/breakdown?question=experiences&by=area&group=safe_dark_street:very_safe")
    checks.check(page, response, "staff breakdown within a group", quick_exit=False)
    page.goto(f"{server.url}/staff/breakdown")
    page.select_option("#by", "area")
    page.select_option("#question", "area")
    checks.check(page, press(page, "main form.filters button"), "staff breakdown, same question twice", status=400, quick_exit=False)

    response = page.goto(f"{server.url}/staff/export")
    checks.check(page, response, "staff export", quick_exit=False)
    page.fill("#start", "2026-06-10")
    page.fill("#end", "2026-06-08")
    checks.check(page, press(page, "main form button >> nth=0"), "staff export, days the wrong way round", status=400, quick_exit=False)

    response = page.goto(f"{server.url}/staff/audit")
    checks.check(page, response, "staff audit trail", quick_exit=False)

    response = page.goto(f"{server.url}/staff/accounts")
    checks.check(page, response, "staff accounts", quick_exit=False)
    page.fill("main form[action='/staff/accounts'] #username", "new")
    page.fill("main form[action='/staff/accounts'] #password", "aaaaaaaaaaaa")
    checks.check(page, press(page, "main form[action='/staff/accounts'] button"), "staff accounts, weak password", status=400, quick_exit=False)

    # Sign out from the header; the sign-in page says so.
    checks.check(page, press(page, "header form button >> nth=0"), "staff signed out", quick_exit=False)
    assert "You have signed out." in page.inner_text("main")

    checks.validate_html()
