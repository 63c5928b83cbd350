"""A plan's exact quote from the clinic's price list (registered in plans.quote_hooks).

Per area line: the area's per-session price (any treatment) x sides, plus each product
billed by use x the units the engine's volume opens (whole vials, as the engine counts),
rounded to the cent; the course is that per-session amount x the sessions, a range only
where the number of sessions is a range. A line whose area has no price yet is listed in
`unpriced` and counted as nothing: a price is never invented. Consultation (per visit)
takes the engine's visit range. Tax follows the clinic's `prices_include_tax`.
"""

import math
from decimal import Decimal
from typing import Any

from mesoclinic import rules
from mesoclinic.accounts.models import Organization
from mesoclinic.billing import prices
from mesoclinic.billing.money import HUNDRED, ZERO, cents
from mesoclinic.tenancy import acting_for


def _units(ref: Any, products: list[str], volume_ml: float) -> int:
    mix_ml = sum(ref.products[p].vial_ml for p in products)
    if not products or volume_ml <= 0 or mix_ml <= 0:
        return 0
    return math.ceil(round(volume_ml / mix_ml, 6))


def exact_quote(result: dict[str, Any], organization: Organization) -> dict[str, Any] | None:
    with acting_for(organization):
        book = prices.current()
    if book is None:
        return None
    ref = rules.load_reference()
    engine = result["quote"]
    lines, unpriced = [], []
    for line in engine.get("lines", []):
        area = ref.areas[line["area"]]
        area_price = book.area(line["area"])
        units = _units(ref, line["products"], line["volume_ml"])
        product_cost = sum((book.product(p) or ZERO) * units for p in line["products"])
        priced = area_price is not None
        if not priced:
            unpriced.append(area.name)
        session = cents(area_price * line["sides"] + product_cost) if priced else None
        lines.append(
            {
                **line,
                "area_name": area.name,
                "product_names": [ref.products[p].name for p in line["products"]],
                "priced": priced,
                "session_low": session,
                "session_high": session,
                "course_low": None if session is None else session * line["sessions_min"],
                "course_high": None if session is None else session * line["sessions_max"],
            }
        )
    visit_fee = None
    visits = engine.get("visit_fee")
    if book.price_list.consultation is not None and visits:
        fee = book.price_list.consultation
        visit_fee = {
            "visits_min": visits["visits_min"],
            "visits_max": visits["visits_max"],
            "low": fee * visits["visits_min"],
            "high": fee * visits["visits_max"],
        }
    low = sum((x["course_low"] for x in lines if x["priced"]), ZERO)
    high = sum((x["course_high"] for x in lines if x["priced"]), ZERO)
    if visit_fee:
        low, high = low + visit_fee["low"], high + visit_fee["high"]
    rate = Decimal(str(organization.tax_rate or 0))
    if organization.prices_include_tax:
        tax_low = low - cents(low * HUNDRED / (HUNDRED + rate))
        tax_high = high - cents(high * HUNDRED / (HUNDRED + rate))
        total_low, total_high = low, high
    else:
        tax_low, tax_high = cents(low * rate / HUNDRED), cents(high * rate / HUNDRED)
        total_low, total_high = low + tax_low, high + tax_high
    notes = [f"Prices from the clinic's price list, version {book.price_list.version}."]
    if unpriced:
        notes.append("No price yet for " + ", ".join(unpriced) + ": ask the clinic.")
    if book.price_list.numbing is not None:
        notes.append(f"Numbing, if used: {book.price_list.numbing:,.2f} {book.currency} a session.")
    return {
        "exact": True,
        "currency": book.currency,
        "engine_currency": engine["currency"],
        "price_list_version": book.price_list.version,
        "prices_include_tax": organization.prices_include_tax,
        "unpriced": unpriced,
        "lines": lines,
        "visit_fee": visit_fee,
        "low": low,
        "high": high,
        "tax_rate": rate,
        "tax_low": tax_low,
        "tax_high": tax_high,
        "total_low": total_low,
        "total_high": total_high,
        "notes": notes,
    }
