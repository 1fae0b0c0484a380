"""The editor's results page: what is published now, and the form that publishes a new snapshot.
Thin: the snapshot is app/results/snapshot.py's, which counts, protects, stores and audits it.
Role needed: editor (admins too). The page shows no figures but the published ones: an editor
sees no data, and publishing is the only way figures leave the staff area."""

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import results
from app.questionnaire import QUESTIONNAIRE
from app.results import snapshot
from app.staff import EDITOR, access, bp
from app.staff.results_forms import BREAKDOWNS, language_name, results_form_class


def _threshold() -> int:
    return current_app.config["STAFF_SUPPRESSION_THRESHOLD"]


def _form(formdata=None, last=None):
    """The form as posted, or filled in with what is published now (to publish again with new counts)."""
    form = results_form_class(tuple(QUESTIONNAIRE.languages))(formdata=formdata, data=_published_choices(last))
    questions, by_questions = snapshot.publishable(QUESTIONNAIRE)
    form.questions.choices = [(q.id, str(q.summary_label or q.text)) for q in questions]
    for n in range(1, BREAKDOWNS + 1):
        form[f"question_{n}"].choices = [("", "None")] + form.questions.choices
        form[f"by_{n}"].choices = [("", "None")] + [(q.id, str(q.summary_label or q.text)) for q in by_questions]
    return form


def _published_choices(last) -> dict:
    if last is None:
        return {}
    data = {"questions": [table["question"] for table in last.tables if table["kind"] == snapshot.TABLE]}
    pairs = [(table["question"], table["by"]) for table in last.tables if table["kind"] == snapshot.BREAKDOWN]
    for n, (question, by) in enumerate(pairs[:BREAKDOWNS], start=1):
        data[f"question_{n}"], data[f"by_{n}"] = question, by
    for code, texts in last.texts.items():
        data[f"title_{code}"], data[f"text_{code}"] = texts["title"], texts["text"]
    return data


def _page(form, status: int = 200, published: bool = False):
    last = snapshot.latest()
    return render_template(
        "staff/results.html",
        form=form,
        last=last,
        last_title=last.texts[last.languages[0]]["title"] if last else None,
        may_publish=snapshot.may_publish(_threshold(), last),
        threshold=_threshold(),
        breakdowns=range(1, BREAKDOWNS + 1),
        languages=[(code, language_name(code)) for code in QUESTIONNAIRE.languages],
        published=published,
    ), status


@bp.get("/results", endpoint="results")
@access(EDITOR)
def results_page():
    return _page(_form(last=snapshot.latest()), published=request.args.get("published") == "1")


@bp.post("/results")
@access(EDITOR)
def publish_results():
    form = _form(request.form)
    if not form.validate():
        return _page(form, 400)
    try:
        snapshot.publish(QUESTIONNAIRE, form.choice(), g.staff_user.username, _threshold())
    except snapshot.TooSoon as refused:
        form.form_errors.append(_(
            "Not published: fewer than %(threshold)s new responses have been released since the last publication. "
            "Publish again once more have come in.", threshold=refused.threshold,
        ))
        return _page(form, 400)
    results.forget()
    return redirect(url_for("staff.results", published=1), 303)
