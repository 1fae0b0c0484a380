"""Production runs behind HTTPS, where browsers send no Referer (Referrer-Policy: no-referrer) but do
send Sec-Fetch-Site. Forms must work there, and a post from another site must not."""

import pytest

from app.extensions import db
from app.survey.release import waiting_count
from tests.helpers import Respondent, question_url, soup
from tests.staff.conftest import make_user, next_code, post_password


@pytest.fixture
def https_app(make_app):
    # The test client takes its scheme from PREFERRED_URL_SCHEME: requests arrive over HTTPS, as
    # gunicorn reports them behind a TLS proxy.
    return make_app(SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")


def https_client(app, fetch_site: str | None = "same-origin"):
    client = app.test_client()
    if fetch_site:
        client.environ_base["HTTP_SEC_FETCH_SITE"] = fetch_site
    return client


@pytest.mark.parametrize("fetch_site", ["same-origin", "none", None])
def test_whole_survey_over_https_without_referer(https_app, fetch_site):
    client = https_client(https_app, fetch_site)
    assert client.get("/").request.is_secure
    assert Respondent(client).complete().headers["Location"].endswith("/check")
    response = client.get("/check")
    assert response.status_code == 200
    assert soup(response).select_one("h1").get_text(strip=True).startswith("Check your answers")
    token = soup(response).select_one("input[name=csrf_token]")["value"]
    sent = client.post("/check", data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/done")
    assert "Strict-Transport-Security" in sent.headers
    with https_app.app_context():
        assert waiting_count() == 1


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_post_sent_from_another_site_is_refused_and_changes_nothing(https_app, fetch_site):
    client = https_client(https_app)
    respondent = Respondent(client)
    respondent.start()
    assert respondent.answer("safe_day").status_code == 303
    client.environ_base["HTTP_SEC_FETCH_SITE"] = fetch_site
    response = respondent.answer("safe_day", {"safe_day_street": "very_unsafe"})
    assert response.status_code == 400
    assert soup(response).select_one("h1").get_text(strip=True) == "Sorry, we could not save that page"
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    page = soup(client.get(question_url("safe_day")))
    assert page.select_one("input[name=safe_day_street][checked]")["value"] == "very_safe"


def test_staff_sign_in_over_https_with_a_host_only_cookie_of_its_own(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https", STAFF_COOKIE_NAME="__Host-staff")
    make_user(app)
    client = https_client(app)
    response = post_password(client)
    assert response.status_code == 303
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("__Host-staff="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= flags and "domain" not in flags
    assert "Path=/" in cookie and "SameSite=Strict" in cookie and "Max-Age" not in cookie
    token = soup(client.get("/staff/two-factor")).select_one("input[name=csrf_token]")["value"]
    response = client.post("/staff/two-factor", data={"csrf_token": token, "code": next_code(app)})
    assert response.status_code == 303 and response.headers["Location"] == "/staff"
    assert client.get("/staff").status_code == 200
