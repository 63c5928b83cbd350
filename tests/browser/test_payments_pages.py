"""Reception takes a card payment at the desk: a card number typed as the reference is
refused next to the field with the amount kept, the terminal reference is accepted, the
account shows it, a part refund is given, and the day's takings show both."""

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_reception_takes_a_payment_refunds_part_and_closes_the_day(page):
    login(page, "reception@demo.clinic")
    page.goto("/patients/new/")
    page.get_by_label("First name").fill("Paula")
    page.get_by_label("Last name").fill("Payer")
    page.get_by_label("Date of birth").fill("1988-02-03")
    page.get_by_label("Sex").select_option("F")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Paula Payer")
    page.get_by_role("link", name="Account").click()
    expect(page.locator("h1")).to_have_text("Paula Payer: account")
    page.get_by_role("link", name="Take payment").first.click()

    page.get_by_label("Amount").fill("85.50")
    page.get_by_label("Method").select_option(label="Card")
    page.get_by_label("Reference").fill("4111 1111 1111 1111")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#id_reference_error")).to_contain_text("looks like a card number")
    expect(page.get_by_label("Amount")).to_have_value("85.50")
    screenshot(page, "payment-card-number-refused")

    page.get_by_label("Reference").fill("TID 55120 AUTH 8812")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".messages")).to_contain_text("85.50 recorded")
    expect(page.locator("table").nth(1)).to_contain_text("TID 55120 AUTH 8812")
    screenshot(page, "payment-account")

    page.get_by_role("link", name="Refund").click()
    page.get_by_label("Amount").fill("90.00")
    page.get_by_label("Reason").fill("Numbing cream not used")
    page.get_by_role("button", name="Record refund").click()
    expect(page.locator("#id_amount_error")).to_contain_text("85.50 of this payment")
    page.get_by_label("Amount").fill("15.50")
    page.get_by_role("button", name="Record refund").click()
    expect(page.locator(".balance")).to_contain_text("70.00")
    screenshot(page, "payment-account-refunded")

    page.get_by_role("link", name="Takings").click()
    expect(page.locator("h1")).to_have_text("End of day")
    screenshot(page, "payment-end-of-day")


def test_owner_reads_the_monthly_revenue(page):
    login(page, "owner@demo.clinic")
    page.goto("/payments/reports/day/")
    page.get_by_role("link", name="Monthly revenue").click()
    expect(page.locator("h1")).to_have_text("Monthly revenue")
    page.get_by_label("By").select_option(label="Site")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table")).to_be_visible()
    screenshot(page, "payment-monthly-revenue")


def test_reception_pays_an_unpaid_demo_invoice_from_the_end_of_day(page):
    login(page, "reception@demo.clinic")
    page.goto("/payments/reports/day/")
    unpaid = page.locator("section", has=page.get_by_role("heading", name="Unpaid invoices"))
    unpaid.get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text(": account")
    screenshot(page, "payment-demo-account")
    row = page.locator("tr", has=page.locator(".tag.unpaid, .tag.part-paid")).first
    row.get_by_role("link", name="Take payment").click()
    expect(page.get_by_label("Amount")).not_to_have_value("")
    page.get_by_label("Method").select_option(label="Cash")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".messages")).to_contain_text("recorded")
    screenshot(page, "payment-demo-account-paid")
