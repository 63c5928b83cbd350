"""Numbers from callers, checked before the engine uses them: finite, in range, whole."""

from __future__ import annotations

import math

from .errors import RulesInputError


def number(fld: str, value: object, lo: float, hi: float, *, lo_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RulesInputError(fld, value, "expected a finite number")
    if (value <= lo if lo_open else value < lo) or value > hi:
        bound = f"> {lo:g}" if lo_open else f">= {lo:g}"
        raise RulesInputError(fld, value, f"must be {bound} and <= {hi:g}")
    return float(value)


def whole(fld: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RulesInputError(fld, value, f"expected a whole number {lo}-{hi}")
    return value
