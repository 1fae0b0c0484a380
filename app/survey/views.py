"""Public survey routes. Thin: load the draft, ask the engine, render or redirect (Post/Redirect/Get)."""

from dataclasses import replace

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_wtf import FlaskForm

from app.extensions import db
from app.help_contacts import CONTACTS, URGENT_CONTACTS
from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire import engine
from app.questionnaire.model import Kind
from app.survey import bp, drafts, page_cache
from app.survey.forms import form_class, given_answers
from app.survey.state import survey_status, today_london
from app.surveys import live

DRAFT_KEY = "draft"
# Pages that explain, help or let someone leave are there whether or not the survey is open.
ALWAYS_OPEN = {
    "survey.start", "survey.help", "survey.privacy", "survey.leaving", "survey.accessibility", "survey.exit", "survey.done",
}


def _idle() -> int:
    return current_app.config["DRAFT_IDLE_MINUTES"]


def _question_url(page, change: bool = False):
    number = engine.page_number(Q, page)
    return url_for("survey.question", number=number, change=1 if change else None)


def _resume_url(answers: dict):
    page = engine.first_unanswered(Q, answers)
    return _question_url(page) if page else url_for("survey.check")


@bp.before_request
def check_survey_open():
    """Outside the opening dates no answer is accepted; a draft in progress gets a clear page."""
    g.survey_status = survey_status(*live.dates())
    if g.survey_status != "open" and request.endpoint not in ALWAYS_OPEN:
        return render_template("survey/closed.html"), 200 if request.method == "GET" else 403


def _new_token(draft, answers: dict | None = None) -> drafts.LiveDraft | None:
    """Move the draft to a new token, kept in the session; returns the draft as it now is."""
    token = drafts.new_token(draft, _idle(), answers)
    if token is None:  # a request racing this one (the other half of a double tap) moved it first
        draft = drafts.find_draft(session.get(DRAFT_KEY))
        token = drafts.new_token(draft, _idle(), answers) if draft else None
    if token is None:
        return None
    current_app.extensions["flood_brakes"].moved(session.get(DRAFT_KEY), token)
    session[DRAFT_KEY] = token
    return drafts.find_draft(token)


def _draft_or_page():
    """The live draft, or the page to show instead: expired, already sent, or not started."""
    token = session.get(DRAFT_KEY)
    draft = drafts.find_draft(token)
    if draft is not None and draft.moved:  # the token before the current one: a double tap
        draft = _new_token(draft)
    if draft is None:
        if drafts.was_sent(token, today_london()):
            return None, redirect(url_for("survey.done"))
        if token:
            # The session keeps its token: this may be the late half of a double tap whose
            # other half gave the browser a new one, which must not be overwritten.
            return None, (render_template("survey/expired.html"), 200)
        return None, redirect(url_for("survey.start"))
    return _in_this_version(draft), None


def _in_this_version(draft: drafts.LiveDraft) -> drafts.LiveDraft:
    """The draft with only the answers this questionnaire still has (it may have begun under an earlier one)."""
    return replace(draft, answers=engine.known_answers(Q, draft.answers))


@bp.get("/")
def start():
    draft = drafts.find_draft(session.get(DRAFT_KEY))
    resuming = draft is not None and bool(engine.known_answers(Q, draft.answers))
    return render_template("survey/start.html", questionnaire=Q, resuming=resuming)


@bp.post("/start")
def begin():
    draft = drafts.find_draft(session.get(DRAFT_KEY))
    if draft is None:
        session[DRAFT_KEY] = drafts.start_draft(_idle())
        return redirect(_question_url(Q.pages[0]), 303)
    # Continuing: under a new token, so a cookie someone else planted here no longer reaches it.
    draft = _new_token(draft)
    if draft is None:
        session[DRAFT_KEY] = drafts.start_draft(_idle())
        return redirect(_question_url(Q.pages[0]), 303)
    return redirect(_resume_url(_in_this_version(draft).answers), 303)


