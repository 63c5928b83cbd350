"""Running totals for the charting screen: what was given so far, checked against limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from . import findings as F
from .contraindications import allergy_findings, uncoded_allergy_findings
from .errors import RulesInputError
from .limits import DIGITS, Usage, check_usages
from .loader import load_reference
from .models import PatientProfile
from .profile import validate_profile
from .reference import Reference
from .results import Finding


class Administered(NamedTuple):
    """One charted injection run: a product slug (or an ingredient slug with its mg/mL)."""

    item: str
    volume_ml: float
    area: str
    injections: int
    mg_per_ml: float | None = None


def _usage(ref: Reference, row: Administered, i: int) -> Usage:
    where = f"administered[{i}]"
    if row.area not in ref.areas:
        raise RulesInputError(f"{where}.area", row.area, "unknown area")
    volume = row.volume_ml
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not 0 <= volume <= 1000:
        raise RulesInputError(f"{where}.volume_ml", volume, "expected 0-1000 mL")
    count = row.injections
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise RulesInputError(f"{where}.injections", count, "expected a whole number >= 0")
    if row.item in ref.products:
        if row.mg_per_ml is not None:
            raise RulesInputError(f"{where}.mg_per_ml", row.mg_per_ml, "a product has its own")
        formula = dict(ref.products[row.item].contents)
    elif row.item in ref.ingredients:
        conc = row.mg_per_ml
        if conc is None or isinstance(conc, bool) or not 0 < conc <= 1000:
            raise RulesInputError(f"{where}.mg_per_ml", conc, "an ingredient needs its mg/mL")
        formula = {row.item: float(conc)}
    else:
        raise RulesInputError(f"{where}.item", row.item, "unknown product or ingredient")
    return Usage(
        area=row.area,
        side=None,
        formula=formula,
        volume_ml=round(float(volume), DIGITS),
        injections=count,
        volume_per_point_ml=round(volume / count, DIGITS) if count else None,
    )


def check_session_doses(
    profile: PatientProfile,
    administered: Iterable[
        Administered | tuple[str, float, str, int] | tuple[str, float, str, int, float]
    ],
    *,
    reference: Reference | None = None,
    today: dt.date | None = None,
) -> list[Finding]:
    """Findings for one session's running totals: allergy and every per-session limit.

    Rows are summed per ingredient across areas, so the lidocaine in an HA booster
    and in a separate 1% ampoule count against one limit.
    """
    ref = reference or load_reference()
    facts = validate_profile(profile, ref, today or dt.date.today())
    rows = [Administered(*row) for row in administered]
    usages: Sequence[Usage] = [_usage(ref, row, i) for i, row in enumerate(rows)]
    out = uncoded_allergy_findings(ref, facts) if usages else []
    for u in usages:
        out += allergy_findings(ref, facts, u.formula, u.area, given=True)
    found, _ = check_usages(ref, usages, facts.weight_kg)
    return F.dedupe(out + found)
