"""Text as it goes into a generated file: one function per target language and place.

Every function here takes any text whatsoever (a label typed with Alt+Enter, a carriage return kept
by openpyxl, NUL, Unicode line separators, quotes, backslashes, bidirectional overrides, 10,000
characters) and returns text that cannot leave its CSV cell, string literal or comment:

- csv_cell:     a CSV cell, quoted and formula-guarded wherever a spreadsheet may start a cell.
- spss_text:    a label for the .sav or the .sps: one line, no control characters, cut to a byte limit.
- spss_string:  an SPSS string literal, split with `+` into pieces that keep every line short.
- spss_comment: an SPSS comment command: one short line ending with its period.
- spss_name:    a variable name as it goes into SPSS syntax, or ValueError if it would break it.
- stata_text:   a label for the Stata .dta file: one line, no control characters, cut to a limit.
- r_string:     an R string literal in plain ASCII (escapes for everything else), split with paste0.
- r_comment:    an R comment: one short line of ASCII, anything else shown as <U+XXXX>.

Each is the only place its rule is written; every writer calls them for every text it writes.
"""

import re

# What some reader takes as the end of a line: LF, CR, VT, FF, the file/group/record separators,
# NEL, and the Unicode line and paragraph separators.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Bidirectional controls reorder how the text around them is shown, so a line can look unlike what
# runs (CVE-2021-42574, "Trojan Source"): the marks ALM, LRM, RLM, the embeddings and overrides, the isolates.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Every C0 and C1 control, DEL, the line breaks above, the bidi controls, and lone surrogates (not
# text at all: they cannot be written as UTF-8).
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")
_BREAK_OR_TAB = re.compile(f"[\t{LINE_BREAKS}]")
_NOT_ASCII = re.compile("[^\x20-\x7e]")

COMMENT_LIMIT = 200  # characters of a comment: a reminder of the question, the full text is in the codebook
PIECE_BYTES = 60  # of text per line of a split literal: lines stay far under SPSS's 251 bytes, R's 4,095


# CSV.

_CSV_QUOTES = re.compile('[,"\r\n;\t]')
# Where a spreadsheet may start a cell: the start of the cell, and after a semicolon, tab or line
# break (a spreadsheet that splits on semicolons or tabs, or ignores the quotes, starts one there).
# A part starting with = + - @ (a formula) or tab or CR (stripped before one) is made text with a '.
_FORMULA_AT_CELL_START = re.compile("(?:^|(?<=[;\t\r\n]))(?=[=+\\-@\t\r])")
_FORMULA_FIRST = frozenset("=+-@\t\r")


def csv_guard(text: str) -> str:
    """The text with a ' before every part a spreadsheet could run as a formula (OWASP's "CSV injection")."""
    return _FORMULA_AT_CELL_START.sub("'", text)


def csv_cell(text: str) -> str:
    """A cell as it goes into a line of the CSV: guarded, then quoted as the csv module quotes (a comma,
    a quote or a line break), and also where it holds a semicolon or a tab, the other delimiters."""
    if _CSV_QUOTES.search(text):  # a separator or line break: guard every part, then quote
        return '"' + _FORMULA_AT_CELL_START.sub("'", text).replace('"', '""') + '"'
    # None of them, so only the start can start a cell: the quick way, as this runs for every
    # free-text answer of a large export.
    return "'" + text if text[:1] in _FORMULA_FIRST else text


