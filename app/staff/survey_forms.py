"""The survey page's forms: a file to upload, and the opening and closing days."""

from flask_babel import lazy_gettext as _l
from wtforms import FileField
from wtforms.validators import Optional, ValidationError

from app.questionnaire.xlsx_file import MAX_FILE_BYTES
from app.staff.forms import DayField, StaffForm

XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",  # what some browsers send for a file they do not recognise
    "",
}


class UploadForm(StaffForm):
    """An .xlsx file (an XLSForm). Only its bytes are used: the name it came with is never stored,
    and the file is read by the XLSForm reader's own limits, never opened by anything else."""

    file = FileField(_l("XLSForm spreadsheet (.xlsx)"))

    def validate_file(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError(_l("Choose the .xlsx file to upload"))
        if not upload.filename.lower().endswith(".xlsx") or (upload.mimetype or "") not in XLSX_TYPES:
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

    def validate_last_day(self, field):
        if field.data and self.opens.data and field.data < self.opens.data:
            raise ValidationError(_l("The last day must be the first day or after it"))
