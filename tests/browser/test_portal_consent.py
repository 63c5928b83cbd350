"""Consent from home on a phone (390x844): the practitioner approves a new plan for the
demo patient, the patient reads it, asks the clinic a question and signs it in the
portal, drawing the signature; the practitioner answers and countersigns on the tablet,
told it was signed at home. Then kiosk mode: the tablet handed over shows the consent
alone and comes back only with the staff password."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, login, screenshot
from tests.browser.flows import add_area, draw_signature, htmx_idle, new_patient
from tests.browser.test_portal_pages import _no_sideways_scroll, _small_targets, phone  # noqa: F401

PATIENT = "patient@demo.clinic"


def _demo_patients_chart(page) -> None:
    page.goto(f"/patients/?q={PATIENT}")
    page.locator("#results a").first.click()
    expect(page.get_by_role("button", name="New plan")).to_be_visible()


def _approve_a_new_plan(page) -> str:
    _demo_patients_chart(page)
    page.get_by_role("button", name="New plan").click()
    expect(page.get_by_role("heading", name=re.compile("Treatment plan"))).to_be_visible()
    add_area(page, "Localized fat", "Submental (under the chin)")
    expect(page.locator("#item-0")).to_be_visible()
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    return page.url


def test_the_patient_signs_at_home_and_the_practitioner_countersigns(phone, tablet):  # noqa: F811
    login(tablet, "practitioner@demo.clinic")
    plan_url = _approve_a_new_plan(tablet)

    page = phone
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(PATIENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/portal/")
    expect(page.get_by_role("heading", name="Your consent to read and sign")).to_be_visible()
    screenshot(page, "portal-consent-home-phone")
    page.get_by_role("link", name="Read and sign").click()
    expect(page.get_by_role("heading", name="CONSENT TO MESOTHERAPY")).to_be_visible()
    name = page.locator(".doc-meta").filter(has_text="Patient:").inner_text()
    full_name = re.match(r"Patient: (.+), born", name).group(1)

    page.get_by_label("Your question").fill("Can I exercise the day after?")
    page.get_by_role("button", name="Send your question").click()
    expect(page.get_by_text("Your question is with the clinic")).to_be_visible()

    page.get_by_label("Your full name").fill(full_name)
    draw_signature(page)
    page.get_by_label("I have read and understood this document").check()
    screenshot(page, "portal-consent-signing-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Sign consent").click()
    expect(page.get_by_text("Thank you: your consent is signed.")).to_be_visible()
    expect(page.locator("#signed-note")).to_contain_text("countersigns it at your visit")
    expect(page.locator(".sig-image path")).to_have_attribute("d", re.compile(r"^M\d"))
    screenshot(page, "portal-consent-signed-phone")
    _no_sideways_scroll(page)

    # The clinic: the question to answer and the consent to countersign.
    tablet.goto(plan_url)
    tablet.get_by_role("link", name="Consent").click()
    expect(tablet.get_by_text("Signed by the patient at home on")).to_be_visible()
    expect(tablet.get_by_text("waiting for your countersignature")).to_be_visible()
    questions = tablet.locator("#consent-questions")
    expect(questions).to_contain_text("1 open")
    questions.get_by_label(re.compile("Answer to")).fill("Light exercise yes; no gym for 48 hours.")
    questions.get_by_role("button", name="Send answer").click()
    htmx_idle(tablet)
    expect(tablet.locator("#consent-questions")).not_to_contain_text("open")
    screenshot(tablet, "staff-consent-signed-at-home")
    tablet.get_by_role("button", name="Countersign as").click()
    expect(tablet.get_by_text("Consent countersigned.")).to_be_visible()

    page.reload()
    expect(page.locator("#questions")).to_contain_text("no gym for 48 hours")
    expect(page.locator("main")).to_contain_text("countersigned by")
    screenshot(page, "portal-consent-answered-phone")


def test_the_tablet_handed_to_the_patient_shows_only_their_consent(tablet):
    page = tablet
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Inès", "Kiosk", "1990-06-02")
    page.get_by_role("button", name="New plan").click()
    add_area(page, "Localized fat", "Submental (under the chin)")
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    page.get_by_role("link", name="Consent").click()
    page.get_by_role("button", name="Hand to patient").click()
    page.wait_for_url("**/kiosk/")
    expect(page.get_by_role("heading", name="Your consent, Inès Kiosk")).to_be_visible()
    expect(page.locator("header.topbar")).to_have_count(0)  # no staff navigation
    page.get_by_label("Your full name").fill("Inès Kiosk")
    draw_signature(page)
    page.get_by_label("I have read and understood this document").check()
    page.get_by_role("button", name="Sign consent").click()
    expect(page.locator("#kiosk-done")).to_contain_text("give the tablet back")
    screenshot(page, "kiosk-signed")

    page.goto("/patients/")  # any clinic page comes back to the consent
    page.wait_for_url("**/kiosk/")
    page.get_by_label("Staff password").fill("not the password")
    page.get_by_role("button", name="Give back to the clinic").click()
    expect(page.get_by_text("That is not the password of")).to_be_visible()
    expect(page.locator("header.topbar")).to_have_count(0)
    screenshot(page, "kiosk-wrong-password")
    page.get_by_label("Staff password").fill(PASSWORD)
    page.get_by_role("button", name="Give back to the clinic").click()
    expect(page.get_by_text("waiting for a practitioner's countersignature")).to_be_visible()
    page.get_by_role("button", name="Countersign as").click()
    expect(page.get_by_text("Consent countersigned.")).to_be_visible()
