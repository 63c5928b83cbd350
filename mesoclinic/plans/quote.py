"""The itemized quote for patients and reception: the engine's lines plus the clinic's tax."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mesoclinic import rules
from mesoclinic.accounts.models import Organization
from mesoclinic.plans import quote_hooks

CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def itemized_quote(result: dict[str, Any], organization: Organization) -> dict[str, Any]:
    """From the clinic's price list when billing has one (`quote_hooks`), else the
    engine's range plus the clinic's tax."""
    exact = quote_hooks.provided(result, organization)
    if exact is not None:
        return exact
    ref = rules.load_reference()
    engine = result["quote"]
    tax_rate = Decimal(str(getattr(organization, "tax_rate", 0) or 0))
    lines = []
    for line in engine.get("lines", []):
        names = [ref.products[p].name for p in line["products"]]
        lines.append(
            {
                **line,
                "area_name": ref.areas[line["area"]].name,
                "product_names": names,
            }
        )
    low, high = _money(engine["low"]), _money(engine["high"])
    return {
        "currency": organization.currency or engine["currency"],
        "engine_currency": engine["currency"],
        "lines": lines,
        "visit_fee": engine.get("visit_fee"),
        "low": low,
        "high": high,
        "tax_rate": tax_rate,
        "tax_low": _money(low * tax_rate / 100),
        "tax_high": _money(high * tax_rate / 100),
        "total_low": _money(low * (1 + tax_rate / 100)),
        "total_high": _money(high * (1 + tax_rate / 100)),
        "notes": engine.get("notes", []),
    }
