"""A practitioner registers a patient, records an allergy and an anticoagulant, finds them."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import log_out


def test_practitioner_intake_alerts_search_and_logout(page):
    login(page, "practitioner@demo.clinic")
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name").fill("Brigitte")
    page.get_by_label("Last name").fill("Zellweger")
    page.get_by_label("Date of birth").fill("1979-06-15")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Email").fill("brigitte@example.com")
    page.get_by_label("Weight (kg)").fill("62")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Brigitte Zellweger")).to_be_visible()

    page.locator("#section-allergy").get_by_role("link", name="Add").click()
    form = page.locator("form.inline-form")
    form.get_by_label("Substance (formulary)").select_option(label="Lidocaine")
    form.get_by_label("Reaction").fill("Hives")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("#alerts")).to_contain_text("Allergy: Lidocaine")

    page.locator("#section-medication").get_by_role("link", name="Add").click()
    form = page.locator("form.inline-form")
    form.get_by_label("Medication").fill("Warfarin")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("#alerts")).to_contain_text("Anticoagulant: Warfarin")
    expect(page.locator("#alerts")).to_contain_text("Allergy: Lidocaine")
    screenshot(page, "chart-with-alerts")

    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label("Search by name").fill("zellw")
    results = page.locator("#results")
    expect(results).to_contain_text("Zellweger, Brigitte")
    page.get_by_role("link", name="Zellweger, Brigitte").click()
    expect(page.locator("#alerts")).to_contain_text("Anticoagulant: Warfarin")

    log_out(page)
    expect(page.get_by_role("heading", name="Log in to mesoclinic")).to_be_visible()
    page.goto("/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/patients/"))
