"""The survey owner's pages: the live version and its history, drafts uploaded, what a draft
changes and what stops it going live, making it live, the dates, and downloads. Thin: every change
is a function of app/surveys/lifecycle.py, which records it in the audit trail."""

from datetime import datetime, time, timedelta, timezone

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for

from app.config import LONDON
from app.extensions import db
from app.models import SurveyFile
from app.questionnaire.xlsform import SurveyFileError
from app.request_guard import body_limit
from app.staff import EDITOR, access, bp
from app.staff.survey_forms import DatesForm, UploadForm
from app.survey.state import survey_status
from app.surveys import lifecycle, live
from app.questionnaire.xlsx_file import MAX_FILE_BYTES

# What a redirect back to the survey page says happened: a fixed set, so the address carries no text.
NOTICES = {
    "made-live": "The new version is live. Every server serves it within a few seconds.",
    "closed": "The survey is closed: it takes no more answers.",
    "opened": "The survey is open.",
    "dates": "The dates are saved.",
}
# Room for the form's other parts around the largest file the reader takes.
UPLOAD_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024


def _actor() -> str:
    return g.staff_user.username


def _file(file_id: int) -> SurveyFile:
    row = db.session.get(SurveyFile, file_id)
    if row is None:
        abort(404)
    return row


def _day(moment: datetime | None):
    return moment.astimezone(LONDON).date() if moment else None


@bp.app_template_filter("staff_time")
def staff_time(moment: datetime | None) -> str:
    """A staff action's moment, to the minute, in London time (SQLite gives back naive UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def _page(upload_form=None, dates_form=None, status=200):
    opens, closes = live.dates()
    files = lifecycle.history()
    dates_form = dates_form or DatesForm(
        formdata=None, opens=_day(opens), last_day=_day(closes - timedelta(microseconds=1)) if closes else None
    )
    return render_template(
        "staff/survey.html",
        live_file=next((row for row in files if row.state == lifecycle.LIVE), None),
        drafts=[row for row in files if row.state == lifecycle.DRAFT],
        were_live=[row for row in files if row.made_live_at is not None],
        responses=lifecycle.responses_by_version(),
        status=survey_status(opens, closes),
        opens=opens,
        closes=closes,
        upload_form=upload_form or UploadForm(formdata=None),
        dates_form=dates_form,
        notice=NOTICES.get(request.args.get("done", "")),
    ), status


def signed_in_staff() -> bool:
    """Whether this request comes from a signed-in member of staff (both factors): only then may the
    upload's body be read at its bigger limit (app/request_guard.py), so nobody else can make a
    worker read and spool 2 MB."""
    from app.staff.auth import sessions

    row, _expired = sessions.current()
    return row is not None and row.two_factor_done


@bp.errorhandler(413)
def too_big(error):
    """A body over the limit, on a staff page rather than the public one (the upload's is the usual case)."""
    from app import drain_request_body

    drain_request_body()
    return render_template(
        "staff/error.html", title="Too much was sent",
        message=f"A survey file must be smaller than {MAX_FILE_BYTES // 1_000_000} MB (the shipped survey, in seven"
                " languages, is 44 KB). Other staff forms take much less.",
    ), 413


@bp.get("/survey")
@access(EDITOR)
def survey():
    return _page()


@bp.post("/survey/upload")
@access(EDITOR)
@body_limit(UPLOAD_BODY_BYTES, when=signed_in_staff)
def upload_survey():
    form = UploadForm()
    if not form.validate():
        return _page(upload_form=form, status=400)
    try:
        draft = lifecycle.upload(form.data_bytes, _actor())
    except SurveyFileError as error:
        # Nothing is kept: the page lists every problem, as `flask survey check` prints them.
        return render_template("staff/survey_problems.html", problems=error.problems), 400
    return redirect(url_for("staff.survey_file", file_id=draft.id), 303)


@bp.get("/survey/files/<int:file_id>")
@access(EDITOR)
def survey_file(file_id: int):
    row = _file(file_id)
    live_row = lifecycle.live_file()
    return render_template(
        "staff/survey_file.html",
        file=row,
        questionnaire=lifecycle.questionnaire_of(row),
        refused=lifecycle.problems_before_live(row) if row.state != lifecycle.LIVE else [],
        changes=lifecycle.changes(row, live_row) if row.state != lifecycle.LIVE else {},
        live_file=live_row,
        language_names={code: language["name"] for code, language in current_app.config["LANGUAGES"].items()},
    )


@bp.route("/survey/files/<int:file_id>/make-live", methods=["GET", "POST"])
@access(EDITOR)
def make_live(file_id: int):
    row = _file(file_id)
    if row.state == lifecycle.LIVE:
        return redirect(url_for("staff.survey_file", file_id=row.id), 303)
    refused = lifecycle.problems_before_live(row)
    if request.method == "POST" and not refused:
        try:
            lifecycle.make_live(row, _actor())
        except lifecycle.NotMadeLive as error:  # something changed since the page was shown
            refused = error.problems
        else:
            return redirect(url_for("staff.survey", done="made-live"), 303)
    return render_template(
        "staff/survey_make_live.html", file=row, live_file=lifecycle.live_file(), refused=refused,
    ), 409 if refused and request.method == "POST" else 200


@bp.get("/survey/files/<int:file_id>/download")
@access(EDITOR)
def download_survey(file_id: int):
    row = _file(file_id)
    # The name is made here from the version (letters, digits, dots and hyphens), never one uploaded.
    # ASCII only: a header is Latin-1, and gunicorn refuses a Cyrillic or accented name outright.
    version = "".join(c if (c.isascii() and c.isalnum()) or c in ".-" else "-" for c in row.version)[:32] or "survey"
    return Response(
        row.content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="survey-{version}-{row.state}-{row.id}.xlsx"'},
    )


@bp.post("/survey/close")
@access(EDITOR)
def close_survey():
    lifecycle.close_now(_actor())
    return redirect(url_for("staff.survey", done="closed"), 303)


@bp.post("/survey/open")
@access(EDITOR)
def open_survey():
    lifecycle.open_again(_actor())
    return redirect(url_for("staff.survey", done="opened"), 303)


@bp.post("/survey/dates")
@access(EDITOR)
def set_survey_dates():
    form = DatesForm()
    if not form.validate():
        return _page(dates_form=form, status=400)
    opens = datetime.combine(form.opens.data, time(0), tzinfo=LONDON) if form.opens.data else None
    # Open all of the last day: it closes at the start of the next (as SURVEY_CLOSES=2026-06-22 does).
    closes = (
        datetime.combine(form.last_day.data + timedelta(days=1), time(0), tzinfo=LONDON) if form.last_day.data else None
    )
    lifecycle.set_dates(opens, closes, _actor())
    return redirect(url_for("staff.survey", done="dates"), 303)
