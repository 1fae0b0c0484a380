"""The dashboard reads counts kept up to date by each release and purge (app/counts.py): they must
always equal a fresh count of the responses, and change only when responses are released."""

from datetime import date, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import counts
from app.extensions import db
from app.staff.retention import purge_responses
from app.survey import release
from tests.helpers import Respondent, page_and_statements, release_today, soup
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


def hold_and_release(app, day, responses, version="v"):
    with app.app_context():
        for rows in responses:
            release.hold(day, "en", version, rows)
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


# Pairs of answers: groups and breakdowns read them (app/counts.py, AnswerPairCount).
GROUP_DAYS = [
    (MONDAY, [[("area", "walsall"), ("gender", "woman_girl"), ("experiences", "followed"), ("experiences", "comments")],
              [("area", "walsall"), ("gender", "man_boy"), ("experiences", "gone"), ("difference_text", "Lights")],
              [("area", "old_area"), ("gender", "woman_girl"), ("experiences", "followed")],  # retired codes
              [("area", "dudley"), ("reported", "some")]]),
    (MONDAY + timedelta(days=1), [[("area", "walsall"), ("experiences", "none"), ("reported", "all")],
                                  [("gender", "woman_girl"), ("experiences", "followed"), ("difference_text", "Buses")],
                                  [("area", "dudley"), ("gender", "woman_girl"), ("experiences", "comments")]]),
    (MONDAY + timedelta(days=2), [[("area", "walsall"), ("gender", "woman_girl"), ("experiences", "threatened"),
                                   ("experiences", "followed"), ("reported", "no")],
                                  [("area", "old_area"), ("experiences", "gone")]]),
]
ONE_GROUP = "/staff?group=area:walsall"
BREAKDOWNS = ["/staff/breakdown?question=experiences&by=area", "/staff/breakdown?question=gender&by=area",
              "/staff/breakdown?question=area&by=gender", "/staff/breakdown?question=reported&by=area"]


def test_the_pairs_kept_are_those_of_the_responses(app):
    for day, responses in DAYS:
        hold_and_release(app, day, responses)
    fresh, kept = fresh_and_kept(app)
    assert kept == fresh
    # By area (single choice) only: responses in Walsall with each answer, and that answered at all.
    assert kept.pairs[("area", "walsall", "experiences", "followed")] == 1
    assert kept.pairs[("area", "walsall", "experiences", counts.ANSWERED)] == 2  # two options, one response
    assert kept.pairs[("area", "walsall", "area", "walsall")] == 3
    assert kept.pairs[("area", "dudley", "difference_text", counts.ANSWERED)] == 1
    assert not [key for key in kept.pairs if key[0] in ("experiences", "difference_text")]  # never by these
    assert not [key for key in kept.pairs if key[2] == "difference_text" and key[3] != counts.ANSWERED]  # nor text by value

    with app.app_context():
        purge_responses(MONDAY + timedelta(days=10))
        assert db.session.execute(text("SELECT count(*) FROM answer_pair_counts")).scalar() == 0


def test_a_question_only_an_earlier_version_asked_is_still_paired(app):
    """Its answers given before stay paired at a purge or recount: which questions pair does not
    depend on the questionnaire of the moment alone."""
    from app.models import QuestionnaireVersion

    with app.app_context():
        db.session.add(QuestionnaireVersion(version="old", definition={"questions": [
            {"id": "old_scale", "kind": "scale", "options": []}, {"id": "old_text", "kind": "text", "options": []},
        ]}))
        db.session.commit()
        db.session.remove()
    hold_and_release(app, MONDAY, [[("old_scale", "3"), ("old_text", "Hello"), ("area", "walsall")]], version="old")
    fresh, kept = fresh_and_kept(app)
    assert kept == fresh
    assert kept.pairs[("old_scale", "3", "area", "walsall")] == 1 and kept.pairs[("area", "walsall", "old_scale", "3")] == 1
    assert ("area", "walsall", "old_text", "Hello") not in kept.pairs
    with app.app_context():
        counts.rebuild()  # `flask responses recount`
        db.session.commit()
        assert counts.kept() == kept


