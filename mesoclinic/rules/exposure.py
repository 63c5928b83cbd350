"""What the patient actually received, checked against every limit (clinical-reference §7).

The planner checks one plan; this module checks the patient. Its input is the
patient's charted history, one :class:`Given` per charted row (signed and in
progress, planned and ad hoc, any plan, any site; numbing creams too), and the rows
of the session being charted. :func:`check_exposure` reports:

- per session: every per-session limit over the session's rows (as the planner);
- per rolling window: limits with ``window_hours`` (lidocaine: every source within
  24 h, plain and with epinephrine summed) over every session in the window;
- per course: ``max_sessions`` counted over every charted session that carried the
  ingredient (not per plan), this one included;
- interval: ``min_interval_days`` since the last charted session with the ingredient;
- who and how: allergy, minimum age, route and depth (deoxycholic acid only into
  subcutaneous fat), depth outside the technique's range.

Each finding that counts earlier sessions names them, so the practitioner sees why.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from . import findings as F
from .contraindications import (
    age_findings,
    allergy_findings,
    route_findings,
    uncoded_allergy_findings,
)
from .errors import RulesInputError
from .limits import DIGITS, EarlierSession, Usage, applies, check_usages, check_window
from .loader import load_reference
from .models import PatientProfile
from .profile import ProfileFacts, validate_profile
from .reference import Ingredient, Limit, Reference
from .results import DoseLine, Finding

MAX_ROW_ML = 1000.0


@dataclass(frozen=True)
class Given:
    """One charted row: what went in, how much, where, when and in which session.

    ``formula`` is mg/mL per ingredient (a product's contents, or an ingredient with
    its strength); a topical cream counts its grams as mL. ``session`` is any stable
    id; ``label`` is how a person names the session ("12 Nov 2026 10:40").
    """

    session: str
    at: dt.datetime
    formula: Mapping[str, float]
    volume_ml: float
    injections: int = 0
    area: str = ""
    side: str | None = None
    technique: str | None = None
    depth_mm: float | None = None
    product: str | None = None
    protocol: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.at, dt.datetime):
            raise RulesInputError("given.at", self.at, "expected a date and time")
        volume = self.volume_ml
        if isinstance(volume, bool) or not isinstance(volume, int | float):
            raise RulesInputError("given.volume_ml", volume, "expected a number of mL")
        if not math.isfinite(volume) or not 0 <= volume <= MAX_ROW_ML:
            raise RulesInputError("given.volume_ml", volume, f"expected 0-{MAX_ROW_ML:g} mL")
        count = self.injections
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise RulesInputError("given.injections", count, "expected a whole number >= 0")
        object.__setattr__(self, "formula", MappingProxyType(dict(self.formula)))


def given_product(
    product: str, volume_ml: float, *, reference: Reference | None = None, **fields: object
) -> Given:
    """A :class:`Given` for a catalogue product, with its contents as the formula."""
    ref = reference or load_reference()
    if product not in ref.products:
        raise RulesInputError("given.product", product, "unknown product")
    contents = dict(ref.products[product].contents)
    return Given(formula=contents, volume_ml=volume_ml, product=product, **fields)  # type: ignore[arg-type]


def _validate(ref: Reference, rows: Iterable[Given]) -> list[Given]:
    out = []
    for row in rows:
        if not isinstance(row, Given):
            raise RulesInputError("history", row, "expected Given rows")
        for slug, conc in row.formula.items():
            if slug not in ref.ingredients:
                raise RulesInputError("given.formula", slug, "unknown ingredient")
            if isinstance(conc, bool) or not isinstance(conc, int | float) or conc < 0:
                raise RulesInputError("given.formula", conc, "expected mg/mL >= 0")
        if row.area and row.area not in ref.areas:
            raise RulesInputError("given.area", row.area, "unknown area")
        if row.technique is not None and row.technique not in ref.techniques:
            raise RulesInputError("given.technique", row.technique, "unknown technique")
        out.append(row)
    return out


def _usage(row: Given) -> Usage:
    return Usage(
        area=row.area,
        side=row.side,
        formula=row.formula,
        volume_ml=round(float(row.volume_ml), DIGITS),
        injections=row.injections,
        volume_per_point_ml=round(row.volume_ml / row.injections, DIGITS)
        if row.injections
        else None,
    )


def _when(row: Given) -> str:
    return row.label or f"{row.at:%d %b %Y %H:%M}"


def _sessions(rows: Iterable[Given]) -> dict[str, list[Given]]:
    out: dict[str, list[Given]] = {}
    for row in rows:
        out.setdefault(row.session, []).append(row)
    return out


def earlier_sessions(history: Iterable[Given]) -> list[EarlierSession]:
    """The history as the planner's course check reads it: per session, its date and
    formulas."""
    out = []
    for rows in _sessions(history).values():
        first = min(r.at for r in rows)
        out.append((first.date(), tuple(r.formula for r in rows if r.volume_ml > 0)))
    return sorted(out, key=lambda e: e[0])


def _carries(rows: Sequence[Given], lim: Limit, slug: str) -> bool:
    """The session gave the ingredient in a formula the limit applies to."""
    return any(row.formula.get(slug, 0.0) > 0 and applies(lim, slug, row.formula) for row in rows)


def _allergies(ref: Reference, facts: ProfileFacts, rows: Sequence[Given]) -> list[Finding]:
    out = uncoded_allergy_findings(ref, facts) if rows else []
    for row in rows:
        out += allergy_findings(ref, facts, row.formula, row.area, given=True)
    return out


def _route(ref: Reference, rows: Sequence[Given]) -> list[Finding]:
    out = []
    for row in rows:
        if row.technique is not None:
            out += route_findings(ref, row.formula, row.technique, row.depth_mm, row.area or None)
    return out


def _states(ref: Reference, facts: ProfileFacts, rows: Sequence[Given]) -> list[Finding]:
    """Pregnancy, breastfeeding and site infection, for what is actually charted (a product
    may differ from the plan's)."""
    out = []
    for row in rows:
        where = ref.areas[row.area].name if row.area else "a numbing cream"
        if row.area and row.area in facts.infected_areas:
            out.append(
                F.make(
                    F.SITE_INFECTION,
                    "stop",
                    f"Infection at the injection site: do not treat {where} until it has cleared.",
                    ref.sources["site-infection"],
                    "A",
                    area=row.area,
                )
            )
        for state, code, active in (
            ("pregnancy", F.PREGNANCY, facts.pregnant),
            ("breastfeeding", F.BREASTFEEDING, facts.breastfeeding),
        ):
            if not active:
                continue
            for slug in sorted(row.formula):
                if getattr(ref.ingredients[slug], state) == "stop":
                    out.append(
                        F.make(
                            code,
                            "stop",
                            f"{ref.ingredients[slug].name} must not be used during {state} "
                            f"({where}).",
                            ref.sources["pregnancy"],
                            "B",
                            area=row.area or None,
                            ingredient=slug,
                        )
                    )
    return out


def _depths(ref: Reference, rows: Sequence[Given]) -> list[Finding]:
    out = []
    for row in rows:
        if row.technique is None or row.depth_mm is None:
            continue
        tech = ref.techniques[row.technique]
        if tech.depth_min_mm is None or tech.depth_max_mm is None:
            continue
        if not tech.depth_min_mm <= row.depth_mm <= tech.depth_max_mm:
            out.append(
                F.make(
                    F.DEPTH_OUTSIDE_TECHNIQUE,
                    "warning",
                    f"{row.depth_mm:g} mm is outside the usual {tech.name.lower()} depth of "
                    f"{tech.depth_min_mm:g}-{tech.depth_max_mm:g} mm "
                    f"({ref.areas[row.area].name if row.area else 'this area'}).",
                    tech.source,
                    tech.grade,
                    area=row.area or None,
                )
            )
    return out


def _course_and_interval(
    ing: Ingredient,
    current: Sequence[Given],
    earlier: Mapping[str, list[Given]],
    today: dt.date,
) -> list[Finding]:
    out: list[Finding] = []
    slug = ing.slug
    for lim in ing.limits:
        if lim.value is None or lim.kind not in ("max_sessions", "min_interval_days"):
            continue
        if not _carries(current, lim, slug):
            continue
        before = sorted(
            (rows[0].at, _when(rows[0]))
            for rows in earlier.values()
            if rows and _carries(rows, lim, slug)
        )
        if not before:
            continue
        if lim.kind == "max_sessions":
            total = len(before) + 1
            if total > lim.value:
                listed = ", ".join(label for _, label in before)
                out.append(
                    F.make(
                        F.COURSE_TOO_LONG,
                        "warning" if lim.grade == "C" else "stop",
                        f"{ing.name}: this would be treatment {total}; at most "
                        f"{lim.value:g} are allowed ({lim.note}). Already given: {listed}.",
                        lim.source,
                        lim.grade,
                        ingredient=slug,
                    )
                )
        else:
            last_at, last_label = before[-1]
            since = (today - last_at.date()).days
            if since < lim.value:
                earliest = last_at.date() + dt.timedelta(days=int(lim.value))
                out.append(
                    F.make(
                        F.INTERVAL_TOO_SHORT,
                        "warning" if lim.grade == "C" else "stop",
                        f"{ing.name}: last given {last_label}, {since} day"
                        f"{'' if since == 1 else 's'} ago; at least {lim.value:g} days are "
                        f"needed ({lim.note}). Earliest next treatment: "
                        f"{earliest:%d %b %Y}.",
                        lim.source,
                        lim.grade,
                        ingredient=slug,
                    )
                )
    return out


def _window(
    ref: Reference,
    facts: ProfileFacts,
    current: Sequence[Given],
    earlier: Sequence[Given],
    now: dt.datetime,
) -> list[Finding]:
    hours = {
        lim.window_hours
        for row in current
        for slug in row.formula
        for lim in ref.ingredients[slug].limits
        if lim.window_hours
    }
    out: list[Finding] = []
    for h in sorted(hours):
        start = now - dt.timedelta(hours=h)
        recent = [row for row in earlier if start < row.at <= now]
        if not recent:
            continue  # the per-session check already covers this session alone
        sessions = ", ".join(dict.fromkeys(_when(r) for r in sorted(recent, key=lambda r: r.at)))
        period = f"within {h} hours (with earlier sessions: {sessions})"
        usages = [_usage(r) for r in [*recent, *current]]
        out += check_window(ref, usages, facts.weight_kg, period)
    return out


def check_exposure(
    profile: PatientProfile,
    history: Iterable[Given],
    current: Iterable[Given],
    *,
    now: dt.datetime,
    reference: Reference | None = None,
) -> list[Finding]:
    """Every limit over what the patient received: ``current`` is this session's rows
    (charted so far, or what is about to be charted), ``history`` every other session's.

    Rows of ``history`` in the current session's id are ignored, so a caller may pass the
    patient's whole record.
    """
    ref = reference or load_reference()
    if not isinstance(now, dt.datetime):
        raise RulesInputError("now", now, "expected a date and time")
    facts = validate_profile(profile, ref, now.date())
    rows = _validate(ref, current)
    ids = {row.session for row in rows}
    earlier = [row for row in _validate(ref, history) if row.session not in ids]
    out: list[Finding] = []
    out += _allergies(ref, facts, rows)
    out += age_findings(ref, facts, sorted({slug for row in rows for slug in row.formula}))
    out += _states(ref, facts, rows)
    out += _route(ref, rows)
    out += _depths(ref, rows)
    found, _ = check_usages(ref, [_usage(r) for r in rows], facts.weight_kg)
    out += found
    out += _window(ref, facts, rows, earlier, now)
    by_session = _sessions(earlier)
    for slug in sorted({slug for row in rows for slug in row.formula}):
        out += _course_and_interval(ref.ingredients[slug], rows, by_session, now.date())
    return F.dedupe(out)


def session_totals(
    profile: PatientProfile,
    current: Iterable[Given],
    *,
    reference: Reference | None = None,
    today: dt.date | None = None,
) -> list[DoseLine]:
    """Per ingredient, what this session gave and the limit it is held to (the sign-off
    summary)."""
    ref = reference or load_reference()
    facts = validate_profile(profile, ref, today or dt.date.today())
    rows = _validate(ref, current)
    _, lines = check_usages(ref, [_usage(r) for r in rows], facts.weight_kg)
    return lines
