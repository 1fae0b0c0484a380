"""Staff routes. Thin: validate, call a plain function, render, stream or redirect."""

from datetime import date

from flask import Response, current_app, g, make_response, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.versions import covered
from app.staff import ADMIN, ANALYST, ANYONE, PASSWORD_GIVEN, SIGNED_IN, VIEWER, access, audit, auth, bp, summaries
from app.staff.auth import has_role, sessions
from app.staff.auth import two_factor as totp
from app.staff.exports.codebook import codebook_chunks
from app.staff.exports.csv import export_chunks
from app.staff.exports.rows import count_responses
from app.staff.forms import BreakdownForm, CodeForm, CodebookForm, ExportForm, GroupForm, SignInForm
from app.staff.summaries import pages
from app.staff.summaries.charts import bar_chart
from app.survey.release import waiting_count
from app.survey.state import survey_status


def _threshold() -> int:
    return current_app.config["STAFF_SUPPRESSION_THRESHOLD"]


def _actor() -> str:
    return g.staff_user.username


def home_url(user) -> str:
    """Where a member of staff starts: the dashboard, or for an editor (who sees no data) the survey page."""
    return url_for("staff.dashboard") if has_role(user, VIEWER) else url_for("staff.survey")


def _too_many(form, template: str, retry_after: float, busy: bool = False, **context):
    """A 429 page with Retry-After: the form again, saying how long to wait. Nothing was checked."""
    seconds = max(1, round(retry_after))
    if busy:
        message = _("The staff area is busy. Wait %(seconds)s seconds, then try again.", seconds=seconds)
    else:
        message = _("Too many attempts. Wait %(seconds)s seconds, then try again.", seconds=seconds)
    form.form_errors.append(message)
    return render_template(template, form=form, **context), 429, {"Retry-After": str(seconds)}


@bp.route("/login", methods=["GET", "POST"])
@access(ANYONE)
def login():
    if g.staff_session is not None and g.staff_session.two_factor_done:
        return redirect(home_url(g.staff_user))
    form = SignInForm()
    context = {"expired": request.args.get("expired") == "1", "signed_out": "signed_out" in request.args}
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form, **context), 400 if form.errors else 200
    attempt = auth.check_password(form.username.data, form.password.data)
    if attempt.retry_after:
        return _too_many(form, "staff/login.html", attempt.retry_after, attempt.busy, **context)
    if attempt.user is None:
        # One message for every failure: it never says whether the account exists.
        form.form_errors.append(
            _("The username or password is not right. Check them and try again, or ask the person who manages staff accounts.")
        )
        return render_template("staff/login.html", form=form, **context), 200
    # A new session (a new token) at every sign-in; any session this browser had ends. The respondents'
    # session cookie is not touched, so an answer in progress in the same browser is kept.
    if g.staff_session is not None:
        sessions.end(g.staff_session)
    sessions.purge_expired(current_app)
    two_factor_needed = current_app.config["STAFF_TWO_FACTOR"]
    token = sessions.start(attempt.user, two_factor_done=not two_factor_needed)
    if two_factor_needed:
        target = url_for("staff.two_factor" if attempt.user.totp_secret else "staff.two_factor_setup")
    else:
        audit.record(audit.SIGN_IN, attempt.user.username)
        target = home_url(attempt.user)
    return sessions.set_cookie(redirect(target, 303), token)


