"""Free time of one resource: its windows (working or opening hours) less what holds it.

Plain interval arithmetic on aware datetimes, so the board shows each free stretch once,
merged and never overlapping, whatever order and overlaps the inputs come in.
"""

import datetime as dt
from collections.abc import Iterable

Span = tuple[dt.datetime, dt.datetime]


def merged(spans: Iterable[Span]) -> list[Span]:
    """The union of ``spans`` as sorted, disjoint, non-touching pieces."""
    out: list[Span] = []
    for a, b in sorted(s for s in spans if s[0] < s[1]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def free(
    windows: Iterable[Span],
    taken: Iterable[Span],
    *,
    not_before: dt.datetime | None = None,
    shortest: dt.timedelta = dt.timedelta(0),
) -> list[Span]:
    """``windows`` less ``taken``, from ``not_before`` on, in pieces of ``shortest`` or more."""
    busy = merged(taken)
    out: list[Span] = []
    for start, end in merged(windows):
        t = start if not_before is None else max(start, not_before)
        for a, b in busy:
            if b <= t:
                continue
            if a >= end:
                break
            if a > t:
                out.append((t, a))
            t = max(t, b)
        if t < end:
            out.append((t, end))
    return [(a, b) for a, b in out if b - a >= shortest and b > a]
