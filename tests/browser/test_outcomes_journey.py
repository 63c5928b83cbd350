"""A cellulite course measured on a tablet: a baseline Hexsel score before the first
session, the session signed, the end-of-course score, the patient's trajectory, and
the protocol's evidence counting the course."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import (
    add_area,
    htmx_idle,
    new_patient,
    sign_consent,
    take_missing_session_photos,
)

LOT = "CEL26-431"
PROTOCOL = "Cellulite mesotherapy (aminophylline, L-carnitine, plant extracts)"
BASELINE = {"number": "2", "depth": "2", "morphology": "2", "laxity": "1", "nurnberger-muller": "2"}
END = {"number": "1", "depth": "1", "morphology": "1", "laxity": "1", "nurnberger-muller": "1"}


def _receive_cellulite_lot(page) -> None:
    page.goto("/lots/new/")
    page.get_by_label("Site").select_option(label="Demo Clinic Central")
    page.get_by_label("Product").select_option(
        label="Cellulite cocktail (aminophylline, L-carnitine, plant extracts), 10 mL"
    )
    page.get_by_label("Lot number").fill(LOT)
    page.get_by_label("Expires on").fill((date.today() + timedelta(days=300)).isoformat())
    page.get_by_label("Received on").fill(date.today().isoformat())
    page.get_by_label("Vials received").fill("20")
    page.get_by_role("button", name=re.compile("Save|Receive")).click()
    expect(page.locator("main")).to_contain_text(LOT)


def _courses_started(page) -> int:
    page.goto("/evidence/")
    section = page.locator("section.evidence", has=page.get_by_role("heading", name=PROTOCOL))
    if section.count() == 0:
        return 0
    text = section.locator("p.sub").first.inner_text() if section.locator("p.sub").count() else ""
    found = re.search(r"([\d,]+) courses? started", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def _tap_hexsel(page, answers: dict[str, str]) -> None:
    for item, value in answers.items():
        radio = page.locator(f"input[value='{value}']")
        choice = page.locator(f"#item-{item} label.choice", has=radio)
        box = choice.bounding_box()
        assert box["height"] >= 44  # a tap target a finger can hit
        choice.tap()
    htmx_idle(page)


def test_a_cellulite_course_is_measured_from_baseline_to_end(tablet):
    page = tablet
    login(page, "practitioner@demo.clinic")
    _receive_cellulite_lot(page)
    before = _courses_started(page)

    new_patient(page, "Marta", "Quiroga", "1984-09-12", weight="62")
    chart_url = page.url
    page.get_by_role("button", name="New plan").click()
    add_area(page, "Cellulite", "Outer thighs")
    expect(page.locator("#item-0")).to_be_visible()
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    page.get_by_role("link", name="Consent").click()
    sign_consent(page, "Marta Quiroga")

    # The chart says the baseline is due; the score is computed as the answers are tapped.
    page.goto(chart_url)
    due = page.locator("li", has_text="Cellulite Severity Scale (Hexsel)").first
    expect(due).to_contain_text("Baseline")
    due.get_by_role("link", name="Record").click()
    expect(page.get_by_role("heading", name="Cellulite Severity Scale (Hexsel)")).to_be_visible()
    expect(page.locator(".previous")).to_contain_text("No earlier score")
    _tap_hexsel(page, dict(list(BASELINE.items())[:3]))
    expect(page.locator("#live-score")).to_contain_text("2 still to answer")
    _tap_hexsel(page, dict(list(BASELINE.items())[3:]))
    expect(page.locator("#live-score")).to_contain_text("9 of 15 (moderate)")
    screenshot(page, "outcome-hexsel-baseline")
    page.get_by_role("button", name="Record score").click()
    expect(page.get_by_text("9 of 15 (moderate) recorded")).to_be_visible()

    # One session, charted from the new lot and signed.
    page.goto(chart_url)
    page.get_by_role("link", name=re.compile("^Plan of")).first.click()
    page.get_by_role("link", name="Start a session").click()
    page.get_by_label("Site").select_option(label="Demo Clinic Central")
    page.get_by_label("Asked today: pregnant or breastfeeding?").select_option("no")
    page.get_by_label("Weight today (kg)").fill("62")
    page.get_by_role("button", name="Start session").click()
    form = page.locator("form.chart-form")
    area = form.get_by_label("Area")
    area.select_option(area.locator("option", has_text="Outer thighs").first.get_attribute("value"))
    form.get_by_label("Volume (mL)").fill("5")
    lot = form.get_by_label("Lot")
    lot.select_option(lot.locator("option", has_text=LOT).first.get_attribute("value"))
    form.get_by_role("button", name="Add to chart").click()
    htmx_idle(page)
    expect(page.locator("#chart table")).to_contain_text(LOT)
    take_missing_session_photos(page)  # the protocol needs its baseline photos
    page.get_by_role("link", name="Sign session…").click()
    page.get_by_role("button", name="Confirm and sign").click()
    expect(page.get_by_text("Session signed.")).to_be_visible()

    # The end-of-course score, with the baseline shown beside the form.
    page.goto(chart_url)
    page.get_by_role("link", name="Outcomes and scores").click()
    page.get_by_role("link", name="Cellulite Severity Scale (Hexsel)").first.click()
    expect(page.locator(".previous")).to_contain_text("9 of 15 (moderate)")
    page.get_by_label("When").select_option("end")
    _tap_hexsel(page, END)
    expect(page.locator("#live-score")).to_contain_text("5 of 15 (mild)")
    page.get_by_role("button", name="Record score").click()

    # The trajectory, baseline to end, on the patient's outcomes page.
    table = page.locator("table", has=page.get_by_text("End of course"))
    expect(table).to_contain_text("9 of 15 (moderate)")
    expect(table).to_contain_text("5 of 15 (mild)")
    screenshot(page, "outcome-trajectory")

    # And on the chart itself, against the protocol's typical course.
    page.goto(chart_url)
    trajectory = page.locator("#outcome-trajectories figure", has_text="Hexsel")
    expect(trajectory).to_contain_text("Baseline 9 of 15 (moderate) → End 5 of 15 (mild)")
    trajectory.scroll_into_view_if_needed()
    screenshot(page, "chart-trajectory")

    # The protocol's evidence counts the course.
    page.goto("/evidence/")
    expect(page.get_by_role("heading", name=PROTOCOL)).to_be_visible()
    assert before > 0  # the demo clinic's past
    assert _courses_started(page) == before + 1
    screenshot(page, "evidence")
