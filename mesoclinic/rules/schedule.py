"""Dated sessions from a start date, honouring phased intervals.

Intervals are whole days; the sources' "monthly" is 30 days in the data, so the
dates the engine proposes and the minimum intervals it checks use one calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .reference import Phase, Protocol


def phases_for(
    proto: Protocol, sessions: int | None, interval_days: int | None
) -> tuple[Phase, ...]:
    """The protocol's phases, cut or extended to ``sessions``, or one uniform interval."""
    if interval_days is not None:
        return (Phase(sessions or proto.sessions, interval_days),)
    if sessions is None:
        return proto.phases
    out: list[Phase] = []
    left = sessions
    for phase in proto.phases:
        take = min(phase.sessions, left)
        if take:
            out.append(Phase(take, phase.interval_days))
        left -= take
    if left:
        # Extra sessions continue at the last phase's pace (the maintenance rhythm).
        last = proto.phases[-1]
        out.append(Phase(left, last.interval_days))
    return tuple(out)


def session_dates(start: dt.date, phases: Sequence[Phase]) -> list[dt.date]:
    """Session 1 on ``start``; each later session ``interval_days`` after the previous one."""
    dates: list[dt.date] = []
    for phase in phases:
        for _ in range(phase.sessions):
            dates.append(start if not dates else dates[-1] + dt.timedelta(days=phase.interval_days))
    return dates


def gaps(phases: Sequence[Phase]) -> list[int]:
    """The day gaps between consecutive sessions (one fewer than the sessions)."""
    out = [phase.interval_days for phase in phases for _ in range(phase.sessions)]
    return out[1:]


def combine(
    per_area: Sequence[tuple[str, Sequence[dt.date]]],
) -> list[tuple[int, dt.date, tuple[str, ...]]]:
    """One visit list for the whole plan: areas due on the same day share a visit."""
    by_date: dict[dt.date, list[str]] = {}
    for label, dates in per_area:
        for day in dates:
            by_date.setdefault(day, [])
            if label not in by_date[day]:
                by_date[day].append(label)
    return [(i, day, tuple(by_date[day])) for i, day in enumerate(sorted(by_date), start=1)]
