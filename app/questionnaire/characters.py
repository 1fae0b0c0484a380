"""Which characters a questionnaire's texts may hold: no hidden commands in what a page, an export or
a terminal shows.

A line break (LF) is kept in texts a page shows (labels, hints, titles, the purpose): Excel's
Alt+Enter types one, and a page renders it as a space, so it is harmless there. CR and CRLF become
LF first (openpyxl keeps a CR as a real CR). Names, codes, versions, expressions and every other
plain column refuse LF too: they become export column names, values and syntax.

Refused everywhere: every other control character (Unicode Cc: NUL, TAB, VT, FF, DEL, the C1 set
with U+0085), the line and paragraph separators U+2028/U+2029, and every format character (Cf)
but the few below. The bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) hold
a state until closed, so a text can display in another order than it reads ("Trojan Source") and an
unclosed one reorders what follows it in a CSV, a terminal or a codebook; the page needs none of
them, since each text already sits in an element with its own `dir`.

Kept, because real Urdu, Arabic, Bengali and Panjabi text needs them and they hold no state: the
marks LRM, RLM and ALM (U+200E, U+200F, U+061C; they only settle where neutral characters such as
brackets or a full stop go), ZWNJ and ZWJ (U+200C, U+200D; they choose letter forms and conjuncts),
and the soft hyphen (U+00AD, which Word inserts).
"""

import unicodedata

LINE_BREAK = "\n"
KEPT_FORMAT = {"\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u00ad"}
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def normalise_line_breaks(text: str) -> str:
    """CRLF and a lone CR as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def refused(text: str, line_breaks: bool) -> str | None:
    """The first character `text` may not hold, described (e.g. "U+202E RIGHT-TO-LEFT OVERRIDE"), or None."""
    for character in text:
        if character == LINE_BREAK and line_breaks:
            continue
        if character in KEPT_FORMAT or unicodedata.category(character) not in REFUSED_CATEGORIES:
            continue
        return f"U+{ord(character):04X} {unicodedata.name(character, 'control character')}"
    return None
