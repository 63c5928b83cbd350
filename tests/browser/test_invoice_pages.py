"""Reception invoices a consultation, issues it, takes a partial card payment against it
and prints it, on the clinic's day (issue 17)."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import take_part_by_card


def test_reception_issues_an_invoice_takes_part_by_card_and_prints_it(page):
    login(page, "reception@demo.clinic")
    page.goto("/patients/new/")
    page.get_by_label("First name").fill("Ines")
    page.get_by_label("Last name").fill("Invoiced")
    page.get_by_label("Date of birth").fill("1990-05-06")
    page.get_by_label("Sex").select_option("F")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Account").click()
    page.get_by_role("button", name="New invoice").click()
    expect(page.locator("h1")).to_have_text("Draft invoice")

    page.get_by_label("For").select_option(label="Consultation")
    page.get_by_label("Description").fill("First consultation")
    page.get_by_label("Price each").fill("120")
    page.get_by_label("Discount", exact=True).fill("20")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#id_discount_reason_error")).to_contain_text("Say why the discount")
    expect(page.get_by_label("Description")).to_have_value("First consultation")
    page.get_by_label("Why the discount").fill("Friend of the clinic")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator(".invoice-lines")).to_contain_text("First consultation")
    screenshot(page, "invoice-draft")

    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Invoice \d+$"))
    expect(page.get_by_role("link", name="Take payment")).to_be_visible()
    screenshot(page, "invoice-issued")
    invoice_url = page.url

    take_part_by_card(page, invoice_url, "40.00", "TID 7781 AUTH 0042")

    pdf = page.request.get(invoice_url.rstrip("/") + ".pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
