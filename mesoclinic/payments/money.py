"""Money as people count it: Decimal amounts in cents, halves rounded up, and the one
check that keeps card numbers out of the records (issue 17).

No Django import: forms, services and reports all call these the same way.
"""

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# A primary account number is 13 to 19 digits; terminals and people write them in
# groups with spaces or dashes between.
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")


def cents(value: Decimal | int | str) -> Decimal:
    """`value` to the cent, halves away from zero (2.345 -> 2.35, -2.345 -> -2.35)."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def total(amounts: Iterable[Decimal | None]) -> Decimal:
    """The sum of `amounts` to the cent; None (an empty SQL sum) counts as nothing."""
    return cents(sum((a for a in amounts if a is not None), ZERO))


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    if not digits.isdigit():
        return False
    checksum = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        checksum += digit
    return checksum % 10 == 0


def looks_like_card_number(text: str) -> bool:
    """True when `text` holds 13-19 digits (in groups or not) that pass the Luhn check:
    a card number, which the clinic must never store.

    Consecutive groups are tried together ("4111 1111 1111 1111 12/26" hides one before
    its expiry date); an unbroken run of more than 19 digits is some other reference.
    """
    for match in _DIGIT_RUN.finditer(text):
        groups = re.split(r"[ -]", match.group(0))
        for first in range(len(groups)):
            for last in range(first, len(groups)):
                digits = "".join(groups[first : last + 1])
                if 13 <= len(digits) <= 19 and luhn_valid(digits):
                    return True
    return False


def format_amount(amount: Decimal, currency: str) -> str:
    """`EUR 1,234.50`: the amount to the cent with thousands grouped."""
    return f"{currency} {cents(amount):,.2f}"
