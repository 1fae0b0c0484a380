"""Staff forms. Every message is ours and goes through gettext, so the staff area can be translated later."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, PasswordField, StringField
from wtforms.validators import InputRequired, Optional, ValidationError


class DayField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter a real date, for example 2026-06-22")) from error


class Choice(Field):
    """One value from a fixed list (radios or a select). Our own field, so every message is ours."""

    def __init__(self, label=None, validators=None, choices=(), message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.choices = list(choices)
        self.message = message or _l("Choose one of the options shown")

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0]

    def pre_validate(self, form):
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError(self.message)


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(_l("Enter your username"))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password"))])


class GetForm(FlaskForm):
    """A form sent by GET (filters): it changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False


class ExportForm(GetForm):
    start = DayField(_l("From (first day)"), validators=[Optional()], format="%Y-%m-%d")
    end = DayField(_l("To (last day)"), validators=[Optional()], format="%Y-%m-%d")
    values = Choice(
        _l("Answers as"),
        choices=[("codes", _l("Option codes (stable, for analysis)")), ("labels", _l("English labels (easier to read)"))],
        default="codes",
    )
    bom = Choice(
        _l("Open with"),
        choices=[
            ("1", _l("Excel or another spreadsheet (the file starts with a byte-order mark)")),
            ("0", _l("An analysis tool such as R, Python or SPSS (no byte-order mark)")),
        ],
        default="1",
    )

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The last day must be the same as or after the first day"))


class GroupForm(GetForm):
    group = Choice(_l("Show"), message=_l("Choose one of the groups shown"), default="")


class BreakdownForm(GroupForm):
    question = Choice(_l("Question"), message=_l("Choose one of the questions shown"))
    by = Choice(_l("Broken down by"), message=_l("Choose one of the questions shown"))

    def validate_by(self, field):
        if field.data == self.question.data:
            raise ValidationError(_l("Choose a different question to break down by"))

    def validate_group(self, field):
        if field.data and field.data.split(":")[0] in (self.question.data, self.by.data):
            raise ValidationError(_l("Choose a group from a question not in the breakdown"))


class SummaryDownloadForm(BreakdownForm):
    """Which summary table to download: `question` alone (a dashboard table, or "days"), or by `by`."""

    by = Choice(message=_l("Choose one of the questions shown"), default="")