# Shared by the scripts.


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest start of `text` that is at most `limit` bytes of UTF-8, never half a character."""
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def one_line(text: str, limit: int = COMMENT_LIMIT, ascii: bool = False) -> str:
    """Text for a comment: one line (tabs and line breaks become spaces), every other control and
    bidi character (with `ascii`, every character beyond ASCII) shown as <U+XXXX>, at most `limit`
    characters (cut ones end with "...")."""
    text = _BREAK_OR_TAB.sub(" ", text)
    text = (_NOT_ASCII if ascii else _UNSAFE).sub(lambda match: f"<U+{ord(match[0]):04X}>", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# SPSS.


def spss_text(text: str, limit: int = 255) -> str:
    """A label SPSS can hold and show as one line: tabs and line breaks become spaces, other control
    characters and bidi controls are dropped (SPSS has no escapes), cut to `limit` bytes (variable
    labels 255, value labels 120)."""
    text = _BREAK_OR_TAB.sub(" ", text)
    return cut_to_bytes(_UNSAFE.sub("", text), limit)


def _pieces(text: str, size: int) -> list[str]:
    """`text` cut into pieces of at most `size` bytes, on character boundaries."""
    pieces = []
    while text:
        piece = cut_to_bytes(text, size) or text[0]
        pieces.append(piece)
        text = text[len(piece):]
    return pieces or [""]


def spss_string(text: str, limit: int = 255, indent: str = "    ") -> str:
    """An SPSS string literal of spss_text(text, limit): in apostrophes (each ' doubled), split into
    'pieces' joined by + at the start of indented lines, so no line is long, ends in a period, or
    starts a command."""
    pieces = ["'" + piece.replace("'", "''") + "'" for piece in _pieces(spss_text(text, limit), PIECE_BYTES)]
    return f"\n{indent}+ ".join(pieces)


def spss_comment(text: str) -> str:
    """An SPSS comment command on one line, ending with its period (else it runs on into the next
    command). `/*` and `*/` are broken apart: SPSS reads them as comment marks even inside a comment."""
    line = one_line(text, COMMENT_LIMIT).replace("/*", "/ *").replace("*/", "* /").rstrip(" .")
    return f"* {line}."


_SPSS_NAME = re.compile(r"[A-Za-z@#$_][A-Za-z0-9_.@#$]*")


def spss_name(name: str) -> str:
    """`name` if SPSS syntax can hold it as a variable name as it stands (letters, digits, _ . @ # $,
    at most 64 bytes, not ending in a period, which would end the command); else ValueError."""
    if not _SPSS_NAME.fullmatch(name) or name.endswith(".") or len(name.encode()) > 64:
        raise ValueError(f"{name!r} cannot be an SPSS variable name (letters, digits, _ . @ # $, up to 64, no final period)")
    return name


# Stata.

STATA_LABEL_BYTES = 32_000  # Stata's most for any label; pyreadstat reads no more of a value label


def stata_text(text: str, limit: int) -> str:
    """A label for the .dta file, one line as spss_text makes it (tabs and line breaks become spaces,
    other control and bidi characters are dropped), cut to `limit` characters (Stata counts characters:
    variable labels 80, value labels 32,000) and to 32,000 bytes.

    The file itself could hold a line break, but Stata shows a label on one line of its tables, and
    the file is binary: no quote needs escaping."""
    text = _UNSAFE.sub("", _BREAK_OR_TAB.sub(" ", text))
    return cut_to_bytes(text[:limit], STATA_LABEL_BYTES)


# R.

_R_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _r_char(char: str) -> str:
    if char in _R_ESCAPES:
        return _R_ESCAPES[char]
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return char
    if code == 0 or 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD  # an R string cannot hold NUL or a lone surrogate: the replacement character
    return f"\\u{{{code:04x}}}" if code <= 0xFFFF else f"\\U{{{code:x}}}"


def r_string(text: str, indent: str = "    ") -> str:
    """An R string literal meaning `text`, in plain ASCII: everything but printable ASCII is an escape
    (so no control, bidi or multi-byte character is in the script, and any locale reads it alike),
    except NUL and lone surrogates, which R cannot hold and become U+FFFD. A long one is split into
    paste0() of pieces on indented lines."""
    escaped = [_r_char(char) for char in text]
    pieces, piece, length = [], [], 0
    for token in escaped:
        if length + len(token) > PIECE_BYTES and piece:
            pieces.append("".join(piece))
            piece, length = [], 0
        piece.append(token)
        length += len(token)
    pieces.append("".join(piece))
    if len(pieces) == 1:
        return f'"{pieces[0]}"'
    return "paste0(\n" + ",\n".join(f'{indent}"{piece}"' for piece in pieces) + ")"


def r_comment(text: str) -> str:
    """An R comment line in plain ASCII, as the rest of the script: "# " and one_line(text, ascii=True)."""
    return "# " + one_line(text, ascii=True)
