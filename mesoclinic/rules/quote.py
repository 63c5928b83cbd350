"""A price range: products used per session plus the clinic's fees, over the course.

Low assumes the shortest course the protocol allows and that areas share visits;
high assumes the longest course and a visit per area session.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .limits import DIGITS
from .models import Quote
from .reference import Reference


@dataclass(frozen=True)
class QuoteItem:
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
        "Cosmetic mesotherapy is usually not covered by insurance (seeds 000, 004; "
        "clinical-reference.md §1).",
    ]
    low = high = 0.0
    for item in items:
        cost = product_cost(ref, item.products, item.volume_ml)
        if not item.products:
            notes.append("A custom formula is priced separately: its products are not included.")
        low += item.sessions_min * (pricing.area_fee_low * item.sides + cost)
        high += item.sessions_max * (pricing.area_fee_high * item.sides + cost)
    if items:
        low += pricing.visit_fee_low * max(i.sessions_min for i in items)
        high += pricing.visit_fee_high * sum(i.sessions_max for i in items)
    return Quote(pricing.currency, round(low, 2), round(high, 2), tuple(dict.fromkeys(notes)))
