"""Course length and minimum intervals, counting sessions already given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .. import findings as F
from ..reference import Limit, Protocol, Reference, Source
from ..results import Finding
from .common import NO_LIMIT_TEXT, applies, num, severity

# One earlier charted session: its date and the formulas it gave.
EarlierSession = tuple[dt.date, tuple[Mapping[str, float], ...]]


class MinimumInterval(NamedTuple):
    days: int
    grade: str
    source: str


def _interval_limits(
    ref: Reference, formula: Mapping[str, float], protocol: Protocol | None
) -> list[tuple[int, str, Source, str, tuple[Limit, str] | None]]:
    out: list[tuple[int, str, Source, str, tuple[Limit, str] | None]] = []
    for slug in sorted(formula):
        ing = ref.ingredients[slug]
        for lim in ing.limits_of("min_interval_days"):
            if lim.value is not None and applies(lim, slug, formula):
                out.append((int(lim.value), lim.grade, lim.source, ing.name, (lim, slug)))
    if protocol is not None and protocol.min_interval_days is not None:
        out.append(
            (
                protocol.min_interval_days,
                protocol.schedule_grade,
                protocol.schedule_source,
                f"Protocol {protocol.name}",
                None,
            )
        )
    return out


def minimum_interval(
    ref: Reference, protocol: Protocol | None = None, formula: Mapping[str, float] | None = None
) -> MinimumInterval:
    """The strictest sourced minimum interval in days, with its grade and source."""
    if formula is None:
        formula = dict(protocol.formula) if protocol is not None else {}
        if protocol is not None and protocol.products:
            from ..inputs import mix

            formula = mix(protocol.products, ref)
    found = _interval_limits(ref, formula, protocol)
    if not found:
        return MinimumInterval(0, "none", f"{NO_LIMIT_TEXT} (no sourced minimum interval)")
    days, grade, source, _, _ = max(found, key=lambda f: (f[0], f[1] == "A"))
    return MinimumInterval(days, grade, source.text)


class _History(NamedTuple):
    """The sessions a course counts: dates given by hand, and the charted history."""

    prior: Sequence[dt.date]
    earlier: Sequence[EarlierSession]
    start: dt.date

    def before(self, lim: Limit, slug: str) -> list[dt.date]:
        """Sessions before the start that carried the ingredient in a formula the limit
        applies to, with the dates given by hand."""
        charted = [
            day
            for day, formulas in self.earlier
            if day < self.start
            and any(f.get(slug, 0.0) > 0 and applies(lim, slug, f) for f in formulas)
        ]
        return sorted([*self.prior, *charted])


def _course_length(
    ref: Reference, area: str, formula: Mapping[str, float], sessions: int, history: _History
) -> list[Finding]:
    out: list[Finding] = []
    for slug in sorted(formula):
        ing = ref.ingredients[slug]
        for lim in ing.limits_of("max_sessions"):
            if lim.value is None or not applies(lim, slug, formula):
                continue
            before = history.before(lim, slug)
            total = len(before) + sessions
            if total <= lim.value:
                continue
            room = max(0, int(lim.value) - len(before))
            given = (
                f"{len(before)} already given + {sessions} planned"
                if before
                else f"{sessions} planned"
            )
            out.append(
                F.make(
                    F.COURSE_TOO_LONG,
                    severity(lim.grade),
                    f"{ing.name}: {total} sessions ({given}) exceed the maximum of "
                    f"{num(lim.value)} by {num(total - lim.value)}; at most {room} more "
                    f"can be planned ({lim.note}).",
                    lim.source,
                    lim.grade,
                    area=area,
                    ingredient=slug,
                )
            )
    return out


def _intervals(
    ref: Reference,
    area: str,
    formula: Mapping[str, float],
    protocol: Protocol | None,
    gaps: Sequence[int],
    history: _History,
) -> list[Finding]:
    out: list[Finding] = []
    for days, grade, source, who, limit in _interval_limits(ref, formula, protocol):
        before = history.before(*limit) if limit is not None else sorted(history.prior)
        short = [g for g in gaps if g < days]
        if short:
            out.append(
                F.make(
                    F.INTERVAL_TOO_SHORT,
                    severity(grade),
                    f"{who}: sessions planned {min(short)} days apart; at least {days} days are "
                    f"needed (short by {days - min(short)} days).",
                    source,
                    grade,
                    area=area,
                )
            )
        since = (history.start - before[-1]).days if before else None
        if since is not None and since < days:
            earliest = before[-1] + dt.timedelta(days=days)
            out.append(
                F.make(
                    F.INTERVAL_TOO_SHORT,
                    severity(grade),
                    f"{who}: {since} days since the last session on {before[-1]:%d %b %Y}; "
                    f"at least {days} days are needed (earliest {earliest:%d %b %Y}).",
                    source,
                    grade,
                    area=area,
                )
            )
    return out


def check_course(
    ref: Reference,
    *,
    area: str,
    formula: Mapping[str, float],
    protocol: Protocol | None,
    gaps: Sequence[int],
    sessions: int,
    prior: Sequence[dt.date],
    start: dt.date,
    earlier: Sequence[EarlierSession] = (),
) -> list[Finding]:
    """Course length and minimum intervals, including sessions already given.

    ``prior`` are dates given for this area by hand; ``earlier`` is the patient's charted
    history (any plan, ad hoc too), counted for each limit where it carried the ingredient
    in a formula that limit applies to.
    """
    history = _History(prior, earlier, start)
    out = _course_length(ref, area, formula, sessions, history)
    out += _intervals(ref, area, formula, protocol, gaps, history)
    return F.dedupe(out)
