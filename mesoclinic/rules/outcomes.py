"""Outcome instruments (§5): score an answer set, compare it with baseline, count responders.

The scales are reference data (``data/instruments.toml``, see
:func:`load_instruments`); this module is the arithmetic, pure and typed. Answers
are a mapping: item key -> value for a multi-item scale (Hexsel), and ``{"value":
...}`` for a grade (its number or its code, "improved") or a measured value.
Anything missing, out of range or of the wrong type raises
:class:`RulesInputError` whose ``field`` is ``"<instrument>.<item>"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypeGuard

from .errors import RulesInputError
from .instruments import Band, Instrument, Instruments, Item, Option, ProtocolOutcomes, Score
from .loader.instruments import load_instruments

__all__ = [
    "ANSWER",
    "NO_RESPONDER_THRESHOLD",
    "Band",
    "Instrument",
    "Instruments",
    "Item",
    "Option",
    "ProtocolOutcomes",
    "Score",
    "has_grades",
    "improvement",
    "instrument",
    "load_instruments",
    "protocol_outcomes",
    "responder",
    "score",
]

ANSWER = "value"
NO_RESPONDER_THRESHOLD = (
    "no sourced responder threshold: the clinical reference (§5) gives none for this scale "
    "(measured values, pain NRS, satisfaction); report the change, not responders"
)


def instrument(slug: str, *, instruments: Instruments | None = None) -> Instrument:
    known = (instruments or load_instruments()).instruments
    if slug not in known:
        raise RulesInputError("instrument", slug, "unknown outcome instrument")
    return known[slug]


def protocol_outcomes(slug: str, *, instruments: Instruments | None = None) -> ProtocolOutcomes:
    known = (instruments or load_instruments()).protocol_outcomes
    if slug not in known:
        raise RulesInputError("protocol", slug, "unknown protocol")
    return known[slug]


def score(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    """Validate and score one answer set; see the module docstring for its shape."""
    expected = {i.key for i in instrument.items} if instrument.kind == "items" else {ANSWER}
    for key in answers:
        if key not in expected:
            raise RulesInputError(
                f"{instrument.slug}.{key}", answers[key], f"{instrument.name}: unknown answer"
            )
    if instrument.kind == "items":
        return _score_items(instrument, answers)
    if instrument.kind == "grade":
        return _score_grade(instrument, answers)
    return _score_numeric(instrument, answers)


def improvement(instrument: Instrument, baseline: Score | None, later: Score) -> float:
    """How much better ``later`` is; positive is better whichever way the scale runs.

    In grades for a grade scale, in points for a total, in the unit for a measured
    value. A scale rated against before treatment (GAIS) takes ``baseline=None``
    and counts grades better than its "no change" answer.
    """
    _check_belongs(instrument, later, "later")
    if instrument.relative_to is not None:
        if baseline is not None:
            raise RulesInputError(
                "baseline", baseline.display, f"{instrument.name} is rated against before "
                "treatment: it has no baseline score"
            )  # fmt: skip
        neutral = instrument.option(instrument.relative_to)
        assert neutral is not None  # checked at load
        start: float = neutral.value
    else:
        if baseline is None:
            raise RulesInputError("baseline", None, f"{instrument.name}: a baseline is needed")
        _check_belongs(instrument, baseline, "baseline")
        start = baseline.total
    change = float(later.total) - float(start)
    return -change if instrument.lower_is_better else change


def responder(
    instrument: Instrument, baseline: Score | None, later: Score, grades: int = 1
) -> bool | None:
    """At least ``grades`` grades better than baseline (points, for a total score).

    GAIS takes ``baseline=None``: 1 grade is "improved or better", 2 "much improved
    or better". ``None`` where no responder threshold is sourced
    (:data:`NO_RESPONDER_THRESHOLD`).
    """
    if isinstance(grades, bool) or not isinstance(grades, int) or grades < 1:
        raise RulesInputError("grades", grades, "count responders by 1 grade or more")
    if instrument.responder == "none":
        return None
    return improvement(instrument, baseline, later) >= grades


def has_grades(instrument: Instrument) -> bool:
    """Whether 1- and 2-grade responders both mean something (ordered grade scales)."""
    return instrument.responder == "grades"


def _check_belongs(instrument: Instrument, s: Score, field: str) -> None:
    if s.instrument != instrument.slug:
        raise RulesInputError(field, s.instrument, f"a {s.instrument} score, not {instrument.slug}")


def _score_items(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    values = {
        item.key: _choice(
            f"{instrument.slug}.{item.key}", item.label, item.options, answers, item.key
        ).value
        for item in instrument.items
    }
    total = sum(values.values())
    band = _band(instrument.bands, total)
    shown = f"{total} of {instrument.max_total}" + (f" ({band})" if band else "")
    return Score(instrument.slug, instrument.version, total, band, shown, values)


def _band(bands: tuple[Band, ...], total: int) -> str | None:
    return next((b.label for b in bands if b.low <= total <= b.high), None)


def _score_grade(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    field = f"{instrument.slug}.{ANSWER}"
    option = _choice(field, instrument.name, instrument.options, answers, ANSWER, by_code=True)
    return Score(
        instrument.slug,
        instrument.version,
        option.value,
        None,
        option.label,
        {ANSWER: option.value},
        option.code,
    )


def _choice(
    field: str,
    label: str,
    options: tuple[Option, ...],
    answers: Mapping[str, object],
    key: str,
    *,
    by_code: bool = False,
) -> Option:
    """The option answered, by its number (or, for a grade, its code)."""
    given = answers.get(key)
    for option in options:
        if by_code and isinstance(given, str) and given == option.code:
            return option
        if _is_number(given) and given == option.value:
            return option
    if by_code:
        choices = ", ".join(f"{o.value} {o.label.lower()}" for o in options)
        message = f"{label}: choose one of {choices}"
    else:
        message = f"{label}: choose {_or_list([str(o.value) for o in options])}"
    raise RulesInputError(
        field, given, f"{message}." if key in answers else f"{message} (missing)."
    )


def _score_numeric(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    field = f"{instrument.slug}.{ANSWER}"
    lo, hi = instrument.minimum, instrument.maximum
    assert lo is not None and hi is not None  # checked at load
    given = answers.get(ANSWER)
    whole = "a whole number" if instrument.integer else "a number"
    message = f"{instrument.name}: enter {whole} from {_fmt(lo)} to {_fmt(hi)} {instrument.unit}"
    if ANSWER not in answers:
        raise RulesInputError(field, given, f"{message} (missing).")
    if not _is_number(given) or not math.isfinite(given):
        raise RulesInputError(field, given, f"{message}.")
    if instrument.integer and given != int(given):
        raise RulesInputError(field, given, f"{message}; {_fmt(given)} is not a whole number.")
    if given > hi and instrument.maximum_reason:
        raise RulesInputError(field, given, f"{message}; {instrument.maximum_reason}.")
    if not lo <= given <= hi:
        raise RulesInputError(field, given, f"{message}.")
    value: int | float = int(given) if instrument.integer else float(given)
    shown = instrument.display.format(value=_fmt(value), unit=instrument.unit)
    return Score(instrument.slug, instrument.version, value, None, shown, {ANSWER: value})


def _is_number(value: object) -> TypeGuard[int | float]:
    # A bool is an int to Python, never an answer to a clinician.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _or_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