def test_a_kept_version_nobody_answered_changes_no_pairing(app, monkeypatch):
    """Two versions kept before either had responses may give a question different kinds (the start
    check compares only with answered versions). Only the answered one's kind counts, so a purge or
    a recount pairs its responses as their release did, whatever the questionnaire of the moment."""
    from types import SimpleNamespace

    from app.models import QuestionnaireVersion

    with app.app_context():
        db.session.add(QuestionnaireVersion(version="two", definition={"questions": [{"id": "q_old", "kind": "scale", "options": []}]}))
        db.session.add(QuestionnaireVersion(version="three", definition={"questions": [{"id": "q_old", "kind": "text", "options": []}]}))
        db.session.commit()
        db.session.remove()
    shipped = counts.current_questionnaire()
    two = SimpleNamespace(questions={**shipped.questions, "q_old": SimpleNamespace(id="q_old", kind=SimpleNamespace(value="scale"))})
    monkeypatch.setattr(counts, "current_questionnaire", lambda: two)  # "two" is running
    hold_and_release(app, MONDAY, [[("q_old", "3"), ("area", "walsall")]], version="two")
    monkeypatch.setattr(counts, "current_questionnaire", lambda: shipped)  # then a version without q_old
    fresh, kept = fresh_and_kept(app)
    assert kept.pairs[("q_old", "3", "area", "walsall")] == 1
    assert kept == fresh
    with app.app_context():
        purge_responses(MONDAY + timedelta(days=10))
        db.session.commit()
        assert counts.kept() == counts.fresh() and not counts.kept().pairs


def answers_read(app, client, url) -> tuple[list[str], str]:
    """(the SQL statements that read the answers table, the page's main part) for one page."""
    import re

    seen, main = page_and_statements(app, client, url)
    return [statement for statement, _ in seen if re.search(r"\banswers\b", statement)], main


def counted_from_the_answers(monkeypatch):
    """Make the summaries count one group, and all responses' pairs, from the answers (as before the pairs were kept)."""
    from sqlalchemy import distinct, func, select

    from app.models import Answer, Response
    from app.staff.summaries import tables

    def group(group):
        answered = dict(db.session.execute(
            select(Answer.question_id, func.count(distinct(Answer.response_id)))
            .where(*tables._in_group(Answer.response_id, (group,))).group_by(Answer.question_id)
        ).all())
        return tables._option_counts((group,)), answered

    monkeypatch.setattr(tables, "_kept_pairs", lambda question_id, by_id: tables._count_pairs(question_id, by_id))
    monkeypatch.setattr(tables, "_kept_group", group)
    monkeypatch.setattr(tables, "_count_total", lambda groups: db.session.scalar(
        select(func.count()).select_from(Response).where(*tables._in_group(Response.id, groups))))


def test_one_group_and_breakdowns_read_no_answers_and_show_a_fresh_count(make_app, monkeypatch):
    """After releases and a purge, with a multiple choice, free text and codes no longer offered."""
    app = make_app(STAFF_SUPPRESSION_THRESHOLD=1)
    for day, responses in GROUP_DAYS:
        hold_and_release(app, day, responses)
    with app.app_context():
        assert purge_responses(MONDAY + timedelta(days=1)) == 4
    hold_and_release(app, MONDAY + timedelta(days=3), GROUP_DAYS[0][1])  # and one more release
    fresh, kept = fresh_and_kept(app)
    assert kept == fresh
    make_user(app, role="viewer")
    client = app.test_client()
    sign_in(client)

    pages = {}
    for url in [ONE_GROUP, *BREAKDOWNS]:
        read, pages[url] = answers_read(app, client, url)
        assert read == [], url
    assert 'id="group-shown"' in pages[ONE_GROUP] and "group-refused" not in pages[ONE_GROUP]
    assert "An answer no longer offered" in pages[BREAKDOWNS[0]]

    counted_from_the_answers(monkeypatch)
    for url in [ONE_GROUP, *BREAKDOWNS]:
        read, afresh = answers_read(app, client, url)
        assert read, url  # counted from the answers this time
        assert afresh == pages[url], url


def test_a_breakdown_within_a_group_and_two_groups_count_the_same_as_before(make_app, monkeypatch):
    """They still count the responses in both groups from the answers; their margins are kept."""
    app = make_app(STAFF_SUPPRESSION_THRESHOLD=1)
    for day, responses in GROUP_DAYS:
        hold_and_release(app, day, responses)
    make_user(app, role="viewer")
    client = app.test_client()
    sign_in(client)
    urls = ["/staff/breakdown?question=experiences&by=gender&group=area:walsall",
            "/staff?group=area:walsall&and_group=gender:woman_girl"]
    kept_pages = [answers_read(app, client, url)[1] for url in urls]
    counted_from_the_answers(monkeypatch)
    assert [answers_read(app, client, url)[1] for url in urls] == kept_pages
    assert all('id="group-shown"' in page and "group-refused" not in page and "<table" in page for page in kept_pages)
