"""Finding codes, one constructor, and the override rule.

Overridability follows clinical-reference's grades: A (label) never, B (study)
and C (practice) with a recorded reason. Seed-only findings are information.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from .models import OVERRIDABLE_GRADES, Finding, Override, OverrideOutcome, Severity
from .reference import Source

# Hard stops
ALLERGY = "ALLERGY"
# An allergy recorded as text nobody could match to a substance (grade A: not overridable).
ALLERGY_UNCODED = "ALLERGY_UNCODED"
PREGNANCY = "PREGNANCY"
BREASTFEEDING = "BREASTFEEDING"
SITE_INFECTION = "SITE_INFECTION"
DOSE_LIMIT = "DOSE_LIMIT"
INJECTION_COUNT_LIMIT = "INJECTION_COUNT_LIMIT"
VOLUME_LIMIT = "VOLUME_LIMIT"
VOLUME_PER_POINT_LIMIT = "VOLUME_PER_POINT_LIMIT"
SPACING_TOO_CLOSE = "SPACING_TOO_CLOSE"
KEEP_CLEAR_ZONE = "KEEP_CLEAR_ZONE"
AREA_NOT_INDICATED = "AREA_NOT_INDICATED"
INTERVAL_TOO_SHORT = "INTERVAL_TOO_SHORT"
COURSE_TOO_LONG = "COURSE_TOO_LONG"
WEIGHT_REQUIRED = "WEIGHT_REQUIRED"
# Warnings
# Any bleeding-risk medicine: anticoagulant, antiplatelet, NSAID, supplement (§4, §7).
ANTICOAGULANT = "ANTICOAGULANT"
MEDICATION_UNRECOGNISED = "MEDICATION_UNRECOGNISED"
NO_SOURCED_LIMIT = "NO_SOURCED_LIMIT"
FITZPATRICK_PIH = "FITZPATRICK_PIH"
AREA_NOT_ESTABLISHED = "AREA_NOT_ESTABLISHED"
AREA_OUTSIDE_PROTOCOL = "AREA_OUTSIDE_PROTOCOL"
CONCENTRATION_UNUSUAL = "CONCENTRATION_UNUSUAL"
CELLULITE_TRIGGER = "CELLULITE_TRIGGER"
NO_POINTS_FIT = "NO_POINTS_FIT"
# Condition warnings (BLEEDING_DISORDER, DYSPHAGIA, PRIOR_SURGERY, CANCER, ...) take
# their codes from conditions.toml.

# The quantities a smaller plan can bring back under their limit.
QUANTITATIVE = frozenset({DOSE_LIMIT, INJECTION_COUNT_LIMIT, VOLUME_LIMIT})


def make(
    code: str,
    severity: Severity,
    message: str,
    source: Source,
    grade: str,
    *,
    area: str | None = None,
    side: str | None = None,
    ingredient: str | None = None,
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        message=message,
        source=source.text,
        grade=grade,
        overridable=grade in OVERRIDABLE_GRADES,
        area=area,
        side=side,
        ingredient=ingredient,
    )


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Drop exact repeats (the same rule met by both sides of a paired area), keep order."""
    seen: set[Finding] = set()
    out = []
    for f in findings:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def apply_overrides(
    findings: Sequence[Finding], overrides: Sequence[Override]
) -> tuple[list[Finding], list[Finding], list[OverrideOutcome]]:
    """Split findings into (still active, overridden) and report what each override did.

    A grade-A finding is never overridden: it stays active and the outcome says
    "refused", so the screen can show the practitioner why their override failed.
    """
    overridden: set[int] = set()
    outcomes = []
    status: Literal["applied", "refused", "unmatched"]
    for ov in overrides:
        matches = [
            i
            for i, f in enumerate(findings)
            if f.code == ov.code and (ov.area is None or f.area == ov.area)
        ]
        allowed = [i for i in matches if findings[i].overridable]
        refused = [i for i in matches if not findings[i].overridable]
        overridden.update(allowed)
        if not matches:
            status, detail = "unmatched", f"no {ov.code} finding in this plan"
        elif refused:
            grades = sorted({findings[i].grade for i in refused})
            status = "refused"
            detail = (
                f"{ov.code} rests on grade {'/'.join(grades)} evidence and cannot be "
                "overridden; only grade-B and grade-C rules can"
            )
            if allowed:
                detail += f" ({len(allowed)} grade-B/C finding(s) with this code were overridden)"
        else:
            status, detail = "applied", f"overrode {len(allowed)} finding(s)"
        outcomes.append(OverrideOutcome(ov.code, ov.area, ov.reason, status, detail))
    active = [f for i, f in enumerate(findings) if i not in overridden]
    done = [f for i, f in enumerate(findings) if i in overridden]
    return active, done, outcomes
