"""The treatment day's safety on a 1024x768 tablet (issue 11): the alerts of a
lidocaine-allergic, anticoagulated patient at session start; an esthetician without a
supervising practitioner cannot chart a prescription product; the sign-off summary shows
the totals; a second deoxycholic-acid session the same day is refused, in view."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import (
    add_allergy,
    add_area,
    add_medication,
    htmx_idle,
    log_out,
    new_patient,
    sign_consent,
    take_missing_session_photos,
)

GOOD_LOT = "DCA24-118"
VIEWPORT_HEIGHT = 768


def _in_viewport(page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None, "the refusal is not on the page"
    assert box["y"] >= 0 and box["y"] + min(box["height"], 80) <= VIEWPORT_HEIGHT, box


def _add_history(page) -> None:
    add_allergy(page, "Xylocaine (anaphylaxis)", severity="anaphylaxis")
    add_medication(page, "Warfarin")


def _start_session(page, weight="68") -> None:
    page.get_by_label("Site").select_option(label="Demo Clinic Central")
    page.get_by_label("Asked today: pregnant or breastfeeding?").select_option("no")
    page.get_by_label("Weight today (kg)").fill(weight)
    page.get_by_role("button", name="Start session").click()


def _chart(page) -> None:
    form = page.locator("form.chart-form")
    form.get_by_label("Area").select_option(label="Submental (under the chin)")
    form.get_by_label("Technique").select_option("hypodermic")
    lot = form.get_by_label("Lot")
    lot.select_option(lot.locator("option", has_text=GOOD_LOT).first.get_attribute("value"))
    form.get_by_label("Volume (mL)").fill("4")
    form.get_by_label("Injection points done").fill("20")
    form.get_by_role("button", name="Add to chart").click()
    htmx_idle(page)


def test_the_treatment_day_refuses_what_the_label_forbids(page):
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Nora", "Vidal", "1981-02-03", weight="68")
    _add_history(page)
    page.get_by_role("button", name="New plan").click()
    add_area(page, "Localized fat", "Submental (under the chin)")
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    page.get_by_role("link", name="Consent").click()
    sign_consent(page, "Nora Vidal")
    page.get_by_role("link", name="Plan", exact=True).click()
    plan_url = page.url

    # Session start: both alerts stand at the top.
    page.get_by_role("link", name="Start a session").click()
    alerts = page.locator("#alerts")
    expect(alerts).to_contain_text("Xylocaine (anaphylaxis)")
    expect(alerts).to_contain_text("amide local anaesthetics")
    expect(alerts).to_contain_text("Anticoagulant: Warfarin")
    screenshot(page, "safety-session-start-alerts")
    log_out(page)

    # The esthetician prepares the patient but cannot chart deoxycholic acid alone.
    login(page, "esthetician@demo.clinic")
    page.goto(plan_url)
    page.get_by_role("link", name="Start a session").click()
    _start_session(page)
    expect(page.get_by_role("heading", name=re.compile("Session: Nora Vidal"))).to_be_visible()
    session_url = page.url
    _chart(page)
    refusal = page.locator("#chart .refusal")
    expect(refusal).to_contain_text("Deoxycholic acid is a prescription medicine")
    _in_viewport(page, refusal)
    screenshot(page, "safety-esthetician-refused")
    expect(page.locator("#chart table")).to_contain_text("Nothing charted yet")
    log_out(page)

    # The practitioner charts and signs through the summary of totals.
    login(page, "practitioner@demo.clinic")
    page.goto(session_url)
    _chart(page)
    expect(page.locator("#chart table")).to_contain_text(GOOD_LOT)
    take_missing_session_photos(page)  # the protocol needs its baseline photos
    page.get_by_role("link", name="Sign session…").click()
    summary = page.locator("main")
    expect(summary).to_contain_text("Given in this session")
    expect(summary).to_contain_text("Deoxycholic acid")
    expect(summary).to_contain_text("40 mg")
    expect(summary).to_contain_text("100 mg")
    expect(summary).to_contain_text(GOOD_LOT)
    screenshot(page, "safety-sign-summary")
    page.get_by_role("button", name="Confirm and sign").click()
    expect(page.get_by_text("Session signed.")).to_be_visible()

    # A second deoxycholic-acid session the same day: refused, with its reason in view.
    page.goto(plan_url)
    page.get_by_role("link", name="Start a session").click()
    _start_session(page)
    refusal = page.locator(".refusal")
    expect(refusal).to_contain_text("at least 30 days")
    expect(refusal).to_contain_text("Earliest next treatment")
    _in_viewport(page, refusal)
    screenshot(page, "safety-second-session-refused")
