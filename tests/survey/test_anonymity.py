"""The anonymity promise: no IP address, user agent, referrer or precise time anywhere after a submission."""

import logging
import sqlite3

from app.questionnaire.default import VERSION

IP = "203.0.113.77"
AGENT = "Mozilla/5.0 (Linux; Android 9; TattleTale-Phone-7731)"
REFERRER = "https://referrer.example/secret-page-5512"


def every_stored_value(database_file) -> list[str]:
    connection = sqlite3.connect(database_file)
    values = []
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in connection.execute(f'SELECT * FROM "{table}"'):
            values.extend(str(value) for value in row)
    connection.close()
    return values


def test_nothing_about_the_device_is_stored_or_logged(app, tmp_path, caplog):
    client = app.test_client()
    client.environ_base.update(
        {"REMOTE_ADDR": IP, "HTTP_USER_AGENT": AGENT, "HTTP_REFERER": REFERRER, "HTTP_X_FORWARDED_FOR": IP}
    )
    from tests.helpers import Respondent

    respondent = Respondent(client)
    caplog.set_level(logging.DEBUG)
    respondent.complete()
    respondent.submit()

    values = every_stored_value(tmp_path / "test.sqlite3")
    joined = "\n".join(values)
    for secret in (IP, "TattleTale", "referrer.example", "5512"):
        assert secret not in joined
        assert secret not in caplog.text
    assert VERSION in values  # the submission really is in there

    connection = sqlite3.connect(tmp_path / "test.sqlite3")
    submitted_on = connection.execute("SELECT submitted_on FROM responses").fetchone()[0]
    assert len(submitted_on) == 10  # a day, YYYY-MM-DD, never a time
    columns = {row[1] for table in ("responses", "answers") for row in connection.execute(f"PRAGMA table_info({table})")}
    assert not columns & {"ip", "ip_address", "user_agent", "referrer", "created_at", "submitted_at"}


def test_dev_server_log_keeps_no_address_or_time():
    from app import _NoAddressFilter

    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '203.0.113.77 - - [24/Nov/2026 10:11:12] "%s" %s %s\n',
        ("GET /question/3 HTTP/1.1", "200", "-"), None,
    )
    _NoAddressFilter().filter(record)
    line = record.getMessage()
    assert "203.0.113.77" not in line and "10:11:12" not in line
    assert "GET /question/3" in line
