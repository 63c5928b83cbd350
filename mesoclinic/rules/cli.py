"""`mesoclinic plan ...` / `python -m mesoclinic.rules plan ...`: a plan from the command line.

Exit 0 when a plan or a refusal (hard stops) was computed, 2 with one line on
stderr when the input is invalid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from .allergens import resolve_allergy
from .engine import build_plan
from .errors import ReferenceDataError, RulesInputError
from .exposure import Given
from .inputs import mix
from .loader import load_reference
from .models import Override, PatientProfile, TreatmentRequest
from .results import Plan

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the caller may be a script reading stderr.
        raise _UsageError(message)


def _patient_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weight-kg", type=float)
    p.add_argument("--sex", choices=["F", "M", "X"])
    p.add_argument("--birth-date", type=_date, metavar="YYYY-MM-DD")
    p.add_argument("--age", type=int)
    p.add_argument(
        "--jurisdiction",
        metavar="ISO",
        help="the clinic's ISO 3166-2 code, e.g. GB-ENG (cosmetic filler under 18 is illegal)",
    )
    p.add_argument("--pregnant", action="store_true")
    p.add_argument("--breastfeeding", action="store_true")
    p.add_argument(
        "--allergy",
        action="append",
        default=[],
        metavar="SLUG",
        help="an allergen or ingredient slug, e.g. amide-local-anaesthetics, soy, lidocaine",
    )
    p.add_argument(
        "--allergy-text",
        action="append",
        default=[],
        metavar="TEXT",
        help='an allergy as recorded, e.g. "Xylocaine (anaphylaxis)"; unmatched text stops',
    )
    p.add_argument("--medication", action="append", default=[], metavar="NAME")
    p.add_argument(
        "--condition", action="append", default=[], metavar="SLUG", help="e.g. diabetes, smoking"
    )
    p.add_argument("--infection", action="append", default=[], metavar="AREA")
    p.add_argument("--fitzpatrick", type=_fitzpatrick, metavar="I-VI")


def _treatment_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--area-cm2", action="append", default=[], metavar="AREA=CM2")
    p.add_argument("--side", action="append", default=[], metavar="AREA=left|right|both")
    p.add_argument(
        "--formula",
        metavar="INGREDIENT=STRENGTH,...",
        help="custom formula for every --treat; strengths in mg/mL or as 10 mg/mL, 1%%, 500 mcg/mL",
    )
    p.add_argument(
        "--product", action="append", default=[], metavar="SLUG", help="products for every --treat"
    )
    p.add_argument(
        "--prior-session",
        action="append",
        default=[],
        metavar="WHAT=YYYY-MM-DD",
        help="an earlier session: an area, or an ingredient, product or protocol given that day",
    )
    p.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="CODE[@AREA]=REASON",
        help="override a grade-B/C finding with a reason",
    )
    p.add_argument(
        "--confirmed-by",
        metavar="NAME",
        help="the second practitioner who confirmed a pregnancy or breastfeeding override",
    )
    p.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="first session (today)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="mesoclinic plan",
        description="Propose and check a mesotherapy plan. Hard stops are an answer (exit 0).",
    )
    p.add_argument(
        "--treat",
        action="append",
        required=True,
        metavar="CONCERN:AREA[:PROTOCOL]",
        help="what to treat where, e.g. localized-fat:submental (repeatable)",
    )
    _patient_options(p)
    _treatment_options(p)
    p.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    return p


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _fitzpatrick(text: str) -> int:
    value = ROMAN.get(text.upper()) or (int(text) if text.isdigit() else None)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected I-VI or 1-6, got {text!r}")
    return value


def _pairs(values: Sequence[str], option: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise _UsageError(f"{option} expects KEY=VALUE, got {value!r}")
        out.append((key.strip(), rest.strip()))
    return out


def _float(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _UsageError(f"{option}: not a number: {text!r}") from None


_STRENGTH = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>%|mg\s*/\s*ml|mcg\s*/\s*ml|µg\s*/\s*ml|"
    r"ug\s*/\s*ml|g\s*/\s*ml)?\s*$",
    re.IGNORECASE,
)
# mg/mL per unit; "%" is w/v as clinicians write it: 1% = 1 g per 100 mL = 10 mg/mL.
_PER_UNIT = {"": 1.0, "%": 10.0, "mg/ml": 1.0, "mcg/ml": 0.001, "µg/ml": 0.001, "ug/ml": 0.001}
_PER_UNIT["g/ml"] = 1000.0
UNITS_ACCEPTED = "a number in mg/mL, or with units: 10mg/ml, 10 mg/mL, 1% (w/v), 500 mcg/mL"


def concentration(text: str, option: str = "--formula") -> float:
    """A strength as clinicians write it, in mg/mL: 10, 10 mg/mL, 1%, 500 mcg/mL."""
    match = _STRENGTH.match(text)
    if match is None:
        raise _UsageError(f"{option}: cannot read the strength {text!r}; give {UNITS_ACCEPTED}")
    unit = re.sub(r"\s+", "", (match["unit"] or "").lower())
    return round(float(match["n"]) * _PER_UNIT[unit], 6)


def _formula(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    parts = [p for p in text.split(",") if p.strip()]
    return {k: concentration(v) for k, v in _pairs(parts, "--formula")}


def _requests(args: argparse.Namespace) -> list[TreatmentRequest]:
    cm2 = {k: _float(v, "--area-cm2") for k, v in _pairs(args.area_cm2, "--area-cm2")}
    sides = dict(_pairs(args.side, "--side"))
    prior: dict[str, list[dt.date]] = {}
    ref = load_reference()
    for area, day in _pairs(args.prior_session, "--prior-session"):
        if area not in ref.areas:
            continue  # an ingredient or protocol: see _history
        prior.setdefault(area, []).append(_prior_day(day))
    formula = _formula(args.formula)
    out = []
    for spec in args.treat:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise _UsageError(f"--treat expects CONCERN:AREA[:PROTOCOL], got {spec!r}")
        concern, area = parts[0], parts[1]
        out.append(
            TreatmentRequest(
                concern=concern,
                area=area,
                protocol=parts[2] if len(parts) == 3 else None,
                formula=formula,
                products=args.product or None,
                area_cm2=cm2.get(area),
                side=sides.get(area),
                prior_sessions=tuple(prior.get(area, ())),
            )
        )
    return out


def _prior_day(day: str) -> dt.date:
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        raise _UsageError(f"--prior-session: not a date: {day!r}") from None


def _history(values: Sequence[str]) -> list[Given]:
    """--prior-session INGREDIENT=DATE or PROTOCOL=DATE: a session that gave it, any plan."""
    ref = load_reference()
    out = []
    for i, (name, day) in enumerate(_pairs(values, "--prior-session")):
        if name in ref.areas:
            continue
        if name in ref.ingredients:
            formula = {name: 1.0}
        elif name in ref.protocols:
            proto = ref.protocols[name]
            formula = mix(proto.products, ref) if proto.products else dict(proto.formula)
        elif name in ref.products:
            formula = dict(ref.products[name].contents)
        else:
            raise _UsageError(
                f"--prior-session: {name!r} is not an area, ingredient, product or protocol"
            )
        at = dt.datetime.combine(_prior_day(day), dt.time(12))
        out.append(Given(session=f"prior-{i}", at=at, formula=formula, volume_ml=1.0))
    return out


def _overrides(values: Sequence[str], confirmed_by: str | None = None) -> list[Override]:
    out = []
    for key, reason in _pairs(values, "--override"):
        code, _, area = key.partition("@")
        out.append(Override(code, reason, area or None, confirmed_by=confirmed_by))
    return out


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _print_findings(plan: Plan, w: Callable[[str], object]) -> None:
    if plan.hard_stops:
        w("HARD STOPS (the plan must not go ahead as proposed)\n")
        for f in plan.hard_stops:
            w(f"  [{f.code}] {f.message}\n      source: {f.source} (grade {f.grade})\n")
    if plan.proposal is not None:
        w(f"PROPOSAL\n  {plan.proposal.message}\n")
    if plan.warnings:
        w("WARNINGS\n")
        for f in plan.warnings:
            w(f"  [{f.code}] {f.message}\n      source: {f.source} (grade {f.grade})\n")
    for o in plan.overrides:
        w(f"OVERRIDE {o.code}: {o.status}: {o.detail} (reason: {o.reason})\n")


def _print_treatment(plan: Plan, w: Callable[[str], object]) -> None:
    w("AREAS\n")
    for a in plan.areas:
        where = f"{a.area} ({a.side})" if a.side else a.area
        w(f"  {where}: {a.concern}, protocol {a.protocol}, {a.technique}")
        if a.depth_mm is not None:
            w(f" at {a.depth_mm:g} mm, {len(a.points)} points {a.spacing_mm:g} mm apart")
            w(f" x {a.volume_per_point_ml:g} mL")
        w(f" = {a.total_volume_ml:g} mL\n")
    w("DOSES PER SESSION\n")
    for d in plan.doses:
        amount = (
            f"{d.mg_per_session:g} mg"
            if d.mg_per_session is not None
            else f"{d.ml_per_session:g} mL"
        )
        limit = f"limit {d.limit_mg:g} mg; " if d.limit_mg is not None else ""
        w(f"  {d.name}: {amount} ({limit}{d.basis})\n")


def print_plan(plan: Plan, out: TextIO) -> None:
    """The readable form: what a practitioner reads before the first injection."""
    w = out.write
    _print_findings(plan, w)
    _print_treatment(plan, w)
    w("SCHEDULE\n")
    for s in plan.schedule:
        w(f"  {s.session:>2}  {s.date.isoformat()}  {', '.join(s.areas)}\n")
    for fu in plan.follow_ups:
        w(f"  follow-up {fu.date.isoformat()} ({fu.area}, after session {fu.after_session})\n")
    q = plan.quote
    w(f"QUOTE  {q.currency} {_money(q.low)} - {_money(q.high)}\n")
    w("AFTERCARE\n")
    for line in plan.aftercare:
        w(f"  - {line}\n")


def _allergies(names: Sequence[str]) -> list[str]:
    """--allergy NAME: a slug, or a substance, brand or class in words (Xylocaine, soy);
    a name nothing matches exits 2 naming it (use --allergy-text to record it as a stop)."""
    ref = load_reference()
    out: list[str] = []
    for name in names:
        if name in ref.allergens:
            out.append(name)
            continue
        match = resolve_allergy(name)
        if not match.resolved:
            raise _UsageError(
                f"--allergy: {name!r} is not a known substance, brand or class "
                "(record it with --allergy-text to stop treatment until it is coded)"
            )
        out += match.allergens
    return out


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["plan"]:
        args_list = args_list[1:]
    try:
        args = _parser().parse_args(args_list)
        matches = [resolve_allergy(text) for text in args.allergy_text]
        allergy_slugs = [slug for m in matches for slug in m.allergens]
        unresolved = [m.text for m in matches if not m.resolved]
        profile = PatientProfile(
            weight_kg=args.weight_kg,
            birth_date=args.birth_date,
            age=args.age,
            sex=args.sex,
            pregnant=args.pregnant,
            breastfeeding=args.breastfeeding,
            jurisdiction=args.jurisdiction,
            allergies=[*_allergies(args.allergy), *allergy_slugs],
            unresolved_allergies=unresolved,
            medications=args.medication,
            conditions=args.condition,
            infected_areas=args.infection,
            fitzpatrick=args.fitzpatrick,
        )
        plan = build_plan(
            profile,
            _requests(args),
            start=args.start,
            overrides=_overrides(args.override, args.confirmed_by),
            history=_history(args.prior_session),
        )
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except (_UsageError, RulesInputError, ReferenceDataError) as exc:
        print(f"mesoclinic plan: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(plan.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print_plan(plan, sys.stdout)
    return 0
