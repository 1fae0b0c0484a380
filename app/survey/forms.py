"""WTForms forms built from the questionnaire: one form class per page, made once and cached."""

from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from app.questionnaire.model import Kind, Page, Question


class ChoiceField(RadioField):
    """A radio group whose messages are ours (and so translated), not WTForms' defaults."""

    def pre_validate(self, form):
        if self.data is not None and self.data not in dict(self.choices):
            raise ValidationError(_("Choose one of the answers shown"))


class MultipleChoiceField(SelectMultipleField):
    """Checkboxes; an exclusive option ("None of these", "Prefer not to say") stands alone."""

    def __init__(self, *args, exclusive=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.exclusive = exclusive

    def pre_validate(self, form):
        known = dict(self.choices)
        if any(code not in known for code in self.data or ()):
            raise ValidationError(_("Choose from the answers shown"))
        if len(set(self.data or ())) > 1:
            for code in self.data:
                if code in self.exclusive:
                    raise ValidationError(
                        _("You cannot choose “%(answer)s” together with other answers", answer=known[code])
                    )


class TextField(TextAreaField):
    """Free text, with line endings made consistent and invisible control characters dropped."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = (self.data or "").replace("\r\n", "\n").replace("\r", "\n")
        self.data = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()


def _too_long(limit: int):
    def check(form, field):
        if len(field.data or "") > limit:
            raise ValidationError(
                _("Your answer must be %(limit)s characters or fewer. It has %(count)s.",
                   limit=limit, count=len(field.data))
            )

    return check


def _required_message(question: Question):
    if question.kind is Kind.MULTIPLE:
        return _l("Choose at least one answer. You can choose “Prefer not to say”.")
    return _l("Choose an answer. You can choose “Prefer not to say”.")


def _field(question: Question):
    presence = InputRequired(message=_required_message(question)) if question.required else Optional()
    choices = [(option.code, option.label) for option in question.options]
    if question.kind is Kind.MULTIPLE:
        exclusive = {option.code for option in question.options if option.exclusive}
        return MultipleChoiceField(question.text, choices=choices, exclusive=exclusive, validators=[presence])
    if question.kind in (Kind.SINGLE, Kind.SCALE):
        return ChoiceField(question.text, choices=choices, validators=[presence], validate_choice=True)
    return TextField(question.text, validators=[Optional(), _too_long(question.max_length)])


@cache
def form_class(page: Page) -> type[FlaskForm]:
    """The form for one page; field names are the question ids."""
    fields = {question.id: _field(question) for question in page.questions}
    return type(f"{page.id.title()}Form", (FlaskForm,), fields)


def given_answers(page: Page, form: FlaskForm) -> dict:
    """The validated answers of a page, in the shape the engine stores."""
    given = {}
    for question in page.questions:
        data = form[question.id].data
        if question.kind is Kind.MULTIPLE:
            given[question.id] = list(dict.fromkeys(data or []))
        else:
            given[question.id] = data or ""
    return given
