"""An owner receives a lot with its invoice and cost, sets the product's level from the
lot page, and sees the lot marked low and the stock's value on the stock page."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_owner_receives_a_lot_sets_its_level_and_sees_it_low(page):
    login(page, "owner@demo.clinic")
    page.goto("/lots/new/")
    page.get_by_label("Site").select_option(index=1)
    page.get_by_label("Product").select_option(label="PC/DC 5%/2.5% ampoule, 5 mL")
    page.get_by_label("Lot number").fill("br-stock-1")
    page.get_by_label("Expires on").fill((date.today() + timedelta(days=40)).isoformat())
    page.get_by_label("Supplier").fill("Pharma Ltd")
    page.get_by_label("Invoice number").fill("INV-77")
    page.get_by_label("Cost per vial").fill("12.40")
    page.get_by_label("Vials received").fill("2")
    page.get_by_role("button", name="Receive").click()
    expect(page.locator("h1")).to_have_text("Lot BR-STOCK-1")
    expect(page.locator("dl.facts")).to_contain_text("INV-77")
    expect(page.locator("dl.facts")).to_contain_text("12.40 USD")

    page.get_by_role("link", name="Set the level").click()
    page.get_by_label("Low at (vials)").fill("500")
    screenshot(page, "stock-level-form")
    page.get_by_role("button", name="Save level").click()
    expect(page.locator("table")).to_contain_text("500 vials")

    page.goto("/lots/")
    row = page.locator("tr", has=page.get_by_role("link", name="BR-STOCK-1"))
    expect(row).to_contain_text("Low")
    expect(row).to_contain_text("Within 60 days")
    expect(page.locator("#stock-alerts").locator("..")).to_contain_text(re.compile(r"low at 500"))
    expect(page.get_by_role("heading", name="Stock value per site")).to_be_visible()
    screenshot(page, "stock-page-alerts")
