"""The minimum intervals of a course, as the approved plan version states them.

The engine's schedule (``PlanVersion.result["schedule"]``: ``{"session", "date",
"areas"}``) gives each session's ideal date. Every area carries the strictest
sourced minimum interval of its protocol and formula (``rules.minimum_interval``).
Between two sessions that treat the same area:

- grade A (a label): the gap can never be shorter than the interval;
- grade B or C: the gap may be as short as the approved plan itself planned (the
  plan's approval already recorded any override); anything shorter needs a
  practitioner and a reason, kept on the appointment and in the audit trail.
"""

import datetime as dt
from dataclasses import dataclass

from mesoclinic import rules

NO_LIMIT = rules.NO_LIMIT_TEXT
NO_INTERVAL = rules.MinimumInterval(0, "none", NO_LIMIT)


def _strictness(interval: rules.MinimumInterval) -> tuple[int, bool]:
    """Longer first; at equal length a grade-A interval, which cannot be shortened."""
    return interval.days, interval.grade == "A"


@dataclass(frozen=True)
class Problem:
    area: str
    session: int
    other: int
    gap: int
    required: int
    interval: rules.MinimumInterval

    @property
    def overridable(self) -> bool:
        return self.interval.grade in ("B", "C") and self.gap > 0

    @property
    def message(self) -> str:
        if self.gap <= 0:
            order = "before" if self.other > self.session else "after"
            return f"Session {self.session} must come {order} session {self.other}."
        grade = self.interval.grade
        why = f"at least {self.required} days ({self.area}; grade {grade}: {self.interval.source})"
        tail = (
            "This interval cannot be shortened."
            if grade == "A"
            else "Only a practitioner may shorten it, with a reason."
        )
        return (
            f"Session {self.session} would be {self.gap} days from session {self.other}; "
            f"the protocol needs {why}. {tail}"
        )


def _interval(area: dict) -> rules.MinimumInterval:
    found = []
    if area.get("protocol"):
        found.append(rules.minimum_interval(area["protocol"]))
    formula = [k for k, v in (area.get("formula_mg_per_ml") or {}).items() if v]
    if formula:
        found.append(rules.minimum_interval(formula))
    return max(found, key=_strictness, default=NO_INTERVAL)


class CourseRules:
    """The ideal dates, areas and minimum intervals of one approved plan version."""

    def __init__(self, result: dict):
        self.ideal: dict[int, dt.date] = {}
        self.areas: dict[int, tuple[str, ...]] = {}
        for s in result.get("schedule", []):
            self.ideal[s["session"]] = dt.date.fromisoformat(s["date"])
            self.areas[s["session"]] = tuple(s["areas"])
        self.intervals: dict[str, rules.MinimumInterval] = {}
        for area in result.get("areas", []):
            iv = _interval(area)
            old = self.intervals.get(area["area"])
            if old is None or _strictness(iv) > _strictness(old):
                self.intervals[area["area"]] = iv

    @property
    def sessions(self) -> list[int]:
        return sorted(self.ideal)

    def interval(self, label: str) -> rules.MinimumInterval:
        return self.intervals.get(label.split(" (")[0], NO_INTERVAL)

    def required(self, label: str, a: int, b: int) -> int:
        iv = self.interval(label)
        if iv.grade == "A":
            return max(iv.days, 1)
        planned = (self.ideal[b] - self.ideal[a]).days
        return max(min(iv.days, planned), 1)

    def problems(self, dates: dict[int, dt.date], n: int, day: dt.date) -> list[Problem]:
        """Interval problems if session n were on ``day``, against the other dated sessions."""
        out = []
        for label in self.areas.get(n, ()):
            same = [k for k in dates if k != n and label in self.areas.get(k, ())]
            before = max((k for k in same if k < n), default=None)
            after = min((k for k in same if k > n), default=None)
            if before is not None:
                gap, need = (day - dates[before]).days, self.required(label, before, n)
                if gap < need:
                    out.append(Problem(label, n, before, gap, need, self.interval(label)))
            if after is not None:
                gap, need = (dates[after] - day).days, self.required(label, n, after)
                if gap < need:
                    out.append(Problem(label, n, after, gap, need, self.interval(label)))
        return out
