"""Staff and respondents in the same browser: neither side's sign-in, forms or exit touches the other's.

Staff forms' CSRF tokens are bound to the staff cookie (the server-side session once signed in), never
kept in the respondents' session cookie, and no staff request sets, re-sets or clears that cookie."""

import pytest

from tests.helpers import Respondent, soup
from tests.staff.conftest import csrf_token, make_user, post_password, sign_in, staff_cookie

EXPIRED = "Sorry, that form has expired"


def cookies_set(response) -> dict[str, str]:
    """Each cookie a response sets (or clears), by name: its whole Set-Cookie header."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def respondent_with_a_draft(client) -> Respondent:
    respondent = Respondent(client)
    respondent.start()
    assert respondent.answer("safe_day").status_code == 303
    return respondent


def export(client, token):
    response = client.post("/staff/export.csv", data={"csrf_token": token, "values": "codes", "bom": "1"})
    response.get_data()
    response.close()
    return response


def test_finding_a_staff_form_still_submits_after_the_respondents_quick_exit(app, staff):
    respondent_with_a_draft(staff)
    token = csrf_token(staff, "/staff/export")  # the export form, open in one tab
    exit_page = staff.get("/exit")  # the survey, in another tab, is left in a hurry
    assert exit_page.status_code == 303 and "session" in cookies_set(exit_page)
    assert staff.get_cookie("session") is None
    assert export(staff, token).status_code == 200
    # So does a form on a page opened before the exit: signing out.
    token = csrf_token(staff)
    staff.get("/exit")
    assert staff.post("/staff/logout", data={"csrf_token": token}).status_code == 303


def test_finding_signing_in_works_after_the_respondents_quick_exit(app, client, staff_user):
    respondent_with_a_draft(client)
    token = csrf_token(client, "/staff/login")
    client.get("/exit")
    response = post_password(client, token=token)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/two-factor"


def test_finding_staff_requests_never_set_or_change_the_respondents_cookie(app, client, staff_user):
    respondent_with_a_draft(client)
    before = client.get_cookie("session").value
    responses = [client.get("/staff/login"), client.get("/staff")]
    response = post_password(client)
    responses.append(response)
    responses.append(client.get("/staff/two-factor"))
    responses.append(sign_in(client))
    for path in ("/staff", "/staff/breakdown", "/staff/export", "/staff/accounts", "/staff/audit", "/staff/no-such-page"):
        responses.append(client.get(path))
    responses.append(export(client, csrf_token(client, "/staff/export")))
    responses.append(client.post("/staff/export.csv", data={"csrf_token": "forged"}))
    responses.append(client.post("/staff/logout", data={"csrf_token": csrf_token(client)}))
    responses.append(client.get("/staff/login?signed_out=1"))
    for response in responses:
        assert "session" not in cookies_set(response), response.request.path
        assert "Cookie" not in response.headers.get("Vary", ""), response.request.path
    assert client.get_cookie("session").value == before


def test_a_staff_page_in_a_fresh_browser_leaves_no_respondent_cookie(client, staff_user):
    page = client.get("/staff/login")
    assert set(cookies_set(page)) == {"staff"}
    assert sign_in(client).status_code == 303
    assert client.get_cookie("session") is None


def test_finding_a_respondents_draft_survives_staff_sign_in_and_sign_out(app, client, staff_user):
    respondent = respondent_with_a_draft(client)
    assert sign_in(client).status_code == 303
    assert client.post("/staff/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    # The respondent carries on with the token their page had before staff came and went.
    assert respondent.answer("safe_dark").status_code == 303
    page = soup(client.get("/question/1"))
    assert page.select_one("input[name=safe_day_street][checked]")["value"] == "very_safe"


def test_finding_a_token_from_another_staff_session_is_refused(app, staff):
    make_user(app, "alex", role="admin")
    other = app.test_client()
    assert sign_in(other, "alex").status_code == 303
    theirs = csrf_token(other, "/staff/export")
    assert theirs != csrf_token(staff, "/staff/export")
    refused = export(staff, theirs)
    assert refused.status_code == 400 and soup(refused).h1.get_text() == EXPIRED
    # The same account signed in twice: still two sessions, two sets of tokens.
    twin = app.test_client()
    assert sign_in(twin).status_code == 303
    assert export(staff, csrf_token(twin, "/staff/export")).status_code == 400
    assert export(staff, csrf_token(staff, "/staff/export")).status_code == 200


def test_a_token_ends_with_its_session(app, client, staff_user):
    on_sign_in_page = csrf_token(client, "/staff/login")
    post_password(client, token=on_sign_in_page)
    before_second_factor = csrf_token(client, "/staff/two-factor")
    assert sign_in(client).status_code == 303
    signed_in = csrf_token(client, "/staff/export")
    assert len({on_sign_in_page, before_second_factor, signed_in}) == 3  # each session its own
    for old in (on_sign_in_page, before_second_factor):
        assert export(client, old).status_code == 400
    assert client.post("/staff/logout", data={"csrf_token": signed_in}).status_code == 303
    assert sign_in(client).status_code == 303
    assert export(client, signed_in).status_code == 400  # signed out: its tokens went with it


def test_finding_a_sign_in_form_from_another_browser_is_refused(app, client, staff_user):
    # Login CSRF: a page elsewhere cannot sign this browser in with a token it fetched for itself.
    attacker = app.test_client()
    token = csrf_token(attacker, "/staff/login")
    response = post_password(client, token=token)
    assert response.status_code == 400 and soup(response).h1.get_text() == EXPIRED
    assert staff_cookie(client) is None or client.get("/staff").headers["Location"].startswith("/staff/login")


def test_the_sign_in_page_needs_its_staff_cookie(app, client, staff_user):
    token = csrf_token(client, "/staff/login")
    client.delete_cookie("staff")
    assert post_password(client, token=token).status_code == 400


@pytest.mark.parametrize("side", ["respondent token on a staff form", "staff token on a survey form"])
def test_tokens_do_not_cross_between_the_sides(app, staff, side):
    respondent = respondent_with_a_draft(staff)
    if side == "respondent token on a staff form":
        assert export(staff, respondent.csrf()).status_code == 400
    else:
        respondent.token = csrf_token(staff, "/staff/export")
        assert respondent.answer("safe_dark").status_code == 400


def test_the_sign_in_pages_cookie_is_the_staff_cookie_with_its_flags(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, STAFF_COOKIE_NAME="__Host-staff")
    client = app.test_client()
    header = cookies_set(client.get("/staff/login", base_url="https://localhost"))["__Host-staff"]
    flags = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= flags and "domain" not in flags
    assert "SameSite=Strict" in header and "Path=/" in header


def test_tokens_are_masked_afresh_on_every_page(app, staff):
    # The same session's token never shows the same bytes twice (no guessing it through compression).
    first, second = csrf_token(staff, "/staff/export"), csrf_token(staff, "/staff/export")
    assert first != second
    assert export(staff, first).status_code == 200 and export(staff, second).status_code == 200
    for forged in (first[:-1] + ("0" if first[-1] != "0" else "1"), first[:64], first + "00", "zz" * 64, ""):
        assert export(staff, forged).status_code == 400
