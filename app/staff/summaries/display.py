"""The words and numbers a summary shows for each count and share: one function for the page and
its CSV download, so the file hides exactly what the screen hides."""

from flask_babel import gettext as _


def figure_text(count: int, hidden: str | None, threshold: int) -> str:
    if hidden == "small":
        return _("fewer than %(threshold)s", threshold=threshold)
    if hidden:
        return _("hidden")
    return f"{count:,}"


def share_text(share: float | None) -> str:
    """A share as shown ("34.5%"), or nothing where it is hidden."""
    return "" if share is None else f"{share}%"