@bp.route("/question/<int:number>", methods=["GET", "POST"])
def question(number: int):
    page = engine.page_by_number(Q, number)
    if page is None:
        abort(404)
    draft, other = _draft_or_page()
    if other:
        return other
    answers = draft.answers
    here = engine.place(Q, page, answers)
    if here is None:
        return redirect(_resume_url(answers))
    change = request.args.get("change") == "1"
    form = None  # a GET needs no form unless the page is rendered afresh
    if request.method == "POST":
        form = form_class(page)()
        if form.validate_on_submit():
            first = not answers
            answers = engine.record_page(Q, answers, page, given_answers(page, form))
            if first:  # a new token with the first answer: whoever held the old one cannot follow
                _new_token(draft, answers)
            else:
                drafts.save_answers(draft, answers, _idle())
            following = engine.place(Q, page, answers).next  # branching may have changed with the answers
            if change or following is None:
                return redirect(_resume_url(answers), 303)
            return redirect(_question_url(following), 303)
    else:
        drafts.touch(draft, _idle())

    def render_page(**slots):
        if change:
            back_url = url_for("survey.check")
        else:
            back_url = _question_url(here.previous) if here.previous else url_for("survey.start")
        return render_template(
            "survey/question.html",
            page=page,
            form=form if form is not None else form_class(page)(data=answers),
            step=here.number,
            back_url=back_url,
            # The form posts to this page's own address: with no action a browser posts to the URL it
            # shows, fragment included, and "#main" from the skip link would then follow every page.
            action=_question_url(page, change),
            contacts=URGENT_CONTACTS,
            **slots,
        )

    # The key is everything the page shows but the CSRF token: the page, whether it is a change
    # from the check page (the back link goes there), its place and the choices shown. Nothing
    # else from the address: other query parameters change nothing on the page (language links
    # keep only known ones), so they must not make new entries. A page with errors (a POST, so
    # form is set) or with typed text is never cached.
    choices = None if form is not None else _shown_choices(page, answers)
    key = (str(get_locale()), number, change, here, choices) if choices is not None else None
    return page_cache.render(key, render_page)


def _shown_choices(page, answers: dict) -> tuple | None:
    """The saved option codes a page shows, or None when it shows typed text."""
    shown = []
    for question in page.questions:
        value = answers.get(question.id)
        if question.kind is Kind.TEXT:
            if value:
                return None
        else:
            # Sorted and once each, whatever a draft saved earlier holds: one page, one key.
            shown.append(tuple(sorted(set(value))) if isinstance(value, list) else value)
    return tuple(shown)


@bp.route("/check", methods=["GET", "POST"])
def check():
    draft, other = _draft_or_page()
    if other:
        return other
    answers = draft.answers
    if engine.first_unanswered(Q, answers):
        return redirect(_resume_url(answers))
    form = FlaskForm()  # only the CSRF token
    if form.validate_on_submit():
        drafts.submit_draft(draft, Q, str(get_locale()), today_london())
        # Whether this request or an earlier identical one stored it, the respondent has sent their answers.
        return redirect(url_for("survey.done"), 303)
    rows = [
        (question, engine.answer_labels(question, answers.get(question.id)), _question_url(page, change=True))
        for page in engine.visible_pages(Q, answers)
        for question in page.questions
    ]
    return render_template("survey/check.html", rows=rows, form=form)


@bp.get("/done")
def done():
    if not drafts.was_sent(session.get(DRAFT_KEY), today_london()):
        return redirect(url_for("survey.start"))
    return render_template("survey/done.html", contacts=CONTACTS)


@bp.get("/exit")
def exit():
    """Quick exit: forget the answers in progress and the session, then leave for a neutral site."""
    try:
        drafts.discard_draft(session.get(DRAFT_KEY))
    except current_app.extensions["database_unavailable"]:
        # The way out never waits for the database: the draft expires by itself.
        db.session.rollback()
    session.clear()
    return leave_quickly()


def leave_quickly():
    """The quick exit's response: to a neutral site, asking the browser to forget this one."""
    response = redirect(current_app.config["QUICK_EXIT_URL"], 303)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    # For browsers without Clear-Site-Data. Secure as it was set: browsers ignore a "__Host-" cookie's
    # removal without it.
    response.delete_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/help")
def help():
    return render_template("survey/help.html", contacts=CONTACTS)


@bp.get("/privacy")
def privacy():
    return render_template("survey/privacy.html")


@bp.get("/leaving-quickly")
def leaving():
    return render_template("survey/leaving.html")


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement; the owner's parts come from configuration (app/config.py)."""
    return render_template("survey/accessibility.html")
