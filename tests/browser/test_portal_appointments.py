"""The demo patient on a phone (390x844) confirms an upcoming appointment in place,
then moves it to one of the free times offered and sees the new time in the list."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login_patient, screenshot
from tests.browser.flows import htmx_idle
from tests.browser.test_portal_pages import _no_sideways_scroll, _small_targets, phone  # noqa: F401


def _small_targets_but_choices(page) -> list[str]:
    """As `_small_targets`, but a radio button inside its label: the whole label is what
    the thumb taps, and its height is checked on its own."""
    return [t for t in _small_targets(page) if not t.startswith('<input type="radio"')]


def test_the_demo_patient_confirms_and_moves_an_appointment_on_a_phone(phone):  # noqa: F811
    page = phone
    login_patient(page, "patient@demo.clinic")
    page.get_by_role("link", name="Appointments", exact=True).click()
    expect(page.get_by_role("heading", name="Coming up")).to_be_visible()
    # An appointment still to confirm, far enough ahead to be changed online.
    row = (
        page.locator("li.appointment")
        .filter(has=page.get_by_role("button", name="Confirm I will come"))
        .filter(has=page.get_by_role("link", name="Change the time"))
        .first
    )
    expect(row).to_be_visible()
    row_id = row.get_attribute("id")
    row = page.locator(f"#{row_id}")
    screenshot(page, "portal-appointments-actions-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)

    row.get_by_role("button", name="Confirm I will come").click()
    htmx_idle(page)
    expect(row).to_contain_text("Confirmed: thank you")
    expect(row.locator(".tag")).to_have_text("Confirmed")
    expect(row.get_by_role("button", name="Confirm I will come")).to_have_count(0)
    screenshot(page, "portal-appointment-confirmed-phone")
    assert _small_targets(page) == []

    row.get_by_role("link", name="Change the time").click()
    expect(page.get_by_role("heading", name="Change the time")).to_be_visible()
    choices = page.locator("label.slot-choice")
    assert 1 <= choices.count() <= 10
    chosen = choices.nth(choices.count() - 1)
    label = chosen.inner_text().strip()  # e.g. "Tuesday 12 January, 10:00"
    chosen.click()
    expect(chosen.locator("input")).to_be_checked()
    screenshot(page, "portal-appointment-move-phone")
    assert _small_targets_but_choices(page) == []
    heights = choices.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert min(heights) >= 44
    _no_sideways_scroll(page)

    page.get_by_role("button", name="Move to this time").click()
    page.wait_for_url("**/portal/appointments/")
    expect(page.locator(".messages")).to_contain_text("Your appointment is now on")
    day, time = re.match(r"\w+ (\d+ \w+), (\d\d:\d\d)", label).groups()
    moved = page.locator(f"#{row_id}")
    expect(moved).to_contain_text(day)
    expect(moved).to_contain_text(time)
    screenshot(page, "portal-appointment-moved-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)

    # Cancelling asks why, and keeps the appointment until the patient says so.
    moved.get_by_role("link", name="Cancel").click()
    expect(page.get_by_label("Why do you cancel?")).to_be_visible()
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.locator("#id_reason_error")).to_have_text("Tell the clinic why you cancel.")
    screenshot(page, "portal-appointment-cancel-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)
    page.get_by_role("link", name="Keep it").click()
    expect(page.locator(f"#{row_id}")).to_contain_text(time)
