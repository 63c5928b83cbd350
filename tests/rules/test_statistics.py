"""Statistics for the evidence page: known answers from the literature, the published
REFINE trials (clinical-reference §5), agreement with numpy/scipy on raw data, and
refusals of figures that cannot come from real records. No database."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from mesoclinic.rules import RulesInputError
from mesoclinic.rules.statistics import (
    MINIMUM_CELL,
    Difference,
    Interval,
    MeanChange,
    Proportion,
    Quartiles,
    Rate,
    difference,
    mean_change,
    quartiles,
    rate_per,
    suppressed,
    wilson,
)


def four(interval: Interval | None) -> tuple[float, float]:
    assert interval is not None
    return round(interval.low, 4), round(interval.high, 4)


def responders(percent: float, n: int) -> int:
    """The whole number of patients nearest a published percentage of a group of n."""
    k = round(percent / 100 * n)
    assert abs(k / n - percent / 100) <= 0.5 / n
    return k


# -- one proportion: Wilson score interval ------------------------------------------


# Newcombe, Stat Med 1998;17:857 (two-sided CIs for a single proportion), Table I, method 3.
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombes_table(k, n, low, high):
    p = wilson(k, n)
    assert p == Proportion(k, n, k / n, p.ci)
    assert four(p.ci) == (low, high)


def test_wilson_gives_plain_floats_and_honours_the_level():
    p95, p99 = wilson(81, 263), wilson(81, 263, level=0.99)
    assert type(p95.rate) is float and type(p95.ci.low) is float and type(p95.ci.high) is float
    assert p99.ci.low < p95.ci.low < p95.rate < p95.ci.high < p99.ci.high


def test_an_empty_group_has_no_rate_and_no_interval():
    assert wilson(0, 0) == Proportion(0, 0, None, None)


# -- difference of two proportions: Newcombe's hybrid score interval ----------------


# Newcombe, Stat Med 1998;17:873 (interval estimation for the difference between
# independent proportions), Table II, method 10.
@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0),
        (10, 10, 0, 10, 0.6075, 1.0),
    ],
)
def test_difference_matches_newcombes_table(k1, n1, k2, n2, low, high):
    d = difference(k1, n1, k2, n2)
    assert d.p1 == k1 / n1 and d.p2 == k2 / n2
    assert d.diff == pytest.approx(k1 / n1 - k2 / n2)
    assert four(d.ci) == (low, high)


def test_difference_is_p1_minus_p2_and_turns_round_when_the_groups_swap():
    ahead, behind = difference(56, 70, 48, 80), difference(48, 80, 56, 70)
    assert ahead.diff > 0 > behind.diff
    assert ahead.ci.low == pytest.approx(-behind.ci.high)
    assert ahead.ci.high == pytest.approx(-behind.ci.low)


def test_difference_honours_the_level():
    d95, d99 = difference(56, 70, 48, 80), difference(56, 70, 48, 80, level=0.99)
    assert d99.ci.low < d95.ci.low < d95.diff < d95.ci.high < d99.ci.high


# REFINE-1 and REFINE-2 (NCT02438813), composite 1-grade CR-SMFRS and PR-SMFRS
# response, deoxycholic acid against placebo (clinical-reference §5).
@pytest.mark.parametrize(
    ("trial", "n1", "pct1", "n2", "pct2"),
    [
        ("REFINE-1", 256, 70.0, 258, 18.6),
        ("REFINE-2", 258, 66.5, 258, 22.2),
    ],
)
def test_the_refine_trials_show_an_effect_whose_interval_excludes_zero(trial, n1, pct1, n2, pct2):
    k1, k2 = responders(pct1, n1), responders(pct2, n2)
    d = difference(k1, n1, k2, n2)
    assert d.diff == pytest.approx((pct1 - pct2) / 100, abs=0.005)
    assert 0 < d.ci.low < d.diff < d.ci.high < 1
    assert not d.ci.contains(0.0)
    # Each arm's own interval holds the published rate.
    assert wilson(k1, n1).ci.contains(pct1 / 100)
    assert wilson(k2, n2).ci.contains(pct2 / 100)


def test_refine_1_two_grade_response_against_none_on_placebo_excludes_zero():
    # 13.4% vs 0%: a zero cell, where a Wald interval would collapse.
    d = difference(responders(13.4, 256), 256, 0, 258)
    assert d.p2 == 0.0
    assert 0 < d.ci.low < d.diff < d.ci.high


def test_an_empty_group_gives_no_difference():
    assert difference(3, 10, 0, 0) == Difference(0.3, None, None, None)
    assert difference(0, 0, 3, 10) == Difference(None, 0.3, None, None)


# -- mean change from the sum and the sum of squares --------------------------------


def test_mean_change_known_answer():
    values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]  # mean 5, sample SD sqrt(32/7)
    m = mean_change(len(values), sum(values), sum(v * v for v in values))
    assert m.n == 8 and m.mean == 5.0
    assert m.sd == pytest.approx(math.sqrt(32 / 7))
    half = stats.t.ppf(0.975, 7) * math.sqrt(32 / 7) / math.sqrt(8)
    assert four(m.ci) == (round(5 - half, 4), round(5 + half, 4))
    assert four(m.ci) == (3.2125, 6.7875)


changes = st.lists(
    st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=60,
)


@given(changes, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_mean_change_from_sums_equals_statistics_of_the_raw_list(values, level):
    m = mean_change(len(values), sum(values), sum(v * v for v in values), level=level)
    raw = np.asarray(values)
    # The sums lose what cancels between sum(x)**2 and sum(x*x): about sqrt(eps) of the
    # values' size in the SD, never more.
    scale = max(1.0, float(np.max(np.abs(raw))))
    tol = 1e-6 * scale
    assert m.n == len(values)
    assert m.mean == pytest.approx(float(np.mean(raw)), rel=1e-9, abs=1e-9 * scale)
    assert m.sd == pytest.approx(float(np.std(raw, ddof=1)), rel=1e-7, abs=tol)
    sem = float(stats.sem(raw))
    if sem > 0:
        low, high = stats.t.interval(level, len(values) - 1, loc=np.mean(raw), scale=sem)
        crit = float(stats.t.ppf((1 + level) / 2, len(values) - 1))
        assert m.ci.low == pytest.approx(float(low), rel=1e-7, abs=crit * tol)
        assert m.ci.high == pytest.approx(float(high), rel=1e-7, abs=crit * tol)
    assert m.ci.low <= m.mean <= m.ci.high


@given(st.floats(min_value=-50, max_value=50, allow_nan=False), st.integers(2, 500))
def test_equal_changes_give_no_negative_variance_through_rounding(value, n):
    # Summed in floating point as a database would: the rounded sums can put the sum
    # of squares a hair below sum**2 / n.
    total = sum([value] * n)
    squares = sum([value * value] * n)
    m = mean_change(n, total, squares)
    assert m.sd is not None and 0 <= m.sd <= 1e-6 * max(1.0, abs(value))
    assert m.ci.contains(m.mean)


def test_mean_change_takes_decimal_sums_from_the_database():
    m = mean_change(3, Decimal("-4.5"), Decimal("7.25"))  # -1.0, -1.5, -2.0
    assert m.mean == -1.5 and m.sd == pytest.approx(0.5)


def test_mean_change_of_too_few_patients_has_no_interval():
    assert mean_change(0, 0, 0) == MeanChange(0, None, None, None)
    assert mean_change(1, -2.5, 6.25) == MeanChange(1, -2.5, None, None)


def test_mean_change_honours_the_level():
    m95, m99 = mean_change(8, 40.0, 232.0), mean_change(8, 40.0, 232.0, level=0.99)
    assert m99.ci.low < m95.ci.low < 5.0 < m95.ci.high < m99.ci.high


# -- adverse-event rate: exact Poisson (Garwood) interval ---------------------------


def test_no_adverse_events_gives_a_low_of_zero_and_a_positive_high():
    r = rate_per(0, 40)
    assert r.rate == 0.0 and r.ci.low == 0.0 and r.ci.high > 0
    # Garwood: upper limit for 0 events is -ln(0.025) = 3.6889 events, per 40 sessions.
    assert r.ci.high == pytest.approx(-math.log(0.025) / 40 * 100)


def test_exact_poisson_interval_known_answer():
    # Garwood (1936) limits for 3 events: 0.6187 to 8.7673.
    assert four(rate_per(3, 1, per=1).ci) == (0.6187, 8.7673)
    r = rate_per(3, 150)  # per 100 sessions
    assert r == Rate(3, 150, 2.0, r.ci)
    assert r.ci.low == pytest.approx(0.6187 / 1.5, abs=1e-4)
    assert r.ci.high == pytest.approx(8.7673 / 1.5, abs=1e-4)


def test_rate_per_patient_and_level():
    per_patient = rate_per(12, 30, per=1)
    per_100 = rate_per(12, 30)
    assert per_patient.rate == pytest.approx(0.4) and per_100.rate == pytest.approx(40.0)
    assert per_100.ci.low == pytest.approx(100 * per_patient.ci.low)
    wide = rate_per(12, 30, per=1, level=0.99)
    assert wide.ci.low < per_patient.ci.low < 0.4 < per_patient.ci.high < wide.ci.high


def test_no_exposure_gives_no_rate():
    assert rate_per(0, 0) == Rate(0, 0, None, None)


# -- quartiles of raw values (time course) ------------------------------------------


def test_quartiles_by_numpys_linear_rule():
    assert quartiles([4.0, 1.0, 3.0, 2.0]) == Quartiles(4, 2.5, 1.75, 3.25)
    assert quartiles([7]) == Quartiles(1, 7.0, 7.0, 7.0)
    assert quartiles([]) == Quartiles(0, None, None, None)


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=50))
def test_quartiles_are_ordered_within_the_range(values):
    q = quartiles(values)
    assert min(values) <= q.q1 <= q.median <= q.q3 <= max(values)
    assert q.median == pytest.approx(float(np.median(values)))


# -- small-cell suppression ---------------------------------------------------------


def test_cells_under_five_patients_are_suppressed():
    assert MINIMUM_CELL == 5
    assert suppressed(0) and suppressed(4)
    assert not suppressed(5) and not suppressed(6)
    assert suppressed(9, minimum=10) and not suppressed(10, minimum=10)


# -- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson(6, 5), r"k=6: more than the n=5"),
        (lambda: wilson(-1, 5), r"k=-1: must be >= 0"),
        (lambda: wilson(1, -5), r"n=-5: must be >= 0"),
        (lambda: wilson(2.0, 5), r"k=2.0: must be a whole number"),
        (lambda: wilson(True, 5), r"k=True: must be a whole number"),
        (lambda: wilson("2", 5), r"k='2': must be a whole number"),
        (lambda: wilson(1, 0), r"k=1: more than the n=0"),
        (lambda: wilson(2, 5, level=95), r"level=95: must be a confidence level"),
        (lambda: wilson(2, 5, level=0), r"level=0: must be a confidence level"),
        (lambda: difference(11, 10, 3, 10), r"k1=11: more than the n1=10"),
        (lambda: difference(1, 10, 11, 10), r"k2=11: more than the n2=10"),
        (lambda: difference(1, 10, 1, 10.5), r"n2=10.5: must be a whole number"),
        (lambda: difference(1, 10, -1, 10), r"k2=-1: must be >= 0"),
        (lambda: mean_change(3, 3.0, 2.0), r"total_of_squares=2.0: less than total\*\*2 / n"),
        (lambda: mean_change(3, 1.0, -1.0), r"total_of_squares=-1.0: a sum of squares"),
        (lambda: mean_change(2.0, 1.0, 1.0), r"n=2.0: must be a whole number"),
        (lambda: mean_change(-2, 1.0, 1.0), r"n=-2: must be >= 0"),
        (lambda: mean_change(0, 1.0, 1.0), r"n=0: no patients, yet the sums are not 0"),
        (lambda: mean_change(1, 2.0, 5.0), r"one patient: must be total squared"),
        (lambda: mean_change(3, math.nan, 1.0), r"total=nan: must be finite"),
        (lambda: mean_change(3, 1.0, math.inf), r"total_of_squares=inf: must be finite"),
        (lambda: mean_change(3, "1", 1.0), r"total='1': must be a number"),
        (lambda: rate_per(-1, 10), r"events=-1: must be >= 0"),
        (lambda: rate_per(1, 10.0), r"exposure=10.0: must be a whole number"),
        (lambda: rate_per(2, 0), r"events=2: events with no exposure"),
        (lambda: rate_per(1, 10, per=0), r"per=0: must be a number > 0"),
        (lambda: quartiles([1.0, math.nan]), r"values\[1\]=nan: must be finite"),
        (lambda: quartiles([1.0, "2"]), r"values\[1\]='2': must be a number"),
        (lambda: suppressed(-1), r"n=-1: must be >= 0"),
        (lambda: suppressed(4.5), r"n=4.5: must be a whole number"),
    ],
)
def test_impossible_figures_are_refused_with_a_clear_message(call, message):
    with pytest.raises(RulesInputError, match=message) as refused:
        call()
    assert isinstance(refused.value, ValueError)


def test_numpy_integers_from_an_array_count_as_whole_numbers():
    counts = np.array([81, 263])
    assert four(wilson(counts[0], counts[1]).ci) == (0.2553, 0.3662)
