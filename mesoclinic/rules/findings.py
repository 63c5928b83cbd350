"""Finding codes, one constructor, and the override rule.

Overridability follows clinical-reference's grades: A (label) never, B (study)
and C (practice) with a recorded reason. Seed-only findings are information.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

from .models import OVERRIDABLE_GRADES, Override, Severity
from .reference import Source
from .results import Finding, OverrideOutcome

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
ROUTE_NOT_SUBCUTANEOUS = "ROUTE_NOT_SUBCUTANEOUS"
AGE_BELOW_LABEL = "AGE_BELOW_LABEL"
MINOR = "MINOR"
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
DEPTH_OUTSIDE_TECHNIQUE = "DEPTH_OUTSIDE_TECHNIQUE"
CUSTOM_MIXTURE = "CUSTOM_MIXTURE"
# Condition warnings (BLEEDING_DISORDER, DYSPHAGIA, PRIOR_SURGERY, CANCER, ...) take
# their codes from conditions.toml.

# How each code reads to a person (screens never show the code itself).
TITLES = {
    ALLERGY: "Allergy",
    PREGNANCY: "Pregnancy",
    BREASTFEEDING: "Breastfeeding",
    SITE_INFECTION: "Infection at the site",
    DOSE_LIMIT: "Dose limit",
    INJECTION_COUNT_LIMIT: "Number of injections",
    VOLUME_LIMIT: "Volume limit",
    VOLUME_PER_POINT_LIMIT: "Volume per injection",
    SPACING_TOO_CLOSE: "Spacing",
    KEEP_CLEAR_ZONE: "Keep-clear zone",
    AREA_NOT_INDICATED: "Area not indicated",
    INTERVAL_TOO_SHORT: "Too soon after the last treatment",
    COURSE_TOO_LONG: "Course length",
    WEIGHT_REQUIRED: "Weight needed",
    ROUTE_NOT_SUBCUTANEOUS: "Subcutaneous only",
    AGE_BELOW_LABEL: "Age",
    MINOR: "Patient under 18",
    ANTICOAGULANT: "Bleeding risk",
    NO_SOURCED_LIMIT: "No sourced limit: practitioner judgement",
    FITZPATRICK_PIH: "Skin type",
    AREA_NOT_ESTABLISHED: "Use not established",
    AREA_OUTSIDE_PROTOCOL: "Outside the protocol",
    CONCENTRATION_UNUSUAL: "Unusual concentration",
    CELLULITE_TRIGGER: "Cellulite triggers",
    NO_POINTS_FIT: "No points fit",
    DEPTH_OUTSIDE_TECHNIQUE: "Depth",
    CUSTOM_MIXTURE: "Custom mixture",
}


def title(code: str) -> str:
    """A finding code in plain words (conditions' codes read as their words)."""
    return TITLES.get(code) or code.replace("_", " ").capitalize()


# Overrides of these stops need a second practitioner (or the patient's acknowledgement).
SECOND_CONFIRMATION = frozenset({PREGNANCY, BREASTFEEDING})

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
        if ov.code in SECOND_CONFIRMATION and not (ov.confirmed_by or "").strip():
            outcomes.append(
                OverrideOutcome(
                    ov.code,
                    ov.area,
                    ov.reason,
                    "refused",
                    "overriding a pregnancy or breastfeeding stop needs a second "
                    "practitioner's confirmation (in a single-practitioner clinic, the "
                    "patient's signed acknowledgement of the risk)",
                )
            )
            continue
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


# "x", "ok", "asdf" are not reasons: a recorded override must say why, as a sentence.
_WORD = re.compile(r"[^\W\d_]{2,}")
MIN_REASON_WORDS = 3
MIN_REASON_CHARS = 15


def reason_problem(text: str) -> str | None:
    """Why a recorded reason is not one (None when it reads as a real sentence)."""
    words = _WORD.findall(text or "")
    distinct = {w.lower() for w in words}
    if len((text or "").strip()) < MIN_REASON_CHARS or len(words) < MIN_REASON_WORDS:
        return (
            "Give the reason as a sentence of at least three words, for example "
            "“tolerated 2,600 mg at the last two sessions, patient informed”."
        )
    if len(distinct) < 2:
        return "The reason repeats one word: say why the limit is passed."
    return None
