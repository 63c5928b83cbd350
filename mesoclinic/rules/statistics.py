"""Statistics for the per-protocol evidence page: what works and what harms, per clinic.

The database aggregates (counts, sums, sums of squares); these functions turn those
summary figures into rates and confidence intervals. Every interval comes from a
well-kept library, not from a formula written here:

- one proportion: Wilson score interval (statsmodels ``proportion_confint``);
- difference of two proportions: Newcombe's hybrid score interval (statsmodels
  ``confint_proportions_2indep``, ``method="newcomb"``);
- mean change: Student's t interval (scipy ``stats.t.interval``);
- event rate: exact Poisson (Garwood) interval (statsmodels ``confint_poisson``,
  ``method="exact-c"``, from the gamma/chi-square quantiles);
- quartiles for the time-course plot: numpy percentiles (linear interpolation).

An empty group is the normal state of a new clinic: it gives ``None`` for the rate and
the interval rather than an error. Impossible figures (more responders than patients,
negative counts, a count that is not a whole number) raise :class:`RulesInputError`, a
``ValueError``. Cells of fewer than :data:`MINIMUM_CELL` patients are to be suppressed
on the page (:func:`suppressed`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import confint_poisson

from .errors import RulesInputError

MINIMUM_CELL = 5
"""Fewer patients than this in a cell, and the page shows no figure for it (privacy)."""

# Sums read back from the database carry rounding; a sum of squares this little
# (relative to n * sum of squares) below what the sum allows is rounding, not an error.
_ROUNDING = 1e-9


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    rate: float | None
    ci: Interval | None


@dataclass(frozen=True)
class Difference:
    """``p1 - p2``, e.g. responders on a protocol minus responders on another."""

    p1: float | None
    p2: float | None
    diff: float | None
    ci: Interval | None


@dataclass(frozen=True)
class MeanChange:
    n: int
    mean: float | None
    sd: float | None
    ci: Interval | None


@dataclass(frozen=True)
class Rate:
    """``rate`` events per ``per`` units of exposure (sessions, patients)."""

    events: int
    exposure: int
    rate: float | None
    ci: Interval | None


@dataclass(frozen=True)
class Quartiles:
    n: int
    median: float | None
    q1: float | None
    q3: float | None


def wilson(k: int, n: int, level: float = 0.95) -> Proportion:
    """``k`` of ``n`` patients, with the Wilson score interval."""
    _count("k", k)
    _count("n", n)
    _level(level)
    if k > n:
        raise RulesInputError("k", k, f"more than the n={n} patients in the group")
    if n == 0:
        return Proportion(k, n, None, None)
    low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
    return Proportion(k, n, k / n, Interval(float(low), float(high)))


def difference(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> Difference:
    """``k1/n1 - k2/n2`` with Newcombe's hybrid score interval (Newcombe 1998, method 10).

    An empty group gives its rate, the difference and the interval as ``None``.
    """
    for name, value in (("k1", k1), ("n1", n1), ("k2", k2), ("n2", n2)):
        _count(name, value)
    _level(level)
    if k1 > n1:
        raise RulesInputError("k1", k1, f"more than the n1={n1} patients in the group")
    if k2 > n2:
        raise RulesInputError("k2", k2, f"more than the n2={n2} patients in the group")
    p1 = k1 / n1 if n1 else None
    p2 = k2 / n2 if n2 else None
    if p1 is None or p2 is None:
        return Difference(p1, p2, None, None)
    low, high = confint_proportions_2indep(
        k1, n1, k2, n2, compare="diff", method="newcomb", alpha=1 - level
    )
    return Difference(p1, p2, p1 - p2, Interval(float(low), float(high)))


def mean_change(
    n: int,
    total: float | Decimal,
    total_of_squares: float | Decimal,
    level: float = 0.95,
) -> MeanChange:
    """Mean, SD and t interval of per-patient changes, from ``n``, their sum and sum of squares.

    The variance is worked out exactly from the figures given (as fractions), so no
    cancellation is added here; a sum of squares a rounding error below the least the
    sum allows gives SD 0, more than that is refused. ``n < 2`` gives no SD and no interval.
    """
    _count("n", n)
    _level(level)
    t = _real("total", total)
    q = _real("total_of_squares", total_of_squares)
    if q < 0:
        raise RulesInputError("total_of_squares", total_of_squares, "a sum of squares is >= 0")
    if n == 0:
        if t or q:
            raise RulesInputError("n", n, "no patients, yet the sums are not 0")
        return MeanChange(0, None, None, None)
    mean = t / n
    if n == 1:
        if abs(q - t * t) > _ROUNDING * q + Fraction(math.ulp(0.0)):
            raise RulesInputError(
                "total_of_squares", total_of_squares, "one patient: must be total squared"
            )
        return MeanChange(1, float(mean), None, None)
    spread = n * q - t * t  # n * (sum of squared deviations), >= 0 for real data
    if spread < 0:
        # Rounding of the sums, relative; and squares too small for a float (each may
        # have rounded to 0, down by at most the least float), absolute.
        if -spread > _ROUNDING * n * q + Fraction(n * n) * Fraction(math.ulp(0.0)):
            raise RulesInputError(
                "total_of_squares",
                total_of_squares,
                f"less than total**2 / n = {float(t * t / n)!r}: not the sums of real values",
            )
        spread = Fraction(0)
    variance = spread / (n * (n - 1))
    sd = math.sqrt(variance)
    se = sd / math.sqrt(n)
    if se == 0:
        ci = Interval(float(mean), float(mean))
    else:
        low, high = stats.t.interval(level, n - 1, loc=float(mean), scale=se)
        ci = Interval(float(low), float(high))
    return MeanChange(n, float(mean), sd, ci)


def rate_per(events: int, exposure: int, per: float = 100, level: float = 0.95) -> Rate:
    """``events`` per ``per`` units of ``exposure`` with the exact Poisson (Garwood) interval.

    Adverse events per 100 sessions: ``rate_per(events, sessions)``; per patient:
    ``rate_per(events, patients, per=1)``. No exposure gives rate and interval ``None``.
    """
    _count("events", events)
    _count("exposure", exposure)
    _level(level)
    if isinstance(per, bool) or not isinstance(per, numbers.Real) or not per > 0:
        raise RulesInputError("per", per, "must be a number > 0")
    if exposure == 0:
        if events:
            raise RulesInputError("events", events, "events with no exposure")
        return Rate(events, exposure, None, None)
    low, high = confint_poisson(events, exposure, method="exact-c", alpha=1 - level)
    return Rate(
        events, exposure, events / exposure * per, Interval(float(low) * per, float(high) * per)
    )


def quartiles(values: Sequence[float]) -> Quartiles:
    """Median and quartiles of raw values (numpy's default linear interpolation)."""
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
            raise RulesInputError(f"values[{i}]", value, "must be a number")
        if not math.isfinite(value):
            raise RulesInputError(f"values[{i}]", value, "must be finite")
    if not values:
        return Quartiles(0, None, None, None)
    q1, median, q3 = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return Quartiles(len(values), float(median), float(q1), float(q3))


def suppressed(n: int, minimum: int = MINIMUM_CELL) -> bool:
    """True when a cell of ``n`` patients is too small to show."""
    _count("n", n)
    _count("minimum", minimum)
    return n < minimum


def _count(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RulesInputError(field, value, "must be a whole number")
    if int(value) < 0:
        raise RulesInputError(field, value, "must be >= 0")


def _level(level: object) -> None:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 1:
        raise RulesInputError("level", level, "must be a confidence level between 0 and 1")


def _real(field: str, value: object) -> Fraction:
    """The exact value of a float, int or Decimal; NaN and infinities refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise RulesInputError(field, value, "must be a number")
    if not math.isfinite(value):
        raise RulesInputError(field, value, "must be finite")
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    return Fraction(float(value))  # exact: every float is a fraction
