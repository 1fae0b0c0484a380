"""A release never singles out a respondent by comparing the staff pages before and after it
(app/survey/release.py): a quiet day's lone response changes no page, as any role, on any view
(the dashboard within each group, every breakdown, the export page's count, the audit trail), until
the batch it waits in reaches RELEASE_MIN_RESPONSES."""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.config import LONDON
from app.extensions import db
from app.models import Response
from app.questionnaire import QUESTIONNAIRE
from app.staff import summaries
from app.staff.summaries import pages
from app.survey import release
from app.survey.state import today_london
from tests.helpers import Respondent, soup
from tests.staff.conftest import make_user, sign_in

ROLES = ("viewer", "analyst", "admin")
AREAS = ["walsall", "dudley", "coventry"]
GENDERS = ["woman_girl", "man_boy"]


def answers(index: int) -> list[tuple[str, str]]:
    return [
        ("area", AREAS[index % 3]), ("gender", GENDERS[index % 2]), ("age", "25_34"),
        ("safe_dark_street", "fairly_unsafe"), ("experiences", "followed"), ("difference_text", f"Seed {index}"),
    ]


def signed_in(app) -> dict:
    clients = {}
    for role in ROLES:
        make_user(app, username=role, role=role)
        clients[role] = app.test_client()
        assert sign_in(clients[role], username=role).status_code == 303
    return clients


def every_page(app) -> list[str]:
    """Every staff GET page without arguments, and with every choice of group and breakdown."""
    paths = [rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("staff.") and "GET" in rule.methods and not rule.arguments]
    groups = [value for value, _ in pages.group_choices(QUESTIONNAIRE) if value]
    paths += [f"/staff?group={group}" for group in groups]
    # Within two groups and breakdowns: every question and every "by" once (all their pairs would be
    # hundreds of pages, each counted the same way).
    paths += [f"/staff?group=area:walsall&and_group={other}" for other in groups if other.startswith("gender:")]
    questions, by_questions = summaries.breakdown_questions(QUESTIONNAIRE)
    paths += [f"/staff/breakdown?question={q.id}&by=area" for q in questions if q.id != "area"]
    paths += [f"/staff/breakdown?question=experiences&by={b.id}" for b in by_questions]
    paths += [f"/staff/breakdown?question={q.id}&by=area&group=gender:woman_girl" for q in questions if q.id != "area"]
    return paths


def snapshot(clients: dict, paths: list[str]) -> dict:
    """(role, path) -> status and page, without what differs from one rendering to the next anyway."""
    shown = {}
    for role, client in clients.items():
        # The pages of figures are the same for every role but their navigation: each as the viewer,
        # the pages without arguments as every role.
        for path in paths if role == "viewer" else [p for p in paths if "?" not in p]:
            response = client.get(path)
            html = soup(response)
            for token in html.select("input[name=csrf_token]"):
                token.decompose()
            shown[role, path] = (response.status_code, re.sub(r'nonce="[^"]*"', "", str(html)))
    return shown


def after_midnight(app, monkeypatch, day: date) -> None:
    """The release's clock at 00:05 on `day`; the next request looks for a release again."""
    monkeypatch.setattr(release, "now_london", lambda: datetime(day.year, day.month, day.day, 0, 5, tzinfo=LONDON))
    app.extensions["response_release"]["next"] = 0.0


def release_as_at_midnight(app) -> None:
    """The first request after midnight, its release's thread, and the command an operator might run."""
    assert app.test_client().get("/help").status_code == 200
    thread = app.extensions["response_release"]["thread"]
    if thread is not None:
        thread.join(timeout=60)
    assert app.test_cli_runner().invoke(args=["responses", "release"]).exit_code == 0


def changed(before: dict, after: dict) -> list:
    return [key for key in before if before[key] != after[key]]


def test_a_quiet_day_s_lone_response_changes_no_staff_page_until_its_batch_is_released(app, monkeypatch):
    today = today_london()
    with app.app_context():  # a batch released before: pages with figures to compare
        for index in range(12):
            release.hold(today - timedelta(days=3), "en", "v", answers(index))
        db.session.commit()
        assert release.release_ended_days(today - timedelta(days=1)) == 12
        db.session.remove()
    clients = signed_in(app)
    paths = every_page(app)
    before = snapshot(clients, paths)
    assert "12 responses so far." in before["viewer", "/staff"][1]
    assert sum(status == 200 for status, _ in before.values()) > 100

    respondent = Respondent(app.test_client())  # one response, through the real survey, today
    assert respondent.complete().headers["Location"] == "/check"
    assert respondent.submit().headers["Location"] == "/done"
    assert changed(before, snapshot(clients, paths)) == []  # its arrival shows nowhere

    tomorrow = today + timedelta(days=1)
    after_midnight(app, monkeypatch, tomorrow)
    release_as_at_midnight(app)
    assert changed(before, snapshot(clients, paths)) == []  # nor does the end of its quiet day

    with app.app_context():  # four more the next day bring the batch to the minimum
        assert release.waiting_count() == 1
        for index in range(4):
            release.hold(tomorrow, "en", "v", answers(index))
        db.session.commit()
        db.session.remove()
    after_midnight(app, monkeypatch, tomorrow + timedelta(days=1))
    release_as_at_midnight(app)
    with app.app_context():
        assert release.waiting_count() == 0
        days = db.session.execute(select(Response.submitted_on).where(Response.submitted_on > today - timedelta(days=2))).scalars()
        assert sorted(days) == [tomorrow] * 5  # the batch's last day, the lone response's too
        db.session.remove()
    released = snapshot(clients, paths)
    assert ("viewer", "/staff") in changed(before, released)
    assert "17 responses so far." in released["viewer", "/staff"][1]
