"""Summary tables as CSV: a POST with the CSRF token, audited, holding exactly what the page shows
(the same protected counts and shares, the same words for hidden ones). Role needed: viewer."""

from flask import Response, current_app, g, render_template, request
from flask_babel import gettext as _

from app.questionnaire import QUESTIONNAIRE
from app.staff import VIEWER, access, audit, bp, summaries
from app.staff.exports.csv import BOM, csv_text
from app.staff.forms import SummaryDownloadForm
from app.staff.summaries import pages


@bp.post("/summary.csv")
@access(VIEWER)
def summary_csv():
    threshold = current_app.config["STAFF_SUPPRESSION_THRESHOLD"]
    form = SummaryDownloadForm(request.form)
    form.question.choices = [("days", "")] + [(q.id, "") for q in QUESTIONNAIRE.questions.values()]
    form.by.choices = [("", "")] + [(q.id, "") for q in summaries.breakdown_questions(QUESTIONNAIRE)[1]]
    form.group.choices = pages.group_choices(QUESTIONNAIRE)
    form.and_group.choices = pages.and_group_choices(QUESTIONNAIRE)
    if not form.validate():
        return _not_shown()
    group = pages.parse_group(form.group.data, form.and_group.data, QUESTIONNAIRE)
    if form.by.data:
        if not QUESTIONNAIRE.questions[form.question.data].has_choices:
            return _not_shown()
        table, _refused = pages.breakdown(QUESTIONNAIRE, form.question.data, form.by.data, group, threshold)
        rows = pages.cross_rows(table, threshold) if table and not table.withheld else None
    else:
        table = pages.question_figures(QUESTIONNAIRE, form.question.data, group, threshold)
        share = _("Share of the group's responses") if group else _("Share of all responses")
        rows = pages.one_way_rows(table, threshold, share) if table and not table.withheld else None
    if rows is None:
        return _not_shown()
    second = {"and_group": form.and_group.data} if form.and_group.data else {}
    audit.record(audit.SUMMARY, g.staff_user.username, question=form.question.data, by=form.by.data or None, group=form.group.data or None, **second)
    name = "-".join(part.replace(":", "-") for part in ("summary", form.question.data, form.by.data, form.group.data, form.and_group.data) if part)
    response = Response(BOM + csv_text(rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _not_shown():
    return render_template(
        "staff/error.html", title=_("That table is not shown"),
        message=_("It does not exist, or there are too few responses to show it safely."),
    ), 400
