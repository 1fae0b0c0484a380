"""The anonymity promise: no IP address, user agent, referrer or precise time anywhere after a submission."""

import logging

from sqlalchemy import inspect, text

from app.extensions import db
from app.questionnaire import QUESTIONNAIRE
from tests.helpers import release_today, stored_values

IP = "203.0.113.77"
AGENT = "Mozilla/5.0 (Linux; Android 9; TattleTale-Phone-7731)"
REFERRER = "https://referrer.example/secret-page-5512"


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
    release_today(app)

    values = stored_values(app)  # SQLite or PostgreSQL alike
    joined = "\n".join(values)
    for secret in (IP, "TattleTale", "referrer.example", "5512"):
        assert secret not in joined
        assert secret not in caplog.text
    assert QUESTIONNAIRE.version in values  # the submission really is in there

    with app.app_context():
        submitted_on = str(db.session.execute(text("SELECT submitted_on FROM responses")).scalar_one())
        columns = {column["name"] for table in ("responses", "answers") for column in inspect(db.engine).get_columns(table)}
    assert len(submitted_on) == 10  # a day, YYYY-MM-DD, never a time
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
