"""The Stata export, read back with pyreadstat and with pandas' own Stata reader (an independent check
of the missing values: pyreadstat's user_missing=True shows a `.` after a .a or .b in the same column
as 0, a fault of that reader alone)."""

from datetime import date

import pandas
import pyreadstat
import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.escaping import stata_text
from app.extensions import db
from app.models import AuditEvent
from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire
from app.staff.exports import spss, stata
from app.staff.exports.rows import columns
from tests.helpers import soup
from tests.staff.conftest import USERNAME
from tests.staff.test_export_formats import HOSTILE_TEXT, post, responses, spss_files  # noqa: F401 (a fixture)

LONG_TEXT = "Better lighting by the station, please. " * 75  # 3,000 characters: Stata's strL
URDU_TEXT = "اسٹیشن کے قریب روشنی بہتر کریں" * 50  # 1,500 characters, 2,650 bytes


def dta(client, tmp_path, **data):
    """The downloaded .dta, read with pyreadstat: (frame with .a/.b as letters, metadata, frame with them missing)."""
    response = post(client, "/staff/export.dta", **data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.headers["Content-Type"] == "application/x-stata-dta"
    assert response.headers["Content-Disposition"] == 'attachment; filename="survey-responses.dta"'
    assert response.headers["Cache-Control"] == "no-store"
    path = tmp_path / "survey-responses.dta"
    path.write_bytes(response.data)
    tagged, meta = pyreadstat.read_dta(path, user_missing=True)
    plain, _ = pyreadstat.read_dta(path)
    return tagged, meta, plain


def stata_missing(path, column: str) -> dict[str, str]:
    """response id -> the cell as pandas' Stata reader reads it: a number, or ".", ".a", ".b"."""
    frame = pandas.read_stata(path, convert_missing=True, convert_categoricals=False)
    return {row["response_id"]: str(row[column]) for row in frame.to_dict("records")}


def test_the_dta_has_the_savs_variables_labels_and_codes(staff, responses, tmp_path):
    tagged, meta, plain = dta(staff, tmp_path)
    sav, sav_meta, _ = spss_files(staff, tmp_path / "sav")
    names = stata.stata_names(list(sav.columns))
    assert list(tagged.columns) == [names[name] for name in sav.columns]
    assert meta.file_label == "Survey responses"
    labels = meta.column_names_to_labels
    assert labels["safe_day_street"] == "During the day, in a quiet street near your home"
    assert labels["experiences_followed"] == "What happened in the last 12 months: Being followed"
    assert labels["response_id"] == "Random id of the response"
    # Value labels: the .sav's numbers, with its two user-missing numbers as .a and .b.
    assert meta.variable_value_labels["safe_day_street"] == {
        1: "Very safe", 2: "Fairly safe", 3: "Fairly unsafe", 4: "Very unsafe",
        97: "An answer no longer offered", "a": "Does not apply to me", "b": "Prefer not to say",
    }
    assert meta.variable_value_labels["age"]["b"] == "Prefer not to say" and 99 not in meta.variable_value_labels["age"]
    assert meta.variable_value_labels["experiences_followed"] == {0: "Not chosen", 1: "Being followed"}
    assert meta.missing_user_values == {"safe_dark_transport": ["a"], "age": ["b"]}  # the letters found in the data
    for name, value_labels in sav_meta.variable_value_labels.items():  # every other label as in the .sav
        numbers = {n: text for n, text in value_labels.items() if n not in spss.USER_MISSING}
        assert {n: text for n, text in meta.variable_value_labels[names[name]].items() if n not in ("a", "b")} == numbers
    # Coded answers are whole numbers: Stata's long, except where the file holds no number but
    # missing ones, which pyreadstat writes as a double (the same values and labels).
    coded = [names[name] for name in sav_meta.variable_value_labels]
    answered = [name for name in coded if plain[name].notna().any()]
    assert "safe_day_street" in answered and "experiences_followed" in answered
    assert {meta.readstat_variable_types[name] for name in answered} == {"int32"}
    assert {meta.readstat_variable_types[name] for name in coded} == {"int32", "double"}
    assert meta.readstat_variable_types["safe_day_busy"] == "double"  # nobody answered it here

    rows = {row["response_id"]: row for row in tagged.to_dict("records")}
    assert set(rows) == {"0001", "1e10", "ffff"}  # ids stay text
    first, second, third = rows["0001"], rows["1e10"], rows["ffff"]
    assert first["submitted_on"] == date(2026, 6, 8) and first["language"] == "en" and second["language"] == "ur"
    assert (first["safe_day_street"], first["safe_dark_transport"], first["age"]) == (1, "a", "b")
    assert first["area"] == spss.option_numbers(QUESTIONNAIRE.questions["area"])["walsall"]
    assert (first["experiences_comments"], first["experiences_followed"], first["experiences_online"]) == (1, 1, 0)
    assert second["safe_day_street"] == 97  # a code this questionnaire no longer has
    assert second["age"] == spss.option_numbers(QUESTIONNAIRE.questions["age"])["18_24"] and second["experiences_comments"] == 0
    prefer_not = names["experiences.prefer_not_to_say"]
    assert prefer_not != "experiences_prefer_not_to_say" and second[prefer_not] == 1  # a multiple choice's option: 0/1
    assert first["difference_text"] == "=1+1" and second["gender_self_described"] == HOSTILE_TEXT[1]
    assert third["difference_text"] == " | ".join(HOSTILE_TEXT)
    assert first["gender_self_described"] == ""  # no text: Stata's empty text
    # Read without the letters, .a and .b are missing like `.`; pandas' reader tells the three apart.
    by_id = {row["response_id"]: row for row in plain.to_dict("records")}
    assert by_id["0001"]["age"] != by_id["0001"]["age"] and by_id["0001"]["safe_day_street"] == 1
    assert by_id["ffff"]["age"] != by_id["ffff"]["age"] and by_id["ffff"]["experiences_followed"] != by_id["ffff"]["experiences_followed"]
    path = tmp_path / "survey-responses.dta"
    age = spss.option_numbers(QUESTIONNAIRE.questions["age"])["18_24"]
    assert stata_missing(path, "age") == {"0001": ".b", "1e10": str(age), "ffff": "."}
    assert stata_missing(path, "safe_dark_transport") == {"0001": ".a", "1e10": ".", "ffff": "."}
    assert stata_missing(path, "experiences_followed") == {"0001": "1", "1e10": "0", "ffff": "."}


def test_long_and_urdu_free_text_is_kept_whole(staff, rows, tmp_path):
    rows([
        ("l1", date(2026, 6, 8), "en", "v1", [("difference_text", LONG_TEXT)]),
        ("u1", date(2026, 6, 8), "ur", "v1", [("difference_text", URDU_TEXT), ("gender_self_described", "خود")]),
        ("e1", date(2026, 6, 8), "en", "v1", [("age", "18_24")]),
    ])
    tagged, meta, _ = dta(staff, tmp_path)
    texts = dict(zip(tagged["response_id"], tagged["difference_text"]))
    assert texts == {"l1": LONG_TEXT, "u1": URDU_TEXT, "e1": ""}
    assert meta.readstat_variable_types["difference_text"] == "string"
    assert dict(zip(tagged["response_id"], tagged["gender_self_described"]))["u1"] == "خود"


def test_no_responses_give_a_file_with_every_variable_and_no_rows(staff, tmp_path):
    tagged, meta, _ = dta(staff, tmp_path)
    assert len(tagged) == 0 and meta.number_columns == len(columns(QUESTIONNAIRE)) + 4
    assert meta.variable_value_labels["age"]["b"] == "Prefer not to say"


# The names.


def test_names_stata_holds_are_kept_and_periods_become_underscores():
    names = stata.stata_names(["response_id", "age", "where.park", "q1", "Q1"])
    assert names == {"response_id": "response_id", "age": "age", "where.park": "where_park", "q1": "q1", "Q1": "Q1"}


def test_a_name_too_long_or_taken_is_shortened_with_a_digest_of_the_original():
    long = "why_not_reported.prefer_not_to_say"  # 34 characters, of the real questionnaire
    names = stata.stata_names(["exp_a", "exp.a", "x.b_c", "x_b.c", "int", long, "a" * 28, "a" * 29])
    assert names["exp_a"] == "exp_a"  # already a Stata name: kept; the other one is shortened
    assert names["exp.a"] == "exp_a_" + stata.hashlib.sha256(b"exp.a").hexdigest()[:6]
    assert names["x.b_c"].startswith("x_b_c_") and names["x_b.c"].startswith("x_b_c_") and names["x.b_c"] != names["x_b.c"]
    assert names["int"].startswith("int_")  # a word Stata keeps for itself
    assert names[long] == "why_not_reported_pref_" + stata.hashlib.sha256(long.encode()).hexdigest()[:6]
    assert names["a" * 28] == "a" * 28 and len(names["a" * 29]) == 28
    assert len(set(names.values())) == len(names)
    assert all(len(name) <= 28 and stata._NAME.fullmatch(name) for name in names.values())
    # The rule depends on the names alone, not their order.
    assert stata.stata_names(list(reversed(names))) == names


def test_two_columns_that_would_share_a_name_are_refused():
    digest_name = "exp_a_" + stata.hashlib.sha256(b"exp.a").hexdigest()[:6]
    with pytest.raises(ValueError, match="no Stata name"):
        stata.stata_names(["exp_a", "exp.a", digest_name])


def test_every_column_of_the_real_questionnaire_has_its_own_name(staff, responses, tmp_path):
    headers = list(spss.FIXED_LABELS) + [column.header for column in columns(QUESTIONNAIRE)]
    names = stata.stata_names(headers)
    assert len(set(names.values())) == len(headers)
    tagged, meta, _ = dta(staff, tmp_path)
    long = "why_not_reported.prefer_not_to_say"
    assert names[long] in tagged.columns
    # A shortened name's label starts with the original, then the question as far as 80 characters go.
    label = meta.column_names_to_labels[names[long]]
    assert label.startswith(f"{long}: ") and len(label) <= 80
    assert meta.column_names_to_labels["where_park"] == "Where did it happen?: In a park or open space"
    # pyreadstat names each set of value labels after its variable: every one within Stata's 32 characters.
    assert all(len(name) <= 32 for name in meta.variable_to_label.values())


# Labels: hostile texts and Urdu, in a questionnaire built here (the reader refuses control characters).

HOSTILE_LABEL = 'He said "no" \'twice\' `cmd\'\nthen\r\nleft\t\x00\u202eevil\u202c'
URDU_LABEL = "آپ کہاں غیر محفوظ محسوس کرتے ہیں؟"


def labelled_questionnaire() -> Questionnaire:
    return Questionnaire(
        version="v1", title=_l("T"), purpose=_l("T"), minutes=1,
        pages=(Page("p", _l("P"), (
            Question("where", _l(HOSTILE_LABEL), Kind.SINGLE, (
                Option("home", _l(URDU_LABEL)), Option("out", _l(HOSTILE_LABEL)),
                Option("prefer_not_to_say", _l("Prefer not to say")),
            )),
            Question("which", _l(URDU_LABEL * 3), Kind.MULTIPLE, (Option("a", _l(HOSTILE_LABEL)), Option("b", _l("B")))),
            Question("why", _l("Why?"), Kind.TEXT, required=False),
        )),),
    )


def test_hostile_and_urdu_labels_read_back_as_one_line_each(app, rows, tmp_path):
    rows([
        ("a1", date(2026, 6, 8), "en", "v1", [("where", "home"), ("which", "a"), ("why", HOSTILE_TEXT[0])]),
        ("b2", date(2026, 6, 9), "ur", "v1", [("where", "prefer_not_to_say")]),
    ])
    path = str(tmp_path / "labels.dta")
    with app.test_request_context():
        assert stata.write_dta(path, labelled_questionnaire()) == 2
    frame, meta = pyreadstat.read_dta(path, user_missing=True)
    one_line = 'He said "no" \'twice\' `cmd\' then  left evil'
    assert stata_text(HOSTILE_LABEL, 80) == one_line
    assert meta.column_names_to_labels["where"] == one_line
    assert meta.variable_value_labels["where"] == {
        1: URDU_LABEL, 2: one_line, 97: "An answer no longer offered", "b": "Prefer not to say"}
    assert meta.column_names_to_labels["which_a"] == stata_text(f"{URDU_LABEL * 3}: {HOSTILE_LABEL}", 80)
    assert len(meta.column_names_to_labels["which_a"]) == 80  # 80 characters of Urdu, 146 bytes
    assert meta.variable_value_labels["which_a"] == {0: "Not chosen", 1: one_line}
    assert dict(zip(frame["response_id"], frame["where"])) == {"a1": 1, "b2": "b"}
    assert dict(zip(frame["response_id"], frame["why"])) == {"a1": "=1+1", "b2": ""}
    # pandas' reader reads the same labels from the same bytes.
    with pandas.io.stata.StataReader(path) as reader:
        reader.read()
        assert reader.variable_labels()["where"] == one_line
        assert list(reader.value_labels()[meta.variable_to_label["where"]].values())[:2] == [URDU_LABEL, one_line]


# The download: a POST with the token, audited, nothing left behind.


def test_the_export_page_offers_the_stata_file(staff):
    form = soup(staff.get("/staff/export")).select_one("main form[action='/staff/export.csv']")
    button = form.select_one("button[formaction='/staff/export.dta']")
    assert button.get_text() == "Download a Stata file (.dta)"
    assert any("Stata file:" in item.get_text() and ".a" in item.get_text() for item in soup(staff.get("/staff/export")).select("main li"))


def test_the_stata_download_is_a_post_with_the_token(staff):
    assert staff.get("/staff/export.dta").status_code == 405
    for data in ({}, {"csrf_token": "forged"}):
        response = staff.post("/staff/export.dta", data=data)
        assert response.status_code == 400
        assert soup(response).h1.get_text() == "Sorry, that form has expired"


def test_the_stata_download_is_audited_without_answers_and_filtered(app, staff, responses, tmp_path):
    tagged, _, _ = dta(staff, tmp_path, start="2026-06-09")
    assert sorted(tagged["response_id"]) == ["1e10", "ffff"]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.actor, event.action, event.details) == (
            USERNAME, "export", {"format": "stata", "start": "2026-06-09", "end": None, "rows": 2})


def test_bad_filters_get_the_export_page_with_errors(staff):
    response = post(staff, "/staff/export.dta", start="2026-13-01")
    assert response.status_code == 400
    assert soup(response).select_one(".error-summary a")["href"] == "#start"


def test_no_temporary_file_is_left(staff, responses, tmp_path, monkeypatch):
    import tempfile

    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    assert post(staff, "/staff/export.dta").status_code == 200
    assert list(folder.iterdir()) == []


def test_a_failed_write_leaves_no_file(app, responses, tmp_path, monkeypatch):
    import tempfile

    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(stata, "stata_names", lambda names: (_ for _ in ()).throw(ValueError("no Stata name")))
    with app.test_request_context(), pytest.raises(ValueError):
        stata.stata_file(QUESTIONNAIRE)
    assert list(folder.iterdir()) == []
