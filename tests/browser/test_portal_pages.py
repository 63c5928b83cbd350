"""The demo patient's portal on a phone (390x844): home, appointments, documents, the
aftercare sheet and who opened the record, with no staff navigation and tap targets
a thumb can hit; the staff login sends a patient to the portal."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, login_patient, screenshot


@pytest.fixture
def phone(browser, live_app):
    context = browser.new_context(
        base_url=live_app,
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        accept_downloads=True,
    )
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def _small_targets(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
              // A box's tap target is its label (label.choice), the whole row.
              'main a.button, main button, header a, header button, main select, '
              + 'main input:not([type=radio]):not([type=checkbox]), main label.choice')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44).map(([html, h]) => `${html} (${h}px)`)"""
    )


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_demo_patient_reads_their_portal_on_a_phone(phone):
    page = phone
    login_patient(page, "patient@demo.clinic")
    expect(page.get_by_role("heading", name="Your next appointments")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("No appointment booked.")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)  # no staff menu
    screenshot(page, "portal-home-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Documents").click()
    expect(page.get_by_role("heading", name="Consents")).to_be_visible()
    with page.expect_download() as consent:
        page.get_by_role("link", name="Download (PDF)").first.click()
    assert consent.value.path().read_bytes()[:5] == b"%PDF-"
    screenshot(page, "portal-documents-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Read the quote").first.click()
    expect(page.get_by_role("heading", name="Your quote")).to_contain_text("Your quote")
    expect(page.locator("main")).to_contain_text("Total")
    screenshot(page, "portal-quote-phone")
    _no_sideways_scroll(page)
    if page.get_by_role("button", name="I accept this quote").count():
        assert _small_targets(page) == []
        page.get_by_role("button", name="I accept this quote").click()
        expect(page.locator(".messages")).to_contain_text("the clinic has your acceptance")
        expect(page.locator("main")).to_contain_text("You accepted this quote")
        screenshot(page, "portal-quote-accepted-phone")
    page.get_by_role("link", name="Documents").click()

    page.locator("#h-aftercare ~ ul").get_by_role("link", name="Read").first.click()
    expect(page.get_by_role("heading", name="Aftercare", exact=True)).to_be_visible()
    screenshot(page, "portal-aftercare-phone")
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Appointments").click()
    expect(page.get_by_role("heading", name="Coming up")).to_be_visible()
    screenshot(page, "portal-appointments-phone")
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Who opened my record").click()
    expect(page.get_by_role("heading", name="Who opened your record")).to_be_visible()
    screenshot(page, "portal-access-phone")
    _no_sideways_scroll(page)

    # A staff page answers "not found" to a patient, whatever the address.
    response = page.goto("/patients/")
    assert response.status == 404


def test_a_red_flag_tells_the_patient_to_call_and_tops_the_clinics_queue(phone, page):
    login_patient(phone, "patient2@demo.clinic")
    phone.get_by_role("link", name="Tell the clinic how you are").click()
    phone.get_by_label("Unwell", exact=True).check()
    phone.get_by_label("Swelling", exact=True).check()
    phone.get_by_label("Redness that is spreading, or skin hot to the touch").check()
    phone.get_by_label("How bad is it").fill("6")
    phone.get_by_label("Where on your body?").fill("Left cheek")
    screenshot(phone, "portal-checkin-phone")
    _no_sideways_scroll(phone)
    assert _small_targets(phone) == []
    phone.get_by_role("button", name="Send to the clinic").click()
    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text("Call the clinic today")
    expect(alert.get_by_role("link", name="+1 555 0100")).to_be_visible()
    expect(alert).to_be_in_viewport()
    screenshot(phone, "portal-red-flag-phone")
    _no_sideways_scroll(phone)

    # The practitioner sees it first, flagged, from the home page.
    login(page, "practitioner@demo.clinic")
    expect(page.locator(".reports-waiting")).to_contain_text("with a red flag")
    page.get_by_role("link", name="Review the reports").click()
    first = page.locator(".report-queue li").first
    expect(first).to_contain_text("Red flag: call today")
    expect(first).to_contain_text("Redness that is spreading")
    screenshot(page, "staff-report-queue")


def test_the_questionnaire_answers_wait_for_the_practitioner(phone, page):
    login_patient(phone, "patient2@demo.clinic")
    phone.get_by_role("link", name="Medical history").click()
    phone.get_by_label("Allergy 1: to what").fill("Plasters")
    phone.get_by_label("Allergy 1: what happens").fill("itchy rash")
    phone.get_by_label("Medicine 1", exact=True).fill("Fish oil")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_text("the clinic has your answers")).to_be_visible()
    phone.get_by_role("link", name="Medical history").click()
    screenshot(phone, "portal-questionnaire-phone")
    _no_sideways_scroll(phone)
    assert _small_targets(phone) == []

    login(page, "practitioner@demo.clinic")
    page.goto("/patients/?q=patient2@demo.clinic")  # the patient's email finds them
    page.locator("main table a, main .results a").first.click()
    page.get_by_role("link", name=re.compile("questionnaire answers? to review")).click()
    expect(page.locator(".reported-answer")).to_have_count(2)
    screenshot(page, "staff-questionnaire-review")
    first = page.locator(".reported-answer").first
    first.get_by_role("button", name="Add to the chart").click()
    expect(page.get_by_text("Allergy added to the chart.")).to_be_visible()
    expect(page.locator(".reported-answer")).to_have_count(1)


def test_the_second_sign_in_step_shows_a_code_to_scan(phone):
    login_patient(phone, "patient2@demo.clinic")
    phone.get_by_role("link", name="Sign-in settings").click()
    phone.get_by_role("button", name="Set up an authenticator app").click()
    expect(phone.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    expect(phone.get_by_label("The 6-digit code from your authenticator app")).to_be_visible()
    screenshot(phone, "portal-two-factor-phone")
    _no_sideways_scroll(phone)
    assert _small_targets(phone) == []
