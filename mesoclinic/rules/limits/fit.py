"""The largest plan that fits: fewer points where a dose, count or volume limit stops."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from .. import findings as F
from ..reference import Reference
from ..results import Finding
from .common import DIGITS, Usage
from .dose import check_usages

Ignored = set[tuple[str, str | None]]


def _violations(
    ref: Reference, usages: Sequence[Usage], weight: float | None, ignored: Ignored
) -> list[Finding]:
    found, _ = check_usages(ref, usages, weight)
    return [
        f
        for f in found
        if f.code in F.QUANTITATIVE
        and f.severity == "stop"
        and (f.code, f.ingredient) not in ignored
    ]


def _with_counts(
    usages: Sequence[Usage], scalable: Sequence[int], counts: Sequence[int]
) -> list[Usage]:
    out = list(usages)
    for i in scalable:
        vpp = usages[i].volume_per_point_ml
        assert vpp is not None
        out[i] = replace(usages[i], injections=counts[i], volume_ml=round(counts[i] * vpp, DIGITS))
    return out


def _grow(
    counts: list[int],
    full: Sequence[int],
    scalable: Sequence[int],
    fits: Callable[[Sequence[int]], bool],
) -> list[int]:
    """floor() can leave a point or two of room per area: add them back one at a time."""
    grown = True
    while grown:
        grown = False
        for i in scalable:
            if counts[i] < full[i]:
                trial = list(counts)
                trial[i] += 1
                if fits(trial):
                    counts, grown = trial, True
    return counts


def largest_fit(
    ref: Reference,
    usages: Sequence[Usage],
    weight: float | None,
    ignored: Ignored = frozenset(),  # type: ignore[assignment]
) -> list[int] | None:
    """Injection counts per usage for the largest plan that fits every active limit.

    Only areas that carry an ingredient in breach lose points; each keeps its volume
    per point and spacing (the label fixes both for deoxycholic acid). Returns None
    when fewer points cannot help (a fixed, needle-free volume is already too much).
    """
    first = _violations(ref, usages, weight, ignored)
    if not first:
        return [u.injections for u in usages]
    breached = {f.ingredient for f in first}
    scalable = [
        i
        for i, u in enumerate(usages)
        if u.volume_per_point_ml is not None and breached & set(u.formula)
    ]
    full = [u.injections for u in usages]

    def fits(counts: Sequence[int]) -> bool:
        return not _violations(ref, _with_counts(usages, scalable, counts), weight, ignored)

    def scaled(s: float) -> list[int]:
        return [math.floor(full[i] * s) if i in scalable else full[i] for i in range(len(usages))]

    if not fits(scaled(0.0)):
        return None
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(scaled(mid)) else (lo, mid)
    return _grow(scaled(lo), full, scalable, fits)
