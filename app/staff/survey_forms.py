"""The survey page's forms: a file to upload, and the opening and closing days."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import FileField
from wtforms.validators import Optional, ValidationError

from app.questionnaire.xlsx_file import MAX_FILE_BYTES
from app.staff.forms import DayField, StaffForm
from app.survey.state import today_london

# The days the form takes: a survey runs in the years around now. A day outside them is a typing
# slip (0001, 9999), and such a day would not even fit London time's arithmetic.
FIRST_YEAR = 2000
YEARS_AHEAD = 10


class UploadForm(StaffForm):
    """An .xlsx file (an XLSForm). Only its bytes are used: the name it came with is never stored,
    and the file is read by the XLSForm reader's own limits, never opened by anything else."""

    file = FileField(_l("XLSForm spreadsheet (.xlsx)"))

    def validate_file(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError(_l("Choose the .xlsx file to upload"))
        # The name only: the type a browser sends is its guess (Excel's own files come as three
        # different ones), so refusing by it would protect nothing. The reader checks the bytes.
        if not upload.filename.lower().endswith(".xlsx"):
            raise ValidationError(_l("The file must be an Excel .xlsx spreadsheet (an XLSForm)"))
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ValidationError(_l("The file must be smaller than %(size)s MB", size=MAX_FILE_BYTES // 1_000_000))
        if not data:
            raise ValidationError(_l("The file is empty"))
        self.data_bytes = data


class DatesForm(StaffForm):
    """The first and last day the survey takes answers (London time); either may be empty (no limit)."""

    opens = DayField(_l("First day open"), validators=[Optional()])
    last_day = DayField(_l("Last day open"), validators=[Optional()])

    def validate_opens(self, field):
        _in_range(field.data)

    def validate_last_day(self, field):
        _in_range(field.data)
        if field.data and field.data < today_london():
            # A last day already past would close the survey from a day gone by, and the day's
            # responses would then be recorded under a day before they were sent (release.py).
            raise ValidationError(_l("The last day cannot be before today. To stop answers now, close the survey"))
        if field.data and self.opens.data and field.data < self.opens.data:
            raise ValidationError(_l("The last day must be the first day or after it"))


def _in_range(day: date | None) -> None:
    last_year = today_london().year + YEARS_AHEAD
    if day is not None and not FIRST_YEAR <= day.year <= last_year:
        raise ValidationError(_l("Enter a day between %(first)s and %(last)s", first=FIRST_YEAR, last=last_year))
