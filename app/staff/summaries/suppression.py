"""Small-number protection for published counts: primary and secondary suppression, as plain functions.

A count from 1 to threshold - 1 is hidden ("small"). Where counts add up to a total that is shown
(a row or column of a table), hiding one count is not enough: it could be worked out by
subtraction. So after the primary step we check what a reader could still work out, and hide more
counts ("secondary") until no hidden count can be pinned to one value.

The check assumes the reader knows every shown count, every equation (which counts add up to which
total), and that a "small" count lies between 1 and threshold - 1 while a "secondary" one is at
least the threshold. From those it narrows each hidden count's range (interval propagation over all
the equations together); a range of one value is a disclosure. Zeros are shown: they are never
the count of a person who could be identified.
"""

from collections.abc import Hashable, Iterable, Sequence
from math import inf

SMALL = "small"  # fewer than the threshold
SECONDARY = "secondary"  # hidden so that a small count cannot be worked out

Key = Hashable
Equation = tuple[Sequence[Key], Key]  # (parts, total): the parts add up to the total


def _ranges(values: dict, status: dict, equations: Iterable[Equation], threshold: int) -> dict:
    """The narrowest range a reader can deduce for each hidden count."""
    bounds = {}
    for key, hidden in status.items():
        if hidden == SMALL:
            bounds[key] = (1, threshold - 1)
        elif hidden == SECONDARY:
            bounds[key] = (threshold, inf)
        elif hidden:  # hidden for another reason (a withheld table): anything
            bounds[key] = (0, inf)
        else:
            bounds[key] = (values[key], values[key])
    equations = list(equations)
    for _ in range(50):  # tightening converges quickly; the cap bounds the work on odd tables
        changed = False
        for parts, total in equations:
            parts_lo = sum(bounds[p][0] for p in parts)
            parts_hi = sum(bounds[p][1] for p in parts)
            total_lo, total_hi = bounds[total]
            updates = {total: (max(total_lo, parts_lo), min(total_hi, parts_hi))}
            for part in parts:
                lo, hi = bounds[part]
                others_lo, others_hi = parts_lo - lo, parts_hi - hi
                updates[part] = (max(lo, total_lo - others_hi), min(hi, total_hi - others_lo))
            for key, (lo, hi) in updates.items():
                if status[key] and (lo, hi) != bounds[key]:
                    bounds[key] = (lo, hi)
                    changed = True
        if not changed:
            break
    return bounds


def disclosed(values: dict, status: dict, equations: Iterable[Equation], threshold: int) -> set:
    """Hidden counts a reader could work out exactly."""
    bounds = _ranges(values, status, equations, threshold)
    return {key for key, hidden in status.items() if hidden and bounds[key][0] >= bounds[key][1]}


def suppress(
    values: dict,
    equations: Sequence[Equation] = (),
    threshold: int = 5,
    public: Iterable[Key] = (),
    given: dict | None = None,
) -> dict | None:
    """Which counts to hide: key -> None (shown), SMALL or SECONDARY; None if no safe pattern exists.

    `public` counts are always shown (the total number of responses). `given` fixes the status of
    counts already published elsewhere (a table's margins, decided on the one-way table), so that
    pages read together still disclose nothing; they are never picked for secondary suppression.
    Secondary suppression picks, in an equation with a disclosure, the smallest shown non-zero count.
    """
    given = given or {}
    public = set(public)
    status = {}
    for key, value in values.items():
        if key in given:
            status[key] = given[key]
        elif key in public:
            status[key] = None
        else:
            status[key] = SMALL if 0 < value < threshold else None
    order = {key: index for index, key in enumerate(values)}
    while True:
        exposed = disclosed(values, status, equations, threshold)
        if not exposed:
            return status
        candidates = [
            key
            for parts, total in equations
            if exposed & {*parts, total}
            for key in (*parts, total)
            if status[key] is None and key not in public and key not in given and values[key] > 0
        ]
        if not candidates:
            return None
        pick = min(candidates, key=lambda key: (values[key], order[key]))
        status[pick] = SECONDARY
