from app.extensions import db
from app.models import Answer, Response


def test_complete_and_submit(app, respondent):
    last = respondent.complete()
    assert last.headers["Location"] == "/check"
    assert respondent.submit().headers["Location"] == "/done"
    with app.app_context():
        assert db.session.query(Response).count() == 1
        assert db.session.query(Answer).count() > 20
