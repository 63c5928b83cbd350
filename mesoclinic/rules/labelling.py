"""Labelled use: a product used as its regulator-approved label describes (grade A).

Anything else is off-label or compounded use, which consent states (§1: the FDA does
not regulate cosmetic mesotherapy; §3: deoxycholic acid is labelled for submental fat
only).
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import RulesInputError
from .loader import load_reference
from .reference import Reference


def labelled_use(products: Sequence[str], area: str, *, reference: Reference | None = None) -> bool:
    """True when one grade-A product, alone, is used in an area its label allows.

    A mixture of products, a formula given without products, a product graded B, C or
    seed, or a labelled product outside its labelled areas is not labelled use.
    """
    ref = reference or load_reference()
    if area not in ref.areas:
        raise RulesInputError("area", area, "unknown area")
    for slug in products:
        if slug not in ref.products:
            raise RulesInputError("products", slug, "unknown product slug")
    if len(products) != 1:
        return False
    product = ref.products[products[0]]
    if product.grade != "A":
        return False
    return all(
        area in limit.areas
        for slug in product.contents
        for limit in ref.ingredients[slug].limits_of("labelled_areas")
    )
