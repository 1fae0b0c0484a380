"""Exports built as a file on disk (a workbook, a zip) before they are sent, then deleted."""

import os
import tempfile
from typing import BinaryIO


def temporary_path(filename: str) -> str:
    """A path for `filename` in a new private temporary folder."""
    return os.path.join(tempfile.mkdtemp(prefix="survey-export-"), filename)


def remove(path: str) -> None:
    """Delete a file made by temporary_path, and its folder with anything left in it."""
    folder = os.path.dirname(path)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    os.rmdir(folder)


def open_and_remove(path: str) -> BinaryIO:
    """Open a finished file for sending and delete it at once: the open file keeps its bytes until it
    is closed, so nothing is left on disk however the download ends (even if it never starts)."""
    file = open(path, "rb")
    remove(path)
    return file
