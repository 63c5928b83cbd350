"""The chain's treatment plans: a few templates, each run once through the rules engine."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from mesoclinic import rules

# Treatment plans: (weight, items); each is run once through the rules engine.
PLAN_TEMPLATES = [
    (4, [("skin-rejuvenation", "cheeks"), ("skin-rejuvenation", "forehead")]),
    (3, [("hair-loss", "scalp")]),
    (3, [("cellulite", "thighs-outer"), ("cellulite", "buttocks")]),
    (3, [("localized-fat", "submental")]),
    (2, [("localized-fat", "abdomen"), ("localized-fat", "flanks")]),
    (2, [("texture", "cheeks")]),
    (1, [("facial-symmetry", "cheeks")]),
    (1, [("pain", "back")]),
]


@dataclass
class Template:
    items: list
    result: str
    content_hash: str
    consent_text: str
    areas: list  # (area, side, technique, product, depth, needle length, ml per point, points)
    sessions: int
    aftercare: str
    protocols: list  # (protocol, its first area), each protocol once, in the plan's order


def build_templates(start: dt.date) -> list[Template]:
    profile = rules.PatientProfile(
        weight_kg=65, birth_date=dt.date(1985, 4, 1), sex="F", fitzpatrick=3
    )
    templates = []
    for _, pairs in PLAN_TEMPLATES:
        items = [{"concern": c, "area": a} for c, a in pairs]
        result = rules.build_plan(
            profile, [rules.TreatmentRequest(c, a) for c, a in pairs], start=start
        ).to_dict()
        areas = [
            (
                a["area"],
                a["side"] or "",
                a["technique"],
                a["products"][0],
                a["depth_mm"],
                (a.get("needle") or {}).get("length_mm"),
                a["volume_per_point_ml"],
                a["points"],
            )
            for a in result["areas"]
        ][:3]
        protocols: dict[str, str] = {}
        for a in result["areas"]:
            if a.get("protocol"):
                protocols.setdefault(a["protocol"], a["area"])
        text = _consent_text(result)
        blob = json.dumps(result, separators=(",", ":"))
        templates.append(
            Template(
                items=items,
                result=blob,
                content_hash=hashlib.sha256(blob.encode()).hexdigest(),
                consent_text=text,
                areas=areas,
                sessions=len(result["schedule"]),
                aftercare=json.dumps(result["aftercare"]),
                protocols=list(protocols.items()),
            )
        )
    return templates


def _consent_text(result: dict) -> str:
    ref = rules.load_reference()
    areas = ", ".join(ref.areas[a["area"]].name for a in result["areas"])
    lines = [
        "1. What is proposed",
        f"Mesotherapy of: {areas}, in {len(result['schedule'])} sessions.",
        "2. What is known about it",
        "Mesotherapy has no proven clinical efficacy for many of its uses.",
        "3. Risks",
        "Bruising, swelling, redness, pain, nodules, infection, allergic reaction.",
        "4. Aftercare",
        *result["aftercare"],
        "5. Withdrawal",
        "You may stop the course at any time without giving a reason.",
    ]
    return "\n".join(lines)
