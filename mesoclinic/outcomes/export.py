"""The per-course rows behind the evidence table, pseudonymised (CSV, and the CLI)."""

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from mesoclinic.outcomes import evidence
from mesoclinic.rules import outcomes

COLUMNS = ["protocol", "outcome", "patient", "baseline", "final", "change", "responder"]


def pseudonym(patient_id: int) -> str:
    """The same patient always gets the same pseudonym in this installation; it cannot be
    turned back into the patient without the server's secret key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), str(patient_id).encode(), hashlib.sha256)
    return "P-" + digest.hexdigest()[:10]


def _number(value: Any) -> str:
    return "" if value is None else f"{float(value):g}"


def rows(filters: evidence.Filters) -> Iterator[list[str]]:
    """A header, then one row per course and side of each scale, with its change
    (positive = better) and whether it responded (1 grade or point; empty where the
    scale has no sourced responder threshold)."""
    yield COLUMNS
    scales = outcomes.load_instruments().instruments
    for unit in (
        evidence.units(filters).order_by("protocol", "instrument", "plan_id", "side").iterator()
    ):
        if filters.protocol and unit["protocol"] != filters.protocol:
            continue
        scale = scales.get(unit["instrument"])
        if scale is None:
            continue
        baseline, final = unit["b"], unit["f"]
        change, responder = "", ""
        if scale.relative_to is not None and final is not None:
            neutral = next(o.value for o in scale.options if o.code == scale.relative_to)
            step = -1 if scale.lower_is_better else 1
            change = _number((float(final) - neutral) * step)
            responder = "true" if (float(final) - neutral) * step >= 1 else "false"
        elif baseline is not None and final is not None:
            better = float(baseline) - float(final)
            better = better if scale.lower_is_better else -better
            change = _number(better)
            if scale.responder != "none":
                responder = "true" if better >= 1 else "false"
        yield [
            unit["protocol"],
            unit["instrument"],
            pseudonym(unit["patient_id"]),
            _number(baseline),
            _number(final),
            change,
            responder,
        ]
