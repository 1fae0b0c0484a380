"""Staff routes. Thin: validate, call a plain function, render, stream or redirect."""

from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, session, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.questionnaire import QUESTIONNAIRE
from app.staff import LAST_SEEN, audit, auth, bp, summaries
from app.staff.summaries import pages
from app.staff.summaries.charts import bar_chart
from app.staff.exports.codebook import codebook_chunks
from app.staff.exports.csv import export_chunks
from app.staff.exports.rows import count_responses
from app.staff.forms import BreakdownForm, ExportForm, GroupForm, SignInForm
from app.survey.release import waiting_count


def _threshold() -> int:
    return current_app.config["STAFF_SUPPRESSION_THRESHOLD"]


def _policy() -> auth.Lockout:
    return auth.Lockout(current_app.config["STAFF_LOCKOUT_FAILURES"], current_app.config["STAFF_LOCKOUT_MINUTES"])


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        user = auth.sign_in(form.username.data, form.password.data, _policy())
        if user is not None:
            session.clear()  # a new session on sign-in: nothing from before carries over
            login_user(user)
            session.pop("_id", None)  # Flask-Login's hash of the address and user agent: not kept
            session[LAST_SEEN] = int(auth.now().timestamp())
            return redirect(url_for("staff.dashboard"), 303)
        # One message for every failure: it never says whether the account exists or is locked.
        form.form_errors.append(
            _(
                "The username or password is not right, or the account is locked after too many attempts."
                " Try again later, or ask the person who manages staff accounts."
            )
        )
    return render_template("staff/login.html", form=form, expired=request.args.get("expired") == "1")


@bp.post("/logout")
def logout():
    audit.record(audit.SIGN_OUT, current_user.username)
    logout_user()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("staff.login"), 303)


@bp.get("")
def dashboard():
    form = GroupForm(request.args)
    form.group.choices = pages.group_choices(QUESTIONNAIRE)
    valid = form.validate()
    figures = pages.dashboard(QUESTIONNAIRE, pages.parse_group(form.group.data) if valid else None, _threshold())
    return render_template(
        "staff/dashboard.html",
        form=form,
        waiting=waiting_count(),
        chart_for=_chart_for,
        threshold=_threshold(),
        **figures,
    ), 200 if valid else 400


def _chart_for(table: summaries.Table):
    return bar_chart([(str(row.label), row.count if row.shown else None, _figure_text(row)) for row in table.rows])


def _figure_text(row: summaries.Row) -> str:
    if row.hidden == "small":
        return _("fewer than %(threshold)s", threshold=_threshold())
    if row.hidden:
        return _("hidden")
    return _("%(count)s (%(share)s%%)", count=f"{row.count:,}", share=row.share)


@bp.get("/breakdown")
def breakdown():
    questions, by_questions = summaries.breakdown_questions(QUESTIONNAIRE)
    form = BreakdownForm(request.args)
    form.question.choices = [(q.id, str(q.summary_label or q.text)) for q in questions]
    form.by.choices = [(q.id, str(q.summary_label or q.text)) for q in by_questions]
    form.group.choices = pages.group_choices(QUESTIONNAIRE)
    table, refused, group = None, False, None
    if request.args and form.validate():
        group = pages.parse_group(form.group.data)
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
def export():
    return render_template("staff/export.html", form=ExportForm(formdata=None), total=summaries.total_responses())


@bp.route("/export.csv", methods=["GET", "POST"])
def export_csv():
    form = ExportForm(request.values)
    if not form.validate():
        return render_template("staff/export.html", form=form, total=summaries.total_responses()), 400
    start, end, use_labels, bom = form.start.data, form.end.data, form.values.data == "labels", form.bom.data == "1"
    rows = count_responses(start, end)
    audit.record(
        audit.EXPORT,
        current_user.username,
        start=_iso(start),
        end=_iso(end),
        values=form.values.data,
        bom=bom,
        rows=rows,
    )
    chunks = export_chunks(QUESTIONNAIRE, start, end, use_labels=use_labels, bom=bom)
    return _csv_download(stream_with_context(chunks), "survey-responses.csv")


@bp.get("/codebook.csv")
def codebook_csv():
    bom = request.args.get("bom", "1") != "0"
    audit.record(audit.CODEBOOK, current_user.username, bom=bom)
    return _csv_download(codebook_chunks(QUESTIONNAIRE, bom=bom), "survey-codebook.csv")


@bp.get("/audit")
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
