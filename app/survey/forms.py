"""WTForms forms built from the questionnaire: one form class per page, made once and cached.

Fields render through our own macros (templates/components/fields.html), so the field classes
only parse and validate; every message a respondent can see is ours, and so translated.
"""

from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import InputRequired, Optional, ValidationError

from app.questionnaire.model import Kind, Page, Question


class ChoiceField(Field):
    """One option code (radios)."""

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else None

    def pre_validate(self, form):
        if self.data and not any(option.code == self.data for option in self.options):
            raise ValidationError(_("Choose one of the answers shown"))


class MultipleChoiceField(ChoiceField):
    """Option codes (checkboxes); an exclusive option ("None of these", "Prefer not to say") stands alone."""

    def process_formdata(self, valuelist):
        self.data = list(dict.fromkeys(valuelist))  # a repeated code counts once

    def pre_validate(self, form):
        chosen = [option for option in self.options if option.code in (self.data or ())]
        if len(chosen) != len(self.data or ()):
            raise ValidationError(_("Choose from the answers shown"))
        if len(chosen) > 1:
            for option in chosen:
                if option.exclusive:
                    raise ValidationError(
                        _("You cannot choose “%(answer)s” together with other answers", answer=option.label)
                    )


class TextField(Field):
    """Free text, with line endings made consistent and invisible control characters dropped."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").replace("\r\n", "\n").replace("\r", "\n")
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
    """The question's own message (which question, and what to do), or a general one."""
    if question.error is not None:
        return question.error
    if question.kind is Kind.MULTIPLE:
        return _l("Choose at least one answer. You can choose “Prefer not to say”.")
    return _l("Choose an answer. You can choose “Prefer not to say”.")


def _field(question: Question) -> Field:
    if question.kind is Kind.TEXT:
        return TextField(question.text, validators=[Optional(), _too_long(question.max_length)])
    presence = InputRequired(message=_required_message(question)) if question.required else Optional()
    kind = MultipleChoiceField if question.kind is Kind.MULTIPLE else ChoiceField
    return kind(question.text, options=question.options, validators=[presence])


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
        given[question.id] = in_option_order(question, data) if question.kind is Kind.MULTIPLE else (data or "")
    return given


def in_option_order(question: Question, codes) -> list[str]:
    """Chosen codes once each, in the order the questionnaire lists them, however they were posted.

    Why: the same choices must be the same answer, so that two respondents who ticked the same boxes
    share one cached page (a posted order must not make a new cache entry) and store the same value.
    """
    chosen = set(codes or ())
    return [option.code for option in question.options if option.code in chosen]
