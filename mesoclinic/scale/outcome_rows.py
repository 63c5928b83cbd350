"""A treated course's outcome scores: baseline, end of course and the 3-month follow-up.

A course is one protocol of a plan (outcomes/courses.py). Each of the protocol's
instruments (rules `instruments.toml`) is scored at baseline, before the first session,
except a rating of change (GAIS, satisfaction: `relative_to`), which is taken at the
end only. A completed course has its end scores in about 85% of cases (the rest are
lost to follow-up), and a 3-month follow-up where the end is more than 90 days past.

Values are drawn from a stream of their own (seeded from the chain's seed), so adding
outcomes changes none of the chain's other rows. Every answer set is scored by
`rules.outcomes.score`, so total, band, display and code are the engine's.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from mesoclinic.outcomes.courses import NOT_FOR_SEX
from mesoclinic.rules import outcomes
from mesoclinic.scale.ids import dashed, uid
from mesoclinic.scale.tables import Rows
from mesoclinic.scale.writer import Writer

END_SHARE = 0.85  # completed courses with their end scores; the rest lost to follow-up
FOLLOW_UP_SHARE = 0.8  # of those, seen again at 3 months
FOLLOW_UP_DAYS = 90
# A course's mean improvement, in grades (points of a total, steps of a measured value).
EFFECT = {
    "submental-deoxycholic": 1.4,
    "pain-point-by-point": 1.5,
    "hair-minoxidil": 1.0,
    "skin-booster-ha": 1.0,
    "symmetry-booster-ha": 0.9,
    "body-lipolysis-pcdc": 0.7,
    "skin-revitalising-nappage": 0.5,
    "cellulite-mesotherapy": 0.4,
}
DEFAULT_EFFECT = 0.5
# Measured scales: where baselines fall, and the size of one step of improvement.
MEASURED = {
    "hair-count": ((60, 160), 6),
    "pain-nrs": ((4, 8), 1),
    "skin-hydration": ((25.0, 55.0), 4.0),
    "skin-elasticity": ((0.45, 0.75), 0.04),
    "skin-thickness": ((1.2, 2.2), 0.12),
    "symmetry-index": ((80.0, 92.0), 2.5),
}
AUDIT_FIELDS = '["answers", "total"]'  # what services.record_assessment audits
Answers = dict[str, int | float]
Measures = tuple[list[outcomes.Instrument], tuple[str, ...]]  # instruments, timepoints


class CourseOutcomes:
    def __init__(self, seed: int, salt: int, w: Writer, org_id: int, today: dt.date) -> None:
        self.rng = random.Random(f"{seed}:outcomes")
        self.salt, self.w, self.org_id, self.today = salt, w, org_id, today
        self.scored: dict[tuple[str, tuple[tuple[str, float], ...]], tuple[Any, ...]] = {}
        self.measures: dict[str, Measures] = {}

    def _measures(self, protocol: str, sex: str) -> Measures:
        key = f"{protocol}:{sex}"
        found = self.measures.get(key)
        if found is None:
            measures = outcomes.protocol_outcomes(protocol)
            skip = NOT_FOR_SEX.get(sex, set())
            found = self.measures[key] = (
                [outcomes.instrument(s) for s in measures.instruments if s not in skip],
                measures.timepoints,
            )
        return found

    def course(
        self, rows: Rows, pid: int, plan_id: int, practitioner: int, sex: str,
        protocols: list[tuple[str, str]], start: dt.date, last_day: dt.date, completed: bool,
    ) -> None:  # fmt: skip
        """The scores of each of the plan's courses (one per protocol)."""
        rng = self.rng
        baseline_day = start - dt.timedelta(days=7)  # at the consultation, with the plan
        ended = completed and rng.random() < END_SHARE
        end_day = follow_day = None
        if ended:
            end_day = min(last_day + dt.timedelta(days=rng.randint(7, 28)), self.today)
            end_day = end_day if end_day < self.today else last_day
            if (self.today - last_day).days > FOLLOW_UP_DAYS and rng.random() < FOLLOW_UP_SHARE:
                follow_day = last_day + dt.timedelta(days=FOLLOW_UP_DAYS + rng.randint(0, 14))
                follow_day = min(follow_day, self.today - dt.timedelta(days=1))
        for protocol, area in protocols:
            instruments, timepoints = self._measures(protocol, sex)
            # How well this patient responds: one draw for all the course's scales.
            gain = rng.gauss(EFFECT.get(protocol, DEFAULT_EFFECT), 0.7)
            for instrument in instruments:
                before, after = self._values(instrument, gain)
                add = (rows, pid, plan_id, practitioner, protocol, area, instrument)
                if before is not None and "baseline" in timepoints:
                    self._row(*add, "baseline", before, baseline_day, 11, 30)
                if end_day is None:
                    continue
                # Scored at the last visit: after that day's last session.
                last_visit = end_day == last_day
                hour, minute = (20, 45) if last_visit else (12, 0)
                self._row(*add, "end", after, end_day, hour, minute)
                if follow_day is not None and "3-months" in timepoints:
                    later = self._follow_up(instrument, before, after)
                    self._row(*add, "3-months", later, follow_day, 12, 0)

    # -- values ------------------------------------------------------------------------
    def _values(
        self, instrument: outcomes.Instrument, gain: float
    ) -> tuple[Answers | None, Answers]:
        """Baseline (None for a rating of change) and end-of-course answers."""
        rng = self.rng
        sign = -1 if instrument.lower_is_better else 1
        if instrument.kind == "numeric":
            (low, high), step = MEASURED[instrument.slug]
            lo, hi = instrument.minimum or 0, instrument.maximum or 0
            if instrument.integer:
                start: float = rng.randint(int(low), int(high))
            else:
                start = round(rng.uniform(low, high), 2)
            change = (gain + rng.gauss(0, 0.5)) * step * sign
            end = min(hi, max(lo, start + change))
            return {"value": start}, {"value": round(end) if instrument.integer else round(end, 2)}
        grades = round(gain + rng.gauss(0, 0.4))
        if instrument.kind == "items":  # Hexsel: a point off items that have one to lose
            before = {item.key: rng.randint(1, 3) for item in instrument.items}
            after = dict(before)
            for key in rng.sample(list(after), k=min(2, max(0, grades))):
                after[key] -= 1
            return dict(before), dict(after)
        values = sorted(o.value for o in instrument.options)
        if instrument.relative_to is not None:  # rated against before treatment
            neutral = instrument.option(instrument.relative_to)
            assert neutral is not None  # checked at load
            g = min(3, max(-1, grades))
            return None, {"value": min(values[-1], max(values[0], neutral.value + sign * g))}
        g = min(2, max(0, grades))
        start = rng.choice(values[1:] if instrument.lower_is_better else values[:-1])
        end = min(values[-1], max(values[0], int(start + sign * g)))
        return {"value": start}, {"value": end}

    def _follow_up(
        self, instrument: outcomes.Instrument, before: Answers | None, after: Answers
    ) -> Answers:
        """At 3 months: kept, or about a third of the time one step back towards before."""
        rng = self.rng
        if rng.random() >= 0.3:
            return after
        if instrument.kind == "numeric":
            assert before is not None
            start, end = before["value"], after["value"]
            back = start + (end - start) * rng.uniform(0.5, 0.9)
            return {"value": round(back) if instrument.integer else round(back, 2)}
        if instrument.kind == "items":
            assert before is not None
            lost = [k for k in after if after[k] < before[k]]
            return {**after, lost[0]: after[lost[0]] + 1} if lost else after
        if before is not None:
            origin = before["value"]
        else:
            neutral = instrument.option(instrument.relative_to or "")
            assert neutral is not None  # checked at load
            origin = neutral.value
        end = after["value"]
        return {"value": end + (1 if origin > end else -1 if origin < end else 0)}

    # -- rows --------------------------------------------------------------------------
    def _score(self, instrument: outcomes.Instrument, answers: Answers) -> tuple[Any, ...]:
        key = (instrument.slug, tuple(answers.items()))
        found = self.scored.get(key)
        if found is None:
            s = outcomes.score(instrument, answers)
            found = self.scored[key] = (
                json.dumps(dict(s.answers)), f"{s.total:.2f}", s.code or "", s.band or "",
                s.display,
            )  # fmt: skip
        return found

    def _row(
        self, rows: Rows, pid: int, plan_id: int, practitioner: int, protocol: str, area: str,
        instrument: outcomes.Instrument, timepoint: str, answers: Answers, day: dt.date,
        hour: int, minute: int,
    ) -> None:  # fmt: skip
        answers_json, total, code, band, display = self._score(instrument, answers)
        at = self.w.ts(dt.datetime.combine(day, dt.time(hour, minute)))
        public_id = uid(self.rng, self.salt)
        rows["assessment"].append(
            (self.org_id, public_id, pid, plan_id, None, protocol, area, "", instrument.slug,
             instrument.version, timepoint, instrument.rater, answers_json, total, code, band,
             display, at, "", None, "", uid(self.rng, self.salt), at, practitioner, at,
             practitioner, None, None, "")
        )  # fmt: skip
        rows["assessment_audit"].append(
            (self.org_id, practitioner, at, "create", "assessment", dashed(public_id),
             AUDIT_FIELDS, "", "127.0.0.1", uid(self.rng, self.salt))
        )  # fmt: skip
