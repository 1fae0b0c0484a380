"""Staff download routes for Excel, SPSS, Stata and R. Thin: validate, audit, build the file, send it.

Each is a POST carrying the CSRF token (a download that reads every answer is an action, not a
page) and is recorded in the audit trail like the CSV export. Role needed: analyst.
"""

from flask import Response, g, render_template, request
from werkzeug.wsgi import wrap_file

from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.versions import covered
from app.staff import ANALYST, access, audit, bp, summaries
from app.staff.exports import r, xlsx
from app.staff.exports.files import open_and_remove
from app.staff.exports.rows import count_responses
from app.staff.forms import ExportForm

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_page(form: ExportForm, status: int, **extra):
    return render_template("staff/export.html", form=form, total=summaries.total_responses(), **extra), status


def _audited_filters(form: ExportForm, export_format: str, rows: int) -> dict:
    start, end = form.start.data, form.end.data
    details = {"format": export_format, "start": start and start.isoformat(), "end": end and end.isoformat(), "rows": rows}
    audit.record(audit.EXPORT, g.staff_user.username, **details)
    return {"start": start, "end": end}


def _attachment(file, mimetype: str, filename: str) -> Response:
    response = Response(wrap_file(request.environ, file), mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/export.xlsx")
@access(ANALYST)
def export_xlsx():
    form = ExportForm(request.form)
    if not form.validate():
        return _export_page(form, 400)
    rows = count_responses(form.start.data, form.end.data)
    if not xlsx.fits(rows):
        return _export_page(form, 400, too_many_for_excel=rows)
    filters = _audited_filters(form, "xlsx", rows)
    path, _ = xlsx.workbook_file(covered(QUESTIONNAIRE), use_labels=form.values.data == "labels", **filters)
    return _attachment(open_and_remove(path), XLSX_TYPE, "survey-responses.xlsx")


@bp.post("/export-spss.zip")
@access(ANALYST)
def export_spss():
    form = ExportForm(request.form)
    if not form.validate():
        return _export_page(form, 400)
    # Imported here: pyreadstat brings pandas and numpy (about 40 MB), which no other page needs,
    # so a server process pays for them only once someone downloads SPSS files.
    from app.staff.exports import spss

    filters = _audited_filters(form, "spss", count_responses(form.start.data, form.end.data))
    path, _ = spss.spss_zip(covered(QUESTIONNAIRE), **filters)
    return _attachment(open_and_remove(path), "application/zip", "survey-responses-spss.zip")


@bp.post("/export.dta")
@access(ANALYST)
def export_stata():
    form = ExportForm(request.form)
    if not form.validate():
        return _export_page(form, 400)
    from app.staff.exports import stata  # pandas and numpy on first use only, as for SPSS

    filters = _audited_filters(form, "stata", count_responses(form.start.data, form.end.data))
    path, _ = stata.stata_file(covered(QUESTIONNAIRE), **filters)
    return _attachment(open_and_remove(path), "application/x-stata-dta", "survey-responses.dta")


@bp.post("/labels.R")
@access(ANALYST)
def r_script():
    audit.record(audit.R_SCRIPT, g.staff_user.username)
    response = Response(r.r_script(covered(QUESTIONNAIRE)), mimetype="text/plain")
    response.headers["Content-Disposition"] = 'attachment; filename="survey-labels.R"'
    return response
