"""Whoever holds the database learns nothing finer than the day: not the order of responses.

Responses are sent one by one through the survey, each with a distinct marker in its free text,
and released as after midnight. Then every order an attacker could read from storage is compared
with the true order by Spearman's rank correlation: each table's rowid (where there is one), each
column, the physical order of `SELECT *`, PostgreSQL's ctid, and on SQLite the byte offsets of the
markers in the main file and the WAL. Every |rho| must be under 0.3.

Why 150 responses when 60 would show the point: for a truly random order of 60, |rho| exceeds 0.3
about 2% of the time, and the test reads several independent orders, so it would fail now and
then for no fault. With 150 that chance is about 1 in 4,000 per order.
"""

import re
import secrets
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from app.extensions import db
from tests.helpers import FULL_ANSWERS, Respondent, release_today

RESPONSES = 150
LIMIT = 0.3


def spearman(observed: list[int]) -> float:
    """Rank correlation between the order of `observed` and the true order (the values 0..n-1 ranked)."""
    n = len(observed)
    ranked = {value: rank for rank, value in enumerate(sorted(observed))}
    d2 = sum((position - ranked[value]) ** 2 for position, value in enumerate(observed))
    return 1 - 6 * d2 / (n * (n * n - 1))


def send_with_markers(app) -> list[str]:
    """Send RESPONSES responses one at a time; returns their markers in the order they were sent.

    The markers are random, so sorting by the text itself says nothing about the order sent.
    """
    markers = []
    for _ in range(RESPONSES):
        marker = f"mk{secrets.token_hex(8)}"
        respondent = Respondent(app.test_client())
        respondent.complete({**FULL_ANSWERS, "difference_text": f"marker {marker} end"})
        assert respondent.submit().headers["Location"] == "/done"
        markers.append(marker)
    return markers


MARKER = re.compile(r"mk[0-9a-f]{16}")


def table_orders(app, markers: list[str]) -> dict[str, float]:
    """rho of every order readable from the tables, named "table: order"."""
    true_index = {marker: index for index, marker in enumerate(markers)}
    results = {}
    with app.app_context():
        engine = db.engine
        connection = db.session.connection()
        # Which marker each response id belongs to, so rows without text can be placed too.
        owner = {}
        for response_id, value in connection.execute(text("SELECT response_id, value FROM answers")):
            found = MARKER.search(str(value))
            if found:
                owner[str(response_id)] = found.group()

        def marker_of(row) -> str | None:
            for value in row:
                found = MARKER.search(str(value))
                if found:
                    return found.group()
                if str(value) in owner:
                    return owner[str(value)]
            return None

        def rho_of(rows) -> float | None:
            rows = list(rows)
            # The rows holding the markers themselves where the table has them (free text), else
            # each response's first row (found through its id).
            direct = [MARKER.search(" ".join(map(str, row))) for row in rows]
            seen = [true_index[found.group()] for found in direct if found]
            if len(seen) != RESPONSES:
                seen = []
                for row in rows:
                    marker = marker_of(row)
                    if marker is not None and true_index[marker] not in seen:
                        seen.append(true_index[marker])
            return spearman(seen) if len(seen) == RESPONSES else None

        sqlite = engine.dialect.name == "sqlite"
        for table in inspect(engine).get_table_names():
            physical = rho_of(connection.execute(text(f'SELECT * FROM "{table}"')))
            if physical is None:
                continue  # no row of this table can be tied to a response (staff tables, sent markers)
            results[f"{table}: SELECT *"] = physical
            hidden = "rowid" if sqlite else "ctid"
            try:
                nested = connection.begin_nested()
                rows = connection.execute(text(f'SELECT * FROM "{table}" ORDER BY {hidden}')).all()
                nested.commit()
                results[f"{table}: {hidden}"] = rho_of(rows)
            except DatabaseError:
                nested.rollback()
                assert sqlite, f"{table} has no ctid?"  # WITHOUT ROWID: there is no rowid to order by
            for column in inspect(engine).get_columns(table):
                name = column["name"]
                # Text is ordered by its bytes, so every column can be compared, integers or not.
                order = f'"{name}"' if sqlite else f'"{name}"::text'
                results[f"{table}: {name}"] = rho_of(connection.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')))
        db.session.remove()
    return results


def file_orders(path: Path, markers: list[str]) -> dict[str, float]:
    """rho of the markers' byte offsets in a file: the first copy of each, the second, and so on."""
    if not path.exists() or path.stat().st_size == 0:
        return {}
    data = path.read_bytes()
    offsets = defaultdict(list)
    for found in re.finditer(rb"mk[0-9a-f]{16}", data):
        offsets[found.group().decode()].append(found.start())
    results = {}
    copies = min((len(offsets[marker]) for marker in markers), default=0)
    for copy in range(copies):
        by_offset = sorted(range(len(markers)), key=lambda index: offsets[markers[index]][copy])
        results[f"{path.name}: byte offset of copy {copy + 1}"] = spearman(by_offset)
    return results


def orders_in_files(app, markers: list[str]) -> dict[str, float]:
    """On SQLite, the byte offsets in the main file and the WAL; elsewhere nothing."""
    with app.app_context():
        database = db.engine.url.database if db.engine.dialect.name == "sqlite" else None
        db.session.remove()
    if not database:
        return {}
    main, wal = Path(database), Path(f"{database}-wal")
    files = {**file_orders(main, markers), **file_orders(wal, markers)}
    assert any(name.startswith(main.name) for name in files), "the markers are in the main file"
    return files


def report(title: str, results: dict[str, float]) -> None:
    print(f"\nSpearman's rho against the order sent ({RESPONSES} responses), {title}:")
    for name, rho in sorted(results.items()):
        print(f"  {name}: {rho:+.3f}" if rho is not None else f"  {name}: -")


def test_no_order_in_storage_follows_the_order_responses_were_sent(make_app, capsys):
    # NORMAL: the same files and orders, without a disk sync per commit (the test sends 150 responses).
    app = make_app(SQLITE_SYNCHRONOUS="NORMAL")
    markers = send_with_markers(app)
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        db.session.remove()

    # During the day: the holding table is the only place today's responses are.
    held = {name: rho for name, rho in table_orders(app, markers).items() if name.startswith("pending_responses")}
    held.update(orders_in_files(app, markers))
    assert "pending_responses: SELECT *" in held
    if not sqlite:
        # PostgreSQL's heap keeps the day's rows in the order they came until they are released
        # (docs/security.md says what a superuser can see): its ctid, a plain SELECT and ORDER BY a column
        # that is the same for every row all show that order. The keys and the answers say nothing.
        held = {name: rho for name, rho in held.items() if name.endswith((": id", ": answers"))}

    # After the day's release.
    release_today(app)
    released = table_orders(app, markers)
    released.update(orders_in_files(app, markers))
    if sqlite:
        with app.app_context():  # WITHOUT ROWID: there is no rowid to order by
            for table in ("responses", "answers", "pending_responses"):
                with pytest.raises(DatabaseError):
                    db.session.execute(text(f"SELECT rowid FROM {table}"))
                db.session.rollback()
            db.session.remove()
    assert {"responses: SELECT *", "answers: SELECT *", "answers: value", "answers: response_id"} <= set(released)

    with capsys.disabled():  # the figures for the record, with -s or not
        report("held during the day", held)
        report("after the release", released)
    for results in (held, released):
        far = {name: rho for name, rho in results.items() if rho is not None and abs(rho) >= LIMIT}
        assert not far, far
