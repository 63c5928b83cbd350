"""A practitioner counts a site's shelf (a difference needs its reason, next to it), the
stock page shows the count; reception sets a patient to text messages (a number in
international form needed) and reads the messages log."""

from playwright.sync_api import expect

from tests.browser.conftest import login, login_patient, screenshot


def test_practitioner_counts_a_site_and_the_stock_page_shows_it(page):
    login(page, "practitioner@demo.clinic")
    page.goto("/lots/")
    page.get_by_role("link", name="Count stock").click()
    if page.locator("h1").inner_text() == "Stock count":  # several sites: choose one
        page.locator("main ul.entries a").first.click()
    expect(page.locator("h1")).to_contain_text("Stock count: ")
    counts = page.locator("input.count")
    assert counts.count() >= 1
    for i in range(counts.count()):
        row = page.locator("tbody tr").nth(i)
        expected = row.locator("td").nth(2).inner_text().split()[0]
        counts.nth(i).fill(expected)
    first = page.locator("tbody tr").first
    expected = int(first.locator("td").nth(2).inner_text().split()[0])
    counts.first.fill(str(max(expected - 1, 0)) if expected else "1")
    screenshot(page, "stock-count-form")
    page.get_by_role("button", name="Sign the count").click()
    expect(first.locator(".error")).to_contain_text("Say why")
    screenshot(page, "stock-count-missing-reason")
    first.locator("input[type=text]").fill("One vial broken on the shelf")
    page.get_by_role("button", name="Sign the count").click()
    expect(page.locator("main")).to_contain_text("One vial broken on the shelf")
    screenshot(page, "stock-count-signed")
    page.goto("/lots/")
    expect(page.locator("#last-counts").locator("..")).to_contain_text("1 differing")
    page.locator("#last-counts").scroll_into_view_if_needed()
    screenshot(page, "stock-page-last-count")


def test_reception_sets_a_patient_to_texts_and_reads_the_messages_log(page):
    login(page, "reception@demo.clinic")
    page.goto("/patients/")
    page.locator("main table a").first.click()
    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Send reminders by").select_option(label="Text message")
    page.get_by_label("Phone", exact=True).fill("0612 34")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".has-error")).to_contain_text("international form")
    screenshot(page, "patient-form-sms-number")
    page.get_by_label("Phone", exact=True).fill("+44 7700 900123")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Text message")
    page.get_by_role("link", name="Messages", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Messages to ")
    screenshot(page, "patient-messages")
    page.goto("/messages/")
    expect(page.locator("h1")).to_have_text("Messages sent")
    screenshot(page, "messages-log")


def test_a_patient_chooses_text_messages_in_the_portal(page):
    login_patient(page, "patient@demo.clinic")
    page.get_by_role("link", name="Messages", exact=True).click()
    expect(page.locator("h1")).to_have_text("Messages from the clinic")
    page.get_by_label("Send me reminders and notices by").select_option(label="Text message")
    page.get_by_label("Mobile number").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".has-error")).to_contain_text("international form")
    screenshot(page, "portal-messages-choice-error")
    page.get_by_label("Mobile number").fill("+44 7700 900123")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Saved")
    screenshot(page, "portal-messages-choice")
