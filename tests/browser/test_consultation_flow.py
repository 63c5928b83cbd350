"""On a tablet: from a blank plan to a signed consent PDF for a patient allergic to lidocaine."""

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import login, screenshot
from tests.browser.flows import add_area, new_patient, sign_consent

EVIDENCE = "Mesotherapy has no proven clinical efficacy for many of its uses"


def _new_patient_with_lidocaine_allergy(page):
    new_patient(page, "Camille", "Fontaine", "1984-03-09")
    page.locator("#section-allergy").get_by_role("link", name="Add").click()
    page.locator("form.inline-form").get_by_label("Substance (formulary)").select_option(
        label="Lidocaine"
    )
    page.locator("form.inline-form").get_by_role("button", name="Add").click()
    expect(page.locator("#alerts")).to_contain_text("Allergy: Lidocaine")


def test_consultation_to_signed_consent_pdf(tablet):
    page = tablet
    login(page, "practitioner@demo.clinic")
    _new_patient_with_lidocaine_allergy(page)

    page.get_by_role("button", name="New plan").click()
    expect(page.get_by_role("heading", name=re.compile("Treatment plan"))).to_be_visible()
    add_area(page, "Localized fat", "Submental (under the chin)")
    expect(page.locator("#item-0")).to_be_visible()
    add_area(page, "Hair loss", "Scalp")
    expect(page.locator("#item-1")).to_be_visible()

    # Choosing a product that contains lidocaine raises the allergy stop at once.
    page.locator("#item-0 select[name='item0-products']").select_option(
        ["deoxycholic-10mg-2ml", "lidocaine-1pct-5ml"]
    )
    stops = page.locator(".finding-stop")
    expect(stops.filter(has_text="ALLERGY")).to_be_visible()
    expect(page.get_by_role("button", name="Approve plan")).to_be_disabled()
    screenshot(page, "plan-editor-allergy-stop")

    page.locator("#item-0 select[name='item0-products']").select_option(["deoxycholic-10mg-2ml"])
    expect(page.locator(".finding-stop").filter(has_text="ALLERGY")).to_have_count(0)

    # Remove three points by tapping them in the submental close-up.
    zoom = page.locator("#item-0 .zoom").first
    caption = zoom.locator("figcaption")
    before = int(re.search(r"(\d+) points", caption.inner_text()).group(1))
    for expected in (before - 1, before - 2, before - 3):
        page.locator("#item-0 .zoom").first.locator("circle.point").first.tap()
        expect(page.locator("#item-0 .zoom").first.locator("figcaption")).to_contain_text(
            f"{expected} points"
        )
    screenshot(page, "plan-editor")

    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    page.get_by_role("link", name="Consent").click()

    expect(page.get_by_text(EVIDENCE)).to_be_visible()
    sign_consent(page, "Camille Fontaine", lambda: screenshot(page, "consent-signing"))
    screenshot(page, "consent-signed")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = info.value.path().read_bytes()
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Camille Fontaine" in text
    assert EVIDENCE in text
