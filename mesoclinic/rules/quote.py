"""A price range: products used per session plus the clinic's fees, over the course.

Low assumes the shortest course the protocol allows and that areas share visits;
high assumes the longest course and a visit per area session.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .limits import DIGITS
from .reference import Reference
from .results import Quote, QuoteLine, VisitFee


@dataclass(frozen=True)
class QuoteItem:
    area: str
    products: tuple[str, ...]
    volume_ml: float  # formula used per session, all sides together
    sides: int
    sessions_min: int
    sessions_max: int


def product_cost(ref: Reference, products: Sequence[str], volume_ml: float) -> float:
    """Cost of the vials one session opens. A vial is never carried to the next session:
    clinical-reference §6 traces outbreaks to multi-dose vials."""
    if not products or volume_ml <= 0:
        return 0.0
    mix_ml = sum(ref.products[p].vial_ml for p in products)
    sets = math.ceil(round(volume_ml / mix_ml, DIGITS))
    return sets * sum(ref.products[p].price for p in products)


def build_quote(ref: Reference, items: Sequence[QuoteItem]) -> Quote:
    pricing = ref.pricing
    notes = [
        f"Fees: visit {pricing.visit_fee_low:g}-{pricing.visit_fee_high:g}, area "
        f"{pricing.area_fee_low:g}-{pricing.area_fee_high:g} {pricing.currency} per session "
        f"(grade C, practice default): {pricing.source.text}.",
        "Cosmetic mesotherapy is usually not covered by insurance (Clinical reference §1: "
        "the mesotherapy overview and the article “Mesotherapy: what to know”).",
    ]
    lines = []
    for item in items:
        cost = product_cost(ref, item.products, item.volume_ml)
        if not item.products:
            notes.append("A custom formula is priced separately: its products are not included.")
        session_low = round(pricing.area_fee_low * item.sides + cost, 2)
        session_high = round(pricing.area_fee_high * item.sides + cost, 2)
        lines.append(
            QuoteLine(
                area=item.area,
                products=item.products,
                sides=item.sides,
                volume_ml=item.volume_ml,
                product_cost=round(cost, 2),
                session_low=session_low,
                session_high=session_high,
                sessions_min=item.sessions_min,
                sessions_max=item.sessions_max,
                course_low=round(item.sessions_min * session_low, 2),
                course_high=round(item.sessions_max * session_high, 2),
            )
        )
    visits_min = max((i.sessions_min for i in items), default=0)
    visits_max = sum(i.sessions_max for i in items)
    visit_fee = VisitFee(
        visits_min=visits_min,
        visits_max=visits_max,
        low=round(pricing.visit_fee_low * visits_min, 2),
        high=round(pricing.visit_fee_high * visits_max, 2),
    )
    low = sum(line.course_low for line in lines) + visit_fee.low
    high = sum(line.course_high for line in lines) + visit_fee.high
    return Quote(
        pricing.currency,
        round(low, 2),
        round(high, 2),
        tuple(dict.fromkeys(notes)),
        tuple(lines),
        visit_fee,
    )
