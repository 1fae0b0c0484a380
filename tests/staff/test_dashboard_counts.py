"""The dashboard reads counts kept up to date by each release and purge (app/counts.py): they must
always equal a fresh count of the responses, and change only when responses are released."""

from datetime import date, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import counts
from app.extensions import db
from app.staff.retention import purge_responses
from app.survey import release
from tests.helpers import Respondent, release_today, soup
from tests.staff.conftest import make_user, sign_in

MONDAY = date(2026, 6, 8)
DAYS = [
    # (day, responses as answer rows): multiple choice, free text, answers left out
    (MONDAY, [[("area", "walsall"), ("experiences", "followed"), ("experiences", "comments")],
              [("area", "dudley"), ("difference_text", "More buses")],
              [("area", "walsall")]]),
    (MONDAY + timedelta(days=1), [[("area", "walsall"), ("experiences", "none")],
                                  [("experiences", "followed"), ("difference_text", "More buses")]]),
    (MONDAY + timedelta(days=3), [[("area", "coventry"), ("experiences", "comments")]]),
]


def fresh_and_kept(app):
    with app.app_context():
        result = counts.fresh(), counts.kept()
        db.session.remove()
    return result


def hold_and_release(app, day, responses):
    with app.app_context():
        for rows in responses:
            release.hold(day, "en", "v", rows)
        db.session.commit()
        assert release.release_ended_days(day + timedelta(days=1)) == len(responses)
        db.session.remove()


def test_the_kept_counts_equal_a_fresh_count_after_each_release_and_purge(app):
    for day, responses in DAYS:
        hold_and_release(app, day, responses)
        fresh, kept = fresh_and_kept(app)
        assert kept == fresh
    assert kept.days == {MONDAY: 3, MONDAY + timedelta(days=1): 2, MONDAY + timedelta(days=3): 1}
    assert kept.answers[("area", "walsall")] == 3 and kept.answers[("experiences", "followed")] == 2
    assert kept.answered["experiences"] == 4  # a response choosing two options counts once

    with app.app_context():
        assert purge_responses(MONDAY + timedelta(days=1)) == 3
    fresh, kept = fresh_and_kept(app)
    assert kept == fresh and kept.answers[("area", "walsall")] == 1
    assert ("area", "dudley") not in kept.answers  # no row of zero for an answer nobody has any longer

    with app.app_context():
        assert purge_responses(MONDAY + timedelta(days=10)) == 3
        # Nothing left behind: not a day, an answer or a question.
        assert db.session.execute(text("SELECT count(*) FROM day_counts")).scalar() == 0
        assert db.session.execute(text("SELECT count(*) FROM answer_counts")).scalar() == 0
        assert db.session.execute(text("SELECT count(*) FROM question_counts")).scalar() == 0


def test_the_counts_change_only_at_release(app):
    hold_and_release(app, *DAYS[0])
    before = fresh_and_kept(app)[1]
    with app.app_context():
        release.hold(MONDAY + timedelta(days=5), "en", "v", [("area", "walsall")])
        db.session.commit()
        db.session.remove()
    assert fresh_and_kept(app)[1] == before  # held, not yet counted
    with app.app_context():
        release.release_ended_days(MONDAY + timedelta(days=6))
    fresh, kept = fresh_and_kept(app)
    assert kept == fresh and kept.answers[("area", "walsall")] == before.answers[("area", "walsall")] + 1


def test_a_failed_release_counts_nothing(app, monkeypatch):
    """The counts are in the release's transaction: if it fails, neither responses nor counts move."""
    with app.app_context():
        release.hold(MONDAY, "en", "v", [("area", "walsall")])
        db.session.commit()

        def broken(*_args, **_kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(db.session, "commit", broken)
        try:
            release.release_ended_days(MONDAY + timedelta(days=1))
        except RuntimeError:
            pass
        monkeypatch.undo()
        db.session.rollback()
        assert release.waiting_count() == 1
        db.session.remove()
    fresh, kept = fresh_and_kept(app)
    assert kept == fresh and not kept.days


def test_the_dashboard_shows_the_kept_counts_after_releases_and_a_purge(make_app):
    app = make_app(STAFF_SUPPRESSION_THRESHOLD=1)
    for day, responses in DAYS:
        hold_and_release(app, day, responses)
    respondent = Respondent(app.test_client())  # and one through the real survey, released tonight
    assert respondent.complete().headers["Location"] == "/check"
    assert respondent.submit().headers["Location"] == "/done"
    release_today(app)
    with app.app_context():
        purge_responses(MONDAY + timedelta(days=1))
    fresh, _kept = fresh_and_kept(app)
    make_user(app, role="viewer")
    client = app.test_client()
    sign_in(client)
    page = soup(client.get("/staff"))
    assert page.select_one(".lead").get_text() == "4 responses so far."
    area = page.select_one("section[aria-labelledby='q-area'] table")
    shown = {tr.th.get_text(): tr.select("td")[0].get_text() for tr in area.select("tbody tr")}
    assert shown["Walsall"] == str(fresh.answers[("area", "walsall")])
    assert shown["Coventry"] == str(fresh.answers[("area", "coventry")])
    assert area.select_one("tfoot td").get_text() == "4"


def test_the_migration_counts_the_responses_already_released(app):
    for day, responses in DAYS:
        hold_and_release(app, day, responses)
    with app.app_context():
        downgrade(revision="0005")
        upgrade()
        db.session.remove()
    fresh, kept = fresh_and_kept(app)
    assert kept == fresh and sum(kept.days.values()) == 6
