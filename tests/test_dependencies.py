"""The virtual environment holds exactly what the lock file says: no more, no less, no other version.

`make install` builds `.venv` from `requirements.txt` alone (hash-checked), so a fresh clone next year runs
the same code as today. A package installed by hand, or a pin that was edited without `make lock`, shows
up here.
"""

import re
from importlib.metadata import distributions
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parent.parent / "requirements.txt"
# `name==version` at the start of a line, then an optional environment marker before the hashes.
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
# Not installed from the lock: the project itself, and the installer that comes with every venv.
OUTSIDE_THE_LOCK = {"safety-survey", "pip"}


def locked_for_this_interpreter() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line)
        if match and (match[3] is None or Marker(match[3]).evaluate()):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def installed() -> dict[str, str]:
    return {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}


def test_the_lock_pins_every_package_with_hashes():
    text = LOCK.read_text()
    pinned = [line for line in text.splitlines() if PIN.match(line)]
    assert len(pinned) > 30
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
        assert "--hash=sha256:" in block, f"no hash for: {block.splitlines()[0]}"


def test_installed_packages_are_exactly_the_locked_versions():
    locked, present = locked_for_this_interpreter(), installed()
    wrong = {name: (present.get(name), version) for name, version in locked.items() if present.get(name) != version}
    assert not wrong, f"installed version differs from the lock (installed, locked); run `make install`: {wrong}"
    extra = sorted(set(present) - set(locked) - OUTSIDE_THE_LOCK)
    assert not extra, f"installed but not in the lock (add them to pyproject.toml and run `make lock`): {extra}"
