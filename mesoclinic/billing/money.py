"""Money arithmetic for prices, quotes and invoices: `Decimal`, never float.

The rule, one place for all of billing: each line is rounded on its own to the cent,
half up (ROUND_HALF_UP: 0.005 becomes 0.01), and totals are sums of rounded lines, so
the invoice adds up on paper.

- Prices exclude tax: net = quantity x unit price - discount, rounded; tax = net x
  rate / 100, rounded; gross = net + tax.
- Prices include tax (the clinic's `prices_include_tax`): gross = quantity x unit price
  - discount, rounded; net = gross x 100 / (100 + rate), rounded; tax = gross - net.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(value: Any) -> Decimal:
    """A number as money: Decimal rounded half up to the cent (floats through str)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Amounts:
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(
    quantity: Decimal,
    unit_price: Decimal,
    tax_rate: Decimal,
    *,
    discount: Decimal = ZERO,
    prices_include_tax: bool,
) -> Amounts:
    """Net, tax and gross of one line, each rounded to the cent (see the module rule)."""
    amount = cents(quantity * unit_price - discount)
    if prices_include_tax:
        net = cents(amount * HUNDRED / (HUNDRED + tax_rate))
        return Amounts(net=net, tax=amount - net, gross=amount)
    tax = cents(amount * tax_rate / HUNDRED)
    return Amounts(net=amount, tax=tax, gross=amount + tax)


def plain(value: Decimal) -> str:
    """Two decimals with thousands separators, for people: 7,020.00."""
    return f"{value:,.2f}"
