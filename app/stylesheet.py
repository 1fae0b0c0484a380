"""The public stylesheet, inlined into every public page and allowed by its hash.

A page is then one request: no second round trip for the stylesheet on a slow phone, and nothing of
the site left in the browser's HTTP cache (every public response is `no-store`), which a cached
stylesheet would be for whoever picks up the phone later. app/static/site.css stays the source; it
is read once at start-up, its comments and indentation dropped, and the Content-Security-Policy
allows exactly that text (`style-src 'sha256-...'`) and no other style.
"""

import base64
import hashlib
import re
from pathlib import Path

from markupsafe import Markup

SOURCE = Path(__file__).resolve().parent / "static" / "site.css"
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def compact(css: str) -> str:
    """The stylesheet without comments, indentation or blank lines (same rules, fewer bytes)."""
    lines = (line.strip() for line in _COMMENT.sub("", css).splitlines())
    return "\n".join(line for line in lines if line)


def load(path: Path = SOURCE) -> tuple[Markup, str]:
    """(the text to put between <style> and </style>, its CSP source such as 'sha256-...')."""
    css = compact(path.read_text(encoding="utf-8"))
    if "<" in css:  # "</style" would end the element early; nothing in CSS needs "<"
        raise RuntimeError(f"{path.name} must not contain '<' to be inlined in a <style> element")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return Markup(css), f"'sha256-{digest}'"
