"""A treatment day on a tablet: chart from a consented plan, refuse an expired vial, sign,
hand over the aftercare PDF, then trace a later infection back to the vial."""

import io
import re
from datetime import date

from PIL import Image, ImageDraw
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import login, screenshot
from tests.browser.flows import add_area, give_photo_consent, new_patient, sign_consent

EXPIRED_LOT = "DCA23-907"  # the demo's expired deoxycholic acid vial, still on the shelf
GOOD_LOT = "DCA24-118"


def _consented_submental_plan(page) -> None:
    page.get_by_role("button", name="New plan").click()
    add_area(page, "Localized fat", "Submental (under the chin)")
    expect(page.locator("#item-0")).to_be_visible()
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    page.get_by_role("link", name="Consent").click()
    sign_consent(page, "Lucía Navarro")
    page.get_by_role("link", name="Plan", exact=True).click()


def _chart_with(page, lot_number: str) -> None:
    form = page.locator("form.chart-form")
    form.get_by_label("Area").select_option(label="Submental (under the chin)")
    form.get_by_label("Technique").select_option("hypodermic")
    lot = form.get_by_label("Lot")
    value = lot.locator("option", has_text=lot_number).first.get_attribute("value")
    lot.select_option(value)
    form.get_by_role("button", name="Add to chart").click()


def _drawn_jpeg() -> bytes:
    """A grey card with a disc (shapes drawn here, never a person)."""
    image = Image.new("RGB", (900, 1200), (225, 228, 230))
    ImageDraw.Draw(image).ellipse((250, 250, 650, 800), fill=(200, 150, 130))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _pdf_text(download) -> str:
    pdf = download.path().read_bytes()
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_treatment_day_from_charting_to_a_traced_infection(tablet):
    page = tablet
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Lucía", "Navarro", "1979-05-02", weight="70")
    chart_url = page.url
    _consented_submental_plan(page)

    page.get_by_role("link", name="Start a session").click()
    page.get_by_label("Site").select_option(label="Demo Clinic Central")
    page.get_by_label("Asked today: pregnant or breastfeeding?").select_option("no")
    page.get_by_label("Weight today (kg)").fill("70")
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name=re.compile("Session: Lucía Navarro"))).to_be_visible()

    # The expired vial in hand is refused next to the lot field; what was typed stays.
    page.locator("form.chart-form").get_by_label("Volume (mL)").fill("2")
    _chart_with(page, EXPIRED_LOT)
    expect(page.locator("form.chart-form")).to_contain_text(f"Lot {EXPIRED_LOT} expired on")
    expect(page.locator("form.chart-form").get_by_label("Volume (mL)")).to_have_value("2")
    screenshot(page, "session-expired-lot")

    _chart_with(page, GOOD_LOT)
    expect(page.locator("#chart table")).to_contain_text(GOOD_LOT)
    caption = page.locator("#chart .zoom figcaption").first
    done = int(re.search(r"(\d+) done", caption.inner_text()).group(1))
    assert done > 0
    target = page.locator("#chart .zoom circle.hit[aria-label^='Unmark']").first
    box = target.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a tap target a finger can hit
    target.tap()
    expect(page.locator("#chart .zoom figcaption").first).to_contain_text(
        f"{done - 1} done, 1 planned not done"
    )
    screenshot(page, "session-charted")

    # The course needs its baseline photos: the session page says which views are missing.
    session_url = page.url
    page.set_viewport_size({"width": 1024, "height": 768})
    views = page.locator("#session-photo-views")
    expect(views).to_contain_text("0 of 2 taken")
    expect(views).to_contain_text("Submental, front, chin raised")
    take = views.get_by_role("link", name=re.compile("^Take"))
    expect(take).to_have_count(2)
    assert take.first.bounding_box()["height"] >= 44
    screenshot(page, "session-photo-views-missing")

    page.get_by_role("link", name="Sign session…").click()
    summary = page.locator("main")
    expect(summary).to_contain_text("Given in this session")
    expect(summary).to_contain_text("Deoxycholic acid")
    expect(summary).to_contain_text(GOOD_LOT)
    expect(summary).to_contain_text("needs its baseline photos before its first session")
    expect(summary).to_contain_text("0 of 2 taken — missing: Submental, front, chin raised")
    screenshot(page, "session-sign-confirm")
    page.get_by_role("button", name="Confirm and sign").click()
    refusal = page.locator(".error-box.refusal")
    expect(refusal).to_contain_text("needs its baseline photos")
    expect(refusal).to_be_in_viewport()
    screenshot(page, "session-sign-refused")

    for view in ("Submental, front, chin raised", "Submental, profile"):
        page.goto(session_url)
        page.locator("#session-photo-views").get_by_role(
            "link", name=f"Take {view}", exact=True
        ).click()
        if page.locator("#consent-clinical").get_by_role("button").count():
            give_photo_consent(page)  # the first photo of this patient
        expect(page.get_by_label("View")).to_have_value(re.compile("^submental-"))
        page.locator("#id_photo").set_input_files(
            {"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": _drawn_jpeg()}
        )
        page.get_by_role("button", name="Keep the photo").click()
        expect(page.get_by_text(f"Photo kept: {view}.")).to_be_visible()
    page.goto(session_url)
    expect(page.locator("#session-photo-views")).to_contain_text("All 2 standard views taken")
    for img in page.locator("#session-photo-views img").all():
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    screenshot(page, "session-photo-views-taken")

    page.get_by_role("link", name="Sign session…").click()
    expect(page.locator("main")).not_to_contain_text("baseline photos")
    page.get_by_role("button", name="Confirm and sign").click()
    expect(page.get_by_text("Session signed.")).to_be_visible()
    expect(page.get_by_role("button", name="Add to chart")).to_have_count(0)
    page.get_by_role("link", name="Aftercare sheet").click()
    expect(page.get_by_text("Seek care at once for intense pain")).to_have_count(1)
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF").click()
    text = _pdf_text(info.value)
    assert "Lucía Navarro" in text and "Seek care at once" in text

    # Later: the patient comes back with an infection in the treated area.
    page.goto(chart_url)
    page.get_by_role("link", name="Record adverse event").click()
    page.get_by_label("Event").select_option("infection")
    page.get_by_label("Severity (CTCAE v5 grade)").select_option("3")
    page.get_by_label("Onset date").fill(date.today().isoformat())
    page.get_by_label("Area").select_option(label="Submental (under the chin)")
    page.get_by_label("Description").fill("Tender fluctuant nodules with discharge under the chin")
    page.get_by_label(re.compile(GOOD_LOT)).check()
    page.get_by_role("button", name="Record adverse event").click()
    page.wait_for_url(re.compile(r"/adverse-events/[0-9a-f-]{36}/$"))
    expect(page.locator("main")).to_contain_text("Serious")
    screenshot(page, "adverse-event")

    page.goto("/safety/")
    rows = page.locator("table")
    expect(rows).to_contain_text("Navarro, Lucía")
    expect(rows).to_contain_text(GOOD_LOT)
    screenshot(page, "safety-list")

    page.goto(f"/lots/recall/?lot={GOOD_LOT}")
    expect(page.locator("table")).to_contain_text(re.compile("Navarro, Lucía|Lucía Navarro"))
    screenshot(page, "recall")