@bp.route("/two-factor", methods=["GET", "POST"])
@access(PASSWORD_GIVEN)
def two_factor():
    row = g.staff_session
    if row.two_factor_done:
        return redirect(home_url(row.user))
    if not row.user.totp_secret:
        return redirect(url_for("staff.two_factor_setup"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("staff/two_factor.html", form=form), 400 if form.errors else 200
    wait = auth.code_wait(row.user)
    if wait:
        return _too_many(form, "staff/two_factor.html", wait)
    if not auth.check_code(row.user, form.code.data):
        refused = auth.code_attempts.refused()
        if refused and not auth.codes_locked(row.user):
            # Another post claimed this attempt a moment ago (sent at once): nothing was checked.
            return _too_many(form, "staff/two_factor.html", auth.code_wait(row.user))
        if refused:  # locked: the code was not even checked, so "not right" would mislead
            form.code.errors = [_("Codes from the app are not accepted for this account now. Enter a recovery code.")]
            return render_template("staff/two_factor.html", form=form), 200
        form.code.errors = [_("The code is not right, or was used already. Enter the newest code from your app.")]
        return render_template("staff/two_factor.html", form=form), 200
    username, home = row.user.username, home_url(row.user)
    token = sessions.renew(row, two_factor_done=True)  # a new session id once both factors are given
    audit.record(audit.SIGN_IN, username)
    return sessions.set_cookie(redirect(home, 303), token)


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@access(PASSWORD_GIVEN)
def two_factor_setup():
    row = g.staff_session
    if row.two_factor_done or row.user.totp_secret:
        return redirect(url_for("staff.two_factor"))
    if not row.pending_totp_secret:
        sessions.set_pending_secret(row, totp.new_secret())
    secret = row.pending_totp_secret
    form = CodeForm()
    page = {
        "form": form,
        "secret": totp.formatted_secret(secret),
        "qr": totp.qr_svg(totp.provisioning_uri(secret, row.user.username)),
    }
    if not form.validate_on_submit():
        return render_template("staff/two_factor_setup.html", **page), 400 if form.errors else 200
    wait = auth.code_wait(row.user)
    if wait:
        return _too_many(form, "staff/two_factor_setup.html", wait, **{k: v for k, v in page.items() if k != "form"})
    codes = totp.enrol(row.user, secret, form.code.data, auth.clock.now())
    if codes is None:
        if auth.code_attempts.refused() and not auth.codes_locked(row.user):
            return _too_many(form, "staff/two_factor_setup.html", auth.code_wait(row.user),
                             **{k: v for k, v in page.items() if k != "form"})
        auth.code_failed(row.user)  # guessing here is throttled like the sign-in step
        form.code.errors = [_("The code is not right. Enter the newest code your app shows for this account.")]
        return render_template("staff/two_factor_setup.html", **page), 200
    username = row.user.username
    token = sessions.renew(row, two_factor_done=True)
    audit.record(audit.TWO_FACTOR_ENROLLED, username)
    audit.record(audit.SIGN_IN, username)
    # The recovery codes are shown this once, on this response (never stored as text; no-store).
    g.staff_session = None
    return sessions.set_cookie(make_response(render_template("staff/recovery_codes.html", codes=codes)), token)


@bp.post("/logout")
@access(PASSWORD_GIVEN)
def logout():
    audit.record(audit.SIGN_OUT, _actor())
    sessions.end(g.staff_session)
    return sessions.clear_cookie(redirect(url_for("staff.login", signed_out=1), 303))


@bp.post("/sign-out-everywhere")
@access(SIGNED_IN)
def sign_out_everywhere():
    auth.end_sessions(_actor(), actor=_actor())
    return sessions.clear_cookie(redirect(url_for("staff.login", signed_out=1), 303))


@bp.get("")
@access(VIEWER)
def dashboard():
    form = GroupForm(request.args)
    form.group.choices = pages.group_choices(QUESTIONNAIRE)
    form.and_group.choices = pages.and_group_choices(QUESTIONNAIRE)
    valid = form.validate()
    group = pages.parse_group(form.group.data, form.and_group.data, QUESTIONNAIRE) if valid else None
    figures = pages.dashboard(QUESTIONNAIRE, group, _threshold())
    return render_template(
        "staff/dashboard.html",
        form=form,
        release_minimum=current_app.config["RELEASE_MIN_RESPONSES"],
        held_after_close=_held_after_close(),
        chart_for=_chart_for,
        threshold=_threshold(),
        **figures,
    ), 200 if valid else 400


def _held_after_close() -> bool:
    """Whether to tell an admin that responses too few for a batch are held. Only once the survey has
    closed: before that, "some" changing to "none" and back would date a response to the minute."""
    if not has_role(g.staff_user, ADMIN):
        return False
    config = current_app.config
    from app.surveys import live

    if survey_status(*live.dates()) != "closed":
        return False
    return 0 < waiting_count() < config["RELEASE_MIN_RESPONSES"]  # nothing arrives any more: only decisions change it


def _chart_for(table: summaries.Table):
    return bar_chart([(str(row.label), row.count if row.shown else None, _figure_text(row)) for row in table.rows])


def _figure_text(row: summaries.Row) -> str:
    if row.hidden == "small":
        return _("fewer than %(threshold)s", threshold=_threshold())
    if row.hidden:
        return _("hidden")
    return _("%(count)s (%(share)s%%)", count=f"{row.count:,}", share=row.share)


@bp.get("/breakdown")
@access(VIEWER)
def breakdown():
    questions, by_questions = summaries.breakdown_questions(QUESTIONNAIRE)
    form = BreakdownForm(request.args)
    form.question.choices = [(q.id, str(q.summary_label or q.text)) for q in questions]
    form.by.choices = [(q.id, str(q.summary_label or q.text)) for q in by_questions]
    form.group.choices = pages.group_choices(QUESTIONNAIRE)
    form.and_group.choices = pages.and_group_choices(QUESTIONNAIRE)
    table, refused, group = None, False, None
    if request.args and form.validate():
        group = pages.parse_group(form.group.data, form.and_group.data, QUESTIONNAIRE)
        table, refused = pages.breakdown(QUESTIONNAIRE, form.question.data, form.by.data, group, _threshold())
    if not request.args:
        form.question.data, form.by.data = "safe_dark_street", "area"
    status = 400 if request.args and form.errors else 200
    return render_template(
        "staff/breakdown.html",
        form=form,
        table=table,
        refused=refused,
        group_label=pages.group_label(QUESTIONNAIRE, group) if group else None,
        chart=pages.breakdown_chart(table, _threshold()) if table and not table.withheld else None,
        cell_text=pages.cell_text,
        threshold=_threshold(),
    ), status


@bp.get("/export")
@access(ANALYST)
def export():
    return render_template("staff/export.html", form=ExportForm(formdata=None), total=summaries.total_responses())


@bp.post("/export.csv")
@access(ANALYST)
def export_csv():
    """A download by POST with the CSRF token, so no other site's link or form can start one."""
    form = ExportForm()
    if not form.validate():
        return render_template("staff/export.html", form=form, total=summaries.total_responses()), 400
    start, end, use_labels, bom = form.start.data, form.end.data, form.values.data == "labels", form.bom.data == "1"
    rows = count_responses(start, end)
    audit.record(
        audit.EXPORT,
        _actor(),
        start=_iso(start),
        end=_iso(end),
        values=form.values.data,
        bom=bom,
        rows=rows,
    )
    chunks = export_chunks(covered(QUESTIONNAIRE), start, end, use_labels=use_labels, bom=bom)
    return _csv_download(stream_with_context(chunks), "survey-responses.csv")


@bp.post("/codebook.csv")
@access(ANALYST)
def codebook_csv():
    form = CodebookForm()
    if not form.validate():
        return render_template("staff/export.html", form=ExportForm(formdata=None), total=summaries.total_responses()), 400
    bom = form.bom.data != "0"
    audit.record(audit.CODEBOOK, _actor(), bom=bom)
    return _csv_download(codebook_chunks(covered(QUESTIONNAIRE), bom=bom), "survey-codebook.csv")


@bp.get("/audit")
@access(ADMIN)
def audit_trail():
    before = request.args.get("before", type=int)
    events = audit.recent(limit=100, before_id=before)
    older = events[-1].id if len(events) == 100 else None
    return render_template(
        "staff/audit.html", events=events, older=older, describe=audit.describe, local_time=audit.local_time
    )


def _csv_download(chunks, filename: str) -> Response:
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
