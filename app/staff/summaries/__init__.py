"""Summaries for staff: counts (tables), small-number protection (suppression), one group only
(tables' group functions), server-drawn charts (charts) and summary tables as CSV (download)."""

from app.staff.summaries.tables import (  # noqa: F401  (the names views and tests use)
    ANSWERED,
    NO_ANSWER,
    RETIRED,
    TOTAL,
    TooSlow,
    CrossTable,
    Group,
    Row,
    Table,
    breakdown_questions,
    cross_table,
    days_table,
    group_allowed,
    group_cross_table,
    group_tables,
    question_table,
    question_tables,
    total_responses,
)
