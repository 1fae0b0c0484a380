"""Staff forms. Every message is ours and goes through gettext, so the staff area can be translated later."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.staff.auth.csrf import StaffCSRF
from app.staff.auth.passwords import has_odd_characters


class StaffForm(FlaskForm):
    """Every staff form: its CSRF token is bound to the staff cookie, never kept in the respondents'
    session (app/staff/auth/csrf.py)."""

    class Meta:
        csrf_class = StaffCSRF


def plain_text(form, field):
    """NUL, other control characters, zero-width and unassigned characters are a form error in any staff
    field: never stored, never sent to the database (PostgreSQL refuses NUL in text)."""
    if isinstance(field.data, str) and has_odd_characters(field.data):
        raise ValidationError(_l("Use only letters, numbers, spaces and punctuation"))


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


class SignInForm(StaffForm):
    username = StringField(
        _l("Username"), validators=[InputRequired(_l("Enter your username")), Length(max=64, message=_l("A username is at most 64 characters")), plain_text]
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Enter your password")), Length(max=256, message=_l("A password is at most 256 characters")), plain_text]
    )


class CodeForm(StaffForm):
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(_l("Enter the 6-digit code from your app, or a recovery code")),
            Length(max=32, message=_l("Enter the 6-digit code from your app, or a recovery code")),
            plain_text,
        ],
    )


class GetForm(StaffForm):
    """A form sent by GET (filters): it changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False


class ExportForm(StaffForm):
    """Sent by POST with the CSRF token: an export is a download another site must not start."""

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
    and_group = Choice(_l("And of those"), message=_l("Choose one of the groups shown"), default="")

    def validate_and_group(self, field):
        if field.data and not self.group.data:
            raise ValidationError(_l("Choose a group under “Show” first"))
        if field.data and field.data.split(":")[0] == self.group.data.split(":")[0]:
            raise ValidationError(_l("Choose a group from a different question"))


class CodebookForm(StaffForm):
    bom = Choice(_l("Open with"), choices=[("1", "1"), ("0", "0")], default="1")


class BreakdownForm(GroupForm):
    question = Choice(_l("Question"), message=_l("Choose one of the questions shown"))
    by = Choice(_l("Broken down by"), message=_l("Choose one of the questions shown"))

    def validate_by(self, field):
        if field.data == self.question.data:
            raise ValidationError(_l("Choose a different question to break down by"))

    def validate_group(self, field):
        if field.data and field.data.split(":")[0] in (self.question.data, self.by.data):
            raise ValidationError(_l("Choose a group from a question not in the breakdown"))

    def validate_and_group(self, field):
        super().validate_and_group(field)
        self.validate_group(field)


class SummaryDownloadForm(BreakdownForm):
    """Which summary table to download: `question` alone (a dashboard table, or "days"), or by `by`."""

    by = Choice(message=_l("Choose one of the questions shown"), default="")


class AccountForm(StaffForm):
    """An admin creates an account; the new member of staff changes nothing until they sign in."""

    username = StringField(
        _l("Username"),
        validators=[InputRequired(_l("Enter a username")), Length(max=64, message=_l("A username is at most 64 characters")), plain_text],
    )
    password = PasswordField(
        _l("Password (12 characters or more, hard to guess)"),
        validators=[InputRequired(_l("Enter a password")), Length(max=256, message=_l("A password is at most 256 characters")), plain_text],
    )
    role = Choice(
        _l("Role"),
        choices=[
            ("viewer", _l("Viewer: the dashboard and breakdowns (small counts hidden)")),
            ("analyst", _l("Analyst: also row-level exports and the codebook")),
            ("admin", _l("Admin: also staff accounts and the audit trail")),
        ],
        default="analyst",
    )


class AccountActionForm(StaffForm):
    """The buttons beside an account: only the CSRF token (the account is in the address)."""
