"""The dashboard's SQL queries within groups: each group's margins are read once a request, so a
page's queries grow with its questions only, never with questions times the groups' repeats."""

import pytest

from app.questionnaire import QUESTIONNAIRE
from app.staff.summaries import tables
from tests.helpers import page_and_statements
from tests.staff.test_summaries_by_group import people  # noqa: F401 (a fixture)

PAGES = {
    0: "/staff",
    1: "/staff?group=gender:woman_girl",
    2: "/staff?group=gender:woman_girl&and_group=area:birmingham",
}


def queries(app, client, url) -> tuple[int, int, str]:
    """(queries run, of which exact repeats, the page's tables and notes) for one page."""
    seen, main = page_and_statements(app, client, url)
    return len(seen), len(seen) - len(set(seen)), main


def test_queries_grow_with_questions_only(app, staff, people):
    choice_questions = len(tables._choice_ids(QUESTIONNAIRE))
    counted = {groups: queries(app, staff, url) for groups, url in PAGES.items()}
    # The sign-in session's own reads (a handful) repeat on every page; the tables' must not.
    for groups, (total, repeats, _) in counted.items():
        assert repeats <= 2, (groups, total, repeats)
    assert counted[0][0] <= 12
    # one group: its margins once, then the 3 pair counts of each question by the group's question
    assert counted[1][0] <= 12 + 3 * choice_questions
    # two groups: each question by the first group's question, then by the second's within the first
    assert counted[2][0] <= 12 + 6 * choice_questions + 6, counted[2][:2]


@pytest.mark.parametrize("groups", [1, 2])
def test_figures_same_as_without_the_memo(app, staff, people, monkeypatch, groups):
    """The figures shown are those computed afresh at every call (as before the memo)."""
    _, _, remembered = queries(app, staff, PAGES[groups])
    monkeypatch.setattr(tables, "_per_request", lambda name, key, compute: compute())
    _, _, afresh = queries(app, staff, PAGES[groups])
    assert remembered == afresh
    assert "Birmingham" in remembered or groups == 1


def test_one_group_reads_the_kept_counts_a_few_times(app, staff, people):
    """One group's page reads the pairs kept at release once, not a count per question (app/counts.py)."""
    all_responses, one_group = queries(app, staff, PAGES[0])[0], queries(app, staff, PAGES[1])[0]
    assert one_group <= all_responses + 3, (all_responses, one_group)
