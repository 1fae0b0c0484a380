"""Every staff route, for every role and for no session: the one guard enforces each route's declaration."""

import pytest

from app.staff import ADMIN, ANALYST, ANYONE, EDITOR, PASSWORD_GIVEN, SIGNED_IN, VIEWER, access_for
from tests.helpers import soup
from tests.staff.conftest import csrf_token, make_user, sign_in

ORDER = [VIEWER, ANALYST, "editor", ADMIN]
# Who may open each level: an editor looks after the survey and sees no data; an admin sees everything.
MAY_OPEN = {
    VIEWER: {SIGNED_IN, VIEWER},
    ANALYST: {SIGNED_IN, VIEWER, ANALYST},
    "editor": {SIGNED_IN, EDITOR},
    ADMIN: {SIGNED_IN, VIEWER, ANALYST, EDITOR, ADMIN},
}
# What each route is for; a new route must be added here, so its access is a decision, not an accident.
EXPECTED = {
    "staff.login": ANYONE,
    "staff.two_factor": PASSWORD_GIVEN,
    "staff.two_factor_setup": PASSWORD_GIVEN,
    "staff.logout": PASSWORD_GIVEN,
    "staff.sign_out_everywhere": SIGNED_IN,
    "staff.dashboard": VIEWER,
    "staff.breakdown": VIEWER,
    "staff.export": ANALYST,
    "staff.export_csv": ANALYST,
    "staff.codebook_csv": ANALYST,
    "staff.export_xlsx": ANALYST,
    "staff.export_spss": ANALYST,
    "staff.export_stata": ANALYST,
    "staff.r_script": ANALYST,
    "staff.summary_csv": VIEWER,
    "staff.audit_trail": ADMIN,
    "staff.accounts": ADMIN,
    "staff.create_account": ADMIN,
    "staff.set_account_role": ADMIN,
    "staff.account_action": ADMIN,
    "staff.survey": EDITOR,
    "staff.upload_survey": EDITOR,
    "staff.survey_file": EDITOR,
    "staff.make_live": EDITOR,
    "staff.download_survey": EDITOR,
    "staff.close_survey": EDITOR,
    "staff.open_survey": EDITOR,
    "staff.set_survey_dates": EDITOR,
    "staff.preview_start": EDITOR,
    "staff.preview_begin": EDITOR,
    "staff.preview_question": EDITOR,
    "staff.preview_check": EDITOR,
    "staff.preview_done": EDITOR,
    "staff.preview_exit": EDITOR,
    "staff.results": EDITOR,
    "staff.publish_results": EDITOR,
}


def staff_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff"):
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield rule, method, rule.rule.replace("<username>", "other").replace("<action>", "end-sessions").replace("<int:file_id>", "1").replace("<int:number>", "1")


def test_every_route_declares_the_access_it_expects(app):
    with app.app_context():
        declared = {rule.endpoint: access_for(rule.endpoint) for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")}
    assert declared == EXPECTED


def test_a_route_that_declares_nothing_is_for_admins_only(app):
    with app.test_request_context():
        assert access_for("staff.no_such_view") == ADMIN


@pytest.mark.parametrize("role", [None, *ORDER])
def test_every_route_for_every_role_and_for_no_session(app, role):
    make_user(app, "other", role="viewer")
    client = app.test_client()
    if role:
        make_user(app, "sam", role=role)
        assert sign_in(client).status_code == 303
    checked = 0
    for rule, method, url in staff_routes(app):
        needed = EXPECTED[rule.endpoint]
        if rule.endpoint in ("staff.logout", "staff.sign_out_everywhere", "staff.preview_exit"):
            continue  # they end the session: checked by the session tests
        token = csrf_token(client, {None: "/staff/login", "editor": "/staff/survey"}.get(role, "/staff"))
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        if needed == ANYONE:
            assert response.status_code in (200, 302, 400), url
        elif role is None:
            assert response.status_code == 302 and response.headers["Location"] == "/staff/login", (method, url)
        elif needed == PASSWORD_GIVEN:
            assert response.status_code in (302, 303), (method, url)  # done already: on to the dashboard
        elif needed in MAY_OPEN[role]:
            assert response.status_code in (200, 302, 303, 400), (role, method, url, response.status_code)
        elif rule.endpoint == "staff.dashboard" and method == "GET" and role == "editor":
            # The front door sends an editor to their own page rather than refusing.
            assert response.status_code == 302 and response.headers["Location"] == "/staff/survey"
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)
            assert soup(response).h1.get_text() == "You do not have access to this page"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        response.close()  # a download streams from a file until it is read or closed
        checked += 1
    assert checked >= 12


@pytest.mark.parametrize("role, links", [
    (VIEWER, ["/staff", "/staff/breakdown"]),
    (ANALYST, ["/staff", "/staff/breakdown", "/staff/export"]),
    ("editor", ["/staff/survey", "/staff/results"]),
    (ADMIN, ["/staff", "/staff/breakdown", "/staff/export", "/staff/survey", "/staff/results", "/staff/audit", "/staff/accounts"]),
])
def test_the_navigation_shows_what_the_role_opens(app, client, role, links):
    make_user(app, role=role)
    sign_in(client)
    assert [a["href"] for a in soup(client.get(links[0])).select("nav.staff-nav a")] == links
