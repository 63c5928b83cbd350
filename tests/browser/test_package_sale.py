"""Reception sells a course package at the desk: the sale issues its invoice, which the
account then lists as due like any other."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_reception_sells_a_package_and_its_invoice_is_issued(page):
    login(page, "reception@demo.clinic")
    page.goto("/patients/new/")
    page.get_by_label("First name").fill("Cora")
    page.get_by_label("Last name").fill("Course")
    page.get_by_label("Date of birth").fill("1985-04-05")
    page.get_by_label("Sex").select_option("F")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Sell a package").click()
    screenshot(page, "package-sale-form")
    page.get_by_role("button", name="Sell package").click()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"Invoice \d+ charges it"))
    expect(page.locator("main")).to_contain_text("450.00")
    screenshot(page, "package-sale-account")
