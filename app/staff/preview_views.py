"""A preview of a stored survey file (a draft, the live version or an earlier one): the public
survey's own pages and engine, as a respondent sees them, in every language the file has, at its
own address under /staff, for staff who look after the survey.

Why it is safe to type anything here: the answers are kept only on the staff session's row
(staff_sessions.preview_answers), which ends with the session. No draft, response, count or export
ever sees them, and the public side's storage (app/survey/drafts.py) is never called.

What differs from the public survey, and why:
- the questionnaire is the file's (g.live_survey, read by QUESTIONNAIRE), and the survey is open
  whatever its dates, so an owner can preview before the first day;
- forms carry the staff CSRF token, checked by the staff guard (the respondents' session is never
  touched under /staff, app/sessions.py);
- nothing is cached: every page is rendered afresh;
- the quick exit forgets the answers, ends the staff session too (the browser is asked to clear the
  site's cookies, the staff cookie with them) and leaves as the public one does.
"""

from functools import wraps

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import update

from app.extensions import db
from app.help_contacts import CONTACTS, URGENT_CONTACTS
from app.models import StaffSession, SurveyFile
from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire import engine
from app.staff import EDITOR, access, audit, bp
from app.staff.auth import sessions
from app.survey.forms import form_class, given_answers
from app.survey.views import leave_quickly
from app.surveys import lifecycle, live

PREFIX = "/preview/<int:file_id>"


def previewing(view):
    """Serve the view from the stored file `file_id`, framed as a preview."""

    @wraps(view)
    def wrapper(file_id: int, **values):
        row = db.session.get(SurveyFile, file_id)
        if row is None:
            abort(404)
        g.live_survey = live.Live(lifecycle.questionnaire_of(row), f"preview:{row.sha256}", row.id, True, None, None)
        g.preview_file, g.preview_file_id, g.survey_status = row, row.id, "open"
        return view(**values)

    return wrapper


def _answers() -> dict | None:
    """The answers typed into this file's preview in this session, or None before it began."""
    row = g.staff_session
    if row.preview_file_id != g.preview_file_id:
        return None
    return engine.known_answers(Q, row.preview_answers or {})


def _keep(answers: dict | None) -> None:
    """Keep the answers on the session's row (None: forget them). An UPDATE: the request's row is
    detached from the database session (app/staff/auth/sessions.py, current)."""
    file_id = g.preview_file_id if answers is not None else None
    db.session.execute(
        update(StaffSession).where(StaffSession.id == g.staff_session.id)
        .values(preview_file_id=file_id, preview_answers=answers)
    )
    db.session.commit()


def _url(endpoint: str, **values) -> str:
    """A preview page's address, in the language of this one (a preview sets no language cookie)."""
    return url_for(f"staff.preview_{endpoint}", file_id=g.preview_file_id, lang=str(get_locale()), **values)


def _question_url(page, change: bool = False) -> str:
    return _url("question", number=engine.page_number(Q, page), change=1 if change else None)


def _resume_url(answers: dict) -> str:
    page = engine.first_unanswered(Q, answers)
    return _question_url(page) if page else _url("check")


@bp.get(PREFIX + "/")
@access(EDITOR)
@previewing
def preview_start():
    answers = _answers()
    return render_template("survey/start.html", questionnaire=Q, resuming=bool(answers))


@bp.post(PREFIX + "/start")
@access(EDITOR)
@previewing
def preview_begin():
    answers = _answers()
    if answers is None:
        _keep({})
        return redirect(_question_url(Q.pages[0]), 303)
    return redirect(_resume_url(answers), 303)


@bp.route(PREFIX + "/question/<int:number>", methods=["GET", "POST"])
@access(EDITOR)
@previewing
def preview_question(number: int):
    page = engine.page_by_number(Q, number)
    if page is None:
        abort(404)
    answers = _answers()
    if answers is None:
        return redirect(_url("start"))
    here = engine.place(Q, page, answers)
    if here is None:
        return redirect(_resume_url(answers))
    change = request.args.get("change") == "1"
    # The staff guard checked the staff CSRF token already; the form's own would need the respondents' session.
    no_csrf = {"csrf": False}
    if request.method == "POST":
        form = form_class(page)(meta=no_csrf)
    else:
        form = form_class(page)(formdata=None, data=answers, meta=no_csrf)
    if request.method == "POST" and form.validate():
        answers = engine.record_page(Q, answers, page, given_answers(page, form))
        _keep(answers)
        following = engine.place(Q, page, answers).next
        if change or following is None:
            return redirect(_resume_url(answers), 303)
        return redirect(_question_url(following), 303)
    if change:
        back_url = _url("check")
    else:
        back_url = _question_url(here.previous) if here.previous else _url("start")
    return render_template(
        "survey/question.html", page=page, form=form, step=here.number, back_url=back_url,
        action=_question_url(page, change), contacts=URGENT_CONTACTS,
    ), 200


@bp.route(PREFIX + "/check", methods=["GET", "POST"])
@access(EDITOR)
@previewing
def preview_check():
    answers = _answers()
    if answers is None:
        return redirect(_url("start"))
    if engine.first_unanswered(Q, answers):
        return redirect(_resume_url(answers))
    if request.method == "POST":
        _keep(None)  # "sent": forgotten, as nothing of a preview is ever kept
        return redirect(_url("done"), 303)
    rows = [
        (question, engine.answer_labels(question, answers.get(question.id)), _question_url(page, change=True))
        for page in engine.visible_pages(Q, answers)
        for question in page.questions
    ]
    return render_template("survey/check.html", rows=rows)


@bp.get(PREFIX + "/done")
@access(EDITOR)
@previewing
def preview_done():
    return render_template("survey/done.html", contacts=CONTACTS)


@bp.get(PREFIX + "/exit")
@access(EDITOR)
@previewing
def preview_exit():
    """The quick exit as on the live survey: the answers typed are forgotten, and the staff session
    ends too, since the browser is asked to forget this site's cookies."""
    audit.record(audit.SIGN_OUT, g.staff_user.username)
    sessions.end(g.staff_session)
    return sessions.clear_cookie(leave_quickly())
