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


# --- the table: the evidence page's figures, as JSON (the command) and CSV ------------


def _interval(ci: Any) -> list[float] | None:
    return None if ci is None else [round(ci.low, 4), round(ci.high, 4)]


def _outcome(o: evidence.OutcomeFigures) -> dict[str, Any]:
    hidden = o.suppressed
    responders = None if hidden or o.responders is None else o.responders
    change = None if hidden or o.mean_change is None else o.mean_change
    return {
        "slug": o.instrument.slug,
        "name": o.instrument.name,
        "primary": o.primary,
        "n_started": o.n_started,
        "n_baseline": o.n_baseline,
        "n_final": o.n_final,
        "n_lost": o.n_lost,
        "n_in_course": o.n_ongoing,
        "suppressed": hidden,
        "responders": responders.k if responders else None,
        "responder_rate": responders.rate if responders else None,
        "responder_ci": _interval(responders.ci) if responders else None,
        "mean_change": change.mean if change else None,
        "mean_change_ci": _interval(change.ci) if change else None,
    }


def figures(p: evidence.ProtocolFigures) -> dict[str, Any]:
    events = p.events
    return {
        "slug": p.slug,
        "name": p.name,
        "courses": p.courses,
        "patients": p.patients,
        "sessions": p.sessions,
        "outcomes": [_outcome(o) for o in p.outcomes],
        "adverse_events": {
            "events": events.events if events else 0,
            "per_100_sessions": events.rate if events else None,
            "ci": _interval(events.ci) if events else None,
        },
    }


TABLE_COLUMNS = [
    "protocol", "outcome", "primary", "n_started", "n_baseline", "n_final", "n_in_course",
    "n_lost", "responders", "responder_rate", "responder_ci_low", "responder_ci_high",
    "mean_change", "mean_change_ci_low", "mean_change_ci_high", "adverse_events_per_100_sessions",
    "adverse_events_ci_low", "adverse_events_ci_high",
]  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def table(found: list[evidence.ProtocolFigures]) -> Iterator[list[str]]:
    """The evidence table as rows: one per protocol and outcome; suppressed cells empty."""
    yield TABLE_COLUMNS
    for p in found:
        shown = figures(p)
        events = shown["adverse_events"]
        ae_ci = events["ci"] or [None, None]
        for o in shown["outcomes"]:
            r_ci = o["responder_ci"] or [None, None]
            m_ci = o["mean_change_ci"] or [None, None]
            row = [
                shown["slug"], o["slug"], o["primary"], o["n_started"], o["n_baseline"],
                o["n_final"], o["n_in_course"], o["n_lost"], o["responders"],
                o["responder_rate"], *r_ci, o["mean_change"], *m_ci,
                events["per_100_sessions"], *ae_ci,
            ]  # fmt: skip
            yield [_cell(v) for v in row]
