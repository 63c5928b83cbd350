"""Constants and small helpers shared by the rules tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

START = dt.date(2026, 3, 2)  # a Monday
TODAY = dt.date(2026, 3, 1)


def codes(findings: Iterable[Any]) -> list[str]:
    return [f.code for f in findings]
