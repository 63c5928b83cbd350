"""The owner sets the letterhead and a price list; a practitioner's quote shows the exact
price list amounts."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_owner_sets_letterhead_and_prices(page):
    login(page, "owner@demo.clinic")
    page.goto("/accounts/clinic/")
    page.get_by_label("Legal name (letterhead)").fill("Demo Clinic Medical Ltd")
    page.get_by_label("Postal address (letterhead)").fill("12 Harley Street\nLondon")
    page.get_by_label("Tax number (letterhead)").fill("GB 123 4567 89")
    screenshot(page, "billing-clinic-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Clinic settings saved.")).to_be_visible()

    page.goto("/billing/prices/")
    page.get_by_label("Consultation, per visit").fill("60")
    page.get_by_label("Submental (under the chin), Any treatment").fill("350")
    page.get_by_label("Forehead, Any treatment").fill("-1")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".error").first).to_contain_text("greater than or equal to 0")
    expect(page.get_by_label("Submental (under the chin), Any treatment")).to_have_value("350")
    screenshot(page, "billing-prices-error")
    page.get_by_label("Forehead, Any treatment").fill("")
    page.get_by_role("button", name="Save as a new version").click()
    # The demo clinic's money comes with a first price list: the owner's save is the next.
    expect(page.get_by_text(re.compile(r"^Prices saved as version \d+\.$"))).to_be_visible()
    screenshot(page, "billing-prices")
