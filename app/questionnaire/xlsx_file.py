"""The .xlsx file itself, read safely: a hostile upload gets one clear problem, never a traceback or a
worker's memory.

An .xlsx is a zip of XML parts. Before openpyxl sees a byte: the file's size is capped; the zip's
central directory is checked (how many parts, their declared sizes and compression ratios); then
every part is decompressed once, in small chunks, so a part that holds more than it declares (or a
bad checksum) is refused without ever being held in memory; a part with a DTD is refused (no .xlsx
part has one, and entities are how XML bombs and external references work). Only then does openpyxl
read the sheets, as plain rows, within caps on sheets, rows and columns. Anything openpyxl still
cannot read (bad XML, wrong content) is reported as one problem.
"""

import io
import sys
import zipfile
from pathlib import Path

MAX_FILE_BYTES = 2_000_000  # the shipped questionnaire is 44 KB
# All parts decompressed, and any one part: the shipped file's total 232 KB. Kept low because openpyxl
# holds a part's strings as Python objects: a 49 MB sharedStrings.xml of one-letter strings (only 26
# times smaller compressed) took a minute and 270 MB of a worker's memory to read.
MAX_EXPANDED_BYTES = 10_000_000
MAX_PART_BYTES = 5_000_000
MAX_RATIO = 100  # decompressed / compressed size of a part bigger than RATIO_FROM (XML is ~5-20)
RATIO_FROM = 1_000_000
MAX_PARTS = 100  # the shipped file has 11
MAX_SHEETS = 10  # a questionnaire has 3 (the extra ones are reported as problems)
MAX_ROWS = 5_000  # per sheet; the shipped file's longest sheet has 125
MAX_COLUMNS = 250  # per sheet; 4 translated columns x the languages, plus the plain ones
CHUNK = 64 * 1024


class SurveyFileError(Exception):
    """The file is not a questionnaire this service can run; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _openpyxl():
    """openpyxl's reader, imported without numpy.

    openpyxl imports numpy whenever it is installed (it is, for the SPSS export), only to accept numpy
    numbers in cells it writes; reading needs none of it. The app reads its questionnaire at start, so
    numpy would cost every server process about 12 MB that only the SPSS download needs. A None in
    sys.modules makes `import numpy` fail, for that one import only.
    """
    if "openpyxl" not in sys.modules and "numpy" not in sys.modules:
        sys.modules["numpy"] = None  # type: ignore[assignment]
        try:
            import openpyxl  # noqa: F401
        finally:
            del sys.modules["numpy"]
    from openpyxl import load_workbook

    return load_workbook


def _refuse(name: str, why: str) -> SurveyFileError:
    # `why` may quote the file (a part's name, openpyxl's message): escaped and cut, so it carries no
    # control character to a terminal or page.
    why = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in why[:300])
    return SurveyFileError([f"{name}: cannot be read as an .xlsx spreadsheet ({why})"])


def file_bytes(source: str | Path | bytes) -> tuple[str, bytes]:
    """(a name for messages, the file's bytes), its size checked before a byte is read."""
    if isinstance(source, bytes):
        name, data = "the file", source
    else:
        name = str(source)
        try:
            with open(source, "rb") as file:
                # One byte more than the cap: a bigger file is refused without reading the rest.
                data = file.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise _refuse(name, error.strerror or str(error)) from None
    if len(data) > MAX_FILE_BYTES:
        raise SurveyFileError([f"{name}: the file is bigger than {MAX_FILE_BYTES // 1_000_000} MB; a questionnaire is far smaller"])
    return name, data


def _check_zip(name: str, data: bytes) -> None:
    """Refuse a zip whose parts are too many, too big or compressed too well, or lie about their size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _refuse(name, f"not a zip file: {error}") from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise _refuse(name, f"{len(parts)} parts in the zip, more than {MAX_PARTS}")
        declared = sum(part.file_size for part in parts)
        if declared > MAX_EXPANDED_BYTES:
            raise _refuse(name, f"it would expand to {declared:,} bytes, more than {MAX_EXPANDED_BYTES:,}")
        for part in parts:
            if part.file_size > MAX_PART_BYTES:
                raise _refuse(name, f"{part.filename} would expand to {part.file_size:,} bytes, more than {MAX_PART_BYTES:,}")
            if part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                raise _refuse(name, f"{part.filename} is compressed {part.file_size // max(part.compress_size, 1)} times: a zip bomb?")
        for part in parts:
            _read_part(name, archive, part)


def _read_part(name: str, archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """Decompress one part in chunks, never holding it: zipfile stops at the declared size and checks
    the CRC at the end, so a part that holds more than it says fails here, not inside openpyxl."""
    seen, tail = 0, b""
    try:
        with archive.open(part) as member:
            while chunk := member.read(CHUNK):
                seen += len(chunk)
                if seen > part.file_size or seen > MAX_PART_BYTES:
                    raise _refuse(name, f"{part.filename} holds more than it declares")
                if b"<!DOCTYPE" in (tail + chunk).upper():
                    raise _refuse(name, f"{part.filename} has a DTD, which no spreadsheet part has")
                tail = chunk[-16:]
    except SurveyFileError:
        raise
    except Exception as error:  # noqa: BLE001 - bad CRC, encryption, an unknown compression method...
        raise _refuse(name, f"{part.filename}: {error}") from None


def _rows(name: str, sheet) -> list[tuple]:
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            raise SurveyFileError([f"{name}: more than {MAX_ROWS:,} rows; a questionnaire has far fewer"])
        if len(values) > MAX_COLUMNS and any(value is not None for value in values[MAX_COLUMNS:]):
            raise SurveyFileError([f"{name} row {number}: more than {MAX_COLUMNS} columns; a questionnaire has far fewer"])
        rows.append(tuple(values[:MAX_COLUMNS]))
    return rows


def read_sheets(source: str | Path | bytes, wanted: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every sheet's name -> its rows (cell values) for the `wanted` sheets, the others -> [];
    raises SurveyFileError with one problem when the file is not a spreadsheet this service reads."""
    name, data = file_bytes(source)
    _check_zip(name, data)
    load_workbook = _openpyxl()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises anything on a hostile file; its message is the problem
        raise _refuse(name, f"{type(error).__name__}: {error}") from None
    try:
        if len(workbook.sheetnames) > MAX_SHEETS:
            raise SurveyFileError([f"{name}: {len(workbook.sheetnames)} sheets; a questionnaire has survey, choices and settings"])
        # The sheets are parsed here, lazily, by openpyxl: its errors still mean a bad file.
        return {sheet: _rows(sheet, workbook[sheet]) if sheet in wanted else [] for sheet in workbook.sheetnames}
    except SurveyFileError:
        raise
    except Exception as error:  # noqa: BLE001 - as above
        raise _refuse(name, f"{type(error).__name__}: {error}") from None
    finally:
        workbook.close()
