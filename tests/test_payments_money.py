"""Money to the cent and the card-number check, as pure functions (issue 17)."""

from decimal import Decimal

import pytest

from mesoclinic.payments.money import (
    cents,
    format_amount,
    looks_like_card_number,
    luhn_valid,
    total,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.345", "2.35"),
        ("2.344", "2.34"),
        ("-2.345", "-2.35"),
        ("0.005", "0.01"),
        (10, "10.00"),
        ("1234.5", "1234.50"),
    ],
)
def test_amounts_round_to_the_cent_with_halves_up(value, expected):
    assert cents(value) == Decimal(expected)
    assert str(cents(value)) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", ""])
def test_what_is_not_an_amount_is_refused(value):
    with pytest.raises(ValueError, match="not an amount"):
        cents(value)


def test_a_total_ignores_empty_sums_and_keeps_cents():
    assert total([Decimal("0.10"), None, Decimal("0.20")]) == Decimal("0.30")
    assert total([]) == Decimal("0.00")


def test_luhn_accepts_test_card_numbers_and_refuses_a_changed_digit():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("4111a11111111111")


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "card 5555 5555 5555 4444 exp",
        "4111 1111 1111 1111 12/26",
        "378282246310005",
        "6011111111111117",
    ],
)
def test_card_numbers_are_recognised_however_they_are_written(text):
    assert looks_like_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "TID 10293 AUTH 448812",
        "4111111111111112",  # fails Luhn
        "411111111111",  # 12 digits: too short
        "INV-2026-000123",
        "12345678901234567890123",  # an unbroken 23-digit bank reference
        "",
    ],
)
def test_terminal_and_bank_references_are_not_card_numbers(text):
    assert not looks_like_card_number(text)


def test_amounts_are_shown_to_the_cent_with_thousands_grouped():
    assert format_amount(Decimal("1234.5"), "EUR") == "EUR 1,234.50"
