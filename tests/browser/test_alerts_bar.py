"""On a 1024x768 tablet the patient's alerts stay in view from session start to charting."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import (
    add_allergy,
    add_area,
    add_medication,
    htmx_idle,
    new_patient,
    sign_consent,
)


def _in_view_and_compact(page) -> None:
    box = page.locator("#alerts").bounding_box()
    assert box is not None
    assert box["y"] >= -1 and box["y"] + box["height"] <= 768
    assert box["height"] <= 768 * 0.25, box  # the chart keeps most of the screen


def test_alerts_stay_in_view_while_charting(page):
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Inès", "Moreau", "1982-07-14", weight="68")
    section = page.locator("#section-allergy")
    add_allergy(page, "Xylocaine (anaphylaxis)", severity="anaphylaxis")
    expect(page.locator("#alerts")).to_contain_text("amide local anaesthetics")
    add_medication(page, "Warfarin")
    expect(page.locator("#alerts")).to_contain_text("Anticoagulant: Warfarin")

    # A text nothing recognises stops treatment until the practitioner decides.
    add_allergy(page, "Penicillin")
    expect(page.locator("#alerts .alert-uncoded")).to_contain_text("“Penicillin”")
    section.get_by_role("link", name="Code it").click()
    form = page.locator("form.inline-form")
    form.get_by_label("It does not apply to treatment").check()
    form.get_by_label("Why it does not apply").fill("antibiotic: nothing used here contains it")
    screenshot(page, "allergy-coding")
    form.get_by_role("button", name="Save").click()
    htmx_idle(page)
    expect(page.locator("#alerts .alert-uncoded")).to_have_count(0)
    expect(section).to_contain_text("does not apply: antibiotic")

    page.get_by_role("button", name="New plan").click()
    add_area(page, "Localized fat", "Submental (under the chin)")
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    page.get_by_role("link", name="Consent").click()
    sign_consent(page, "Inès Moreau")
    page.get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("link", name="Start a session").click()

    alerts = page.locator("#alerts")
    expect(alerts).to_contain_text("Allergy: Xylocaine (anaphylaxis)")
    expect(alerts).to_contain_text("Anticoagulant: Warfarin")
    page.mouse.wheel(0, 2000)
    _in_view_and_compact(page)

    page.get_by_label("Site").select_option(label="Demo Clinic Central")
    page.get_by_label("Asked today: pregnant or breastfeeding?").select_option("no")
    page.get_by_label("Weight today (kg)").fill("68")
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name=re.compile("Session: Inès Moreau"))).to_be_visible()
    page.locator("form.chart-form").scroll_into_view_if_needed()
    page.mouse.wheel(0, 3000)
    _in_view_and_compact(page)
    expect(page.locator("#alerts")).to_contain_text("amide local anaesthetics")
    page.screenshot(path=str(_artifact("session-charting-alerts.png")))


def _artifact(name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
