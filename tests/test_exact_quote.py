"""The plan's quote from the clinic's price list: exact to the cent, a range only where
the sessions are a range, unpriced lines named, the engine's range without a list."""

from decimal import Decimal

import pytest
from django.urls import reverse

from mesoclinic.accounts.models import Organization
from mesoclinic.billing import prices
from mesoclinic.billing.quotes import exact_quote
from mesoclinic.plans import services
from mesoclinic.plans.quote import itemized_quote
from mesoclinic.tenancy import acting_for
from tests.factories import client_for


def _price(org, owner, areas, products=None, consultation=None, include_tax=False, rate="20"):
    Organization.objects.filter(pk=org.pk).update(prices_include_tax=include_tax, tax_rate=rate)
    org.refresh_from_db()
    new = prices.NewPrices("EUR", consultation, None, areas, products or {}, [])
    with acting_for(org):
        prices.save_version(owner, new)


def _result(org, plan):
    with acting_for(org):
        return services.latest_version(plan).result


def test_without_a_price_list_the_engine_range_stays(org, approved_plan):
    quote = itemized_quote(_result(org, approved_plan), org)
    assert "exact" not in quote and quote["low"] < quote["high"]


def test_tax_added_to_prices_to_the_cent(org, owner, approved_plan):
    result = _result(org, approved_plan)
    (engine_line,) = result["quote"]["lines"]
    _price(org, owner, {("submental", None): Decimal("333.33")}, rate="20")
    quote = itemized_quote(result, org)
    (line,) = quote["lines"]
    assert quote["exact"] and quote["currency"] == "EUR" and quote["unpriced"] == []
    assert line["session_low"] == line["session_high"] == Decimal("333.33") * engine_line["sides"]
    low = line["session_low"] * engine_line["sessions_min"]
    assert quote["low"] == low
    assert quote["tax_low"] == (low * Decimal("0.2")).quantize(Decimal("0.01"))
    assert quote["total_low"] == quote["low"] + quote["tax_low"]


def test_prices_that_include_tax_split_it_out_to_the_cent(org, owner, approved_plan):
    result = _result(org, approved_plan)
    _price(org, owner, {("submental", None): Decimal("100.00")}, include_tax=True, rate="20")
    quote = exact_quote(result, org)
    total = quote["low"]
    # 100 incl. 20%: net 83.33, tax 16.67 per 100.
    assert quote["total_low"] == total
    assert quote["tax_low"] == total - (total / Decimal("1.2")).quantize(Decimal("0.01"))


def test_products_billed_by_use_add_the_units_the_volume_opens(org, owner, approved_plan):
    result = _result(org, approved_plan)
    (engine_line,) = result["quote"]["lines"]
    product = engine_line["products"][0]
    _price(org, owner, {("submental", None): Decimal("100")}, {product: Decimal("50")})
    (line,) = exact_quote(result, org)["lines"]
    assert line["session_low"] > Decimal("100") * engine_line["sides"]
    assert (line["session_low"] - Decimal("100") * engine_line["sides"]) % Decimal("50") == 0


def test_an_area_with_no_price_is_named_and_never_invented(org, owner, approved_plan):
    result = _result(org, approved_plan)
    _price(org, owner, {("forehead", None): Decimal("100")})
    quote = exact_quote(result, org)
    assert quote["unpriced"] == ["Submental (under the chin)"]
    assert quote["lines"][0]["session_low"] is None and quote["low"] == 0


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_the_quote_page_shows_the_exact_amount_in_two_decimals(
    personas, org, owner, approved_plan, role
):
    _price(org, owner, {("submental", None): Decimal("1234.5")})
    page = client_for(personas[role]).get(reverse("plan_quote", args=[approved_plan.public_id]))
    html = page.content.decode()
    assert page.status_code == 200 and "1,234.50" in html and "EUR" in html
    assert "version 1" in html


def test_another_organization_gets_404_for_the_quote(org, owner, outsider, approved_plan):
    _price(org, owner, {("submental", None): Decimal("1234.5")})
    page = client_for(outsider).get(reverse("plan_quote", args=[approved_plan.public_id]))
    assert page.status_code == 404


def test_an_unpriced_area_says_so_on_the_page(org, owner, practitioner, approved_plan):
    _price(org, owner, {("forehead", None): Decimal("100")})
    page = client_for(practitioner).get(reverse("plan_quote", args=[approved_plan.public_id]))
    assert "No price yet" in page.content.decode()
