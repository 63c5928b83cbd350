"""The treatment day from the appointment: the patient checked in from today's
appointment page, the arrival time shown where the user is looking."""

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_check_in_from_todays_appointment(page):
    login(page, "practitioner@demo.clinic")
    # Not the course visit the clinic-day journey checks in (at night it is the first).
    booked = page.locator("li.visit").filter(has=page.locator(".day-head a.when"))  # no walk-in
    expect(booked.first).to_be_visible()
    visits = booked.all()
    course = page.locator("li.visit", has_text="course session").first
    kept = course.get_attribute("id") if course.count() else None
    others = [v for v in visits if v.get_attribute("id") != kept]
    assert others, [v.inner_text() for v in visits]
    others[0].locator(".day-head a.when").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("status")).to_contain_text("Checked in at")
    expect(page.locator("main dl")).to_contain_text("Arrived")
    expect(page.get_by_role("button", name="Check in")).to_have_count(0)
    screenshot(page, "appointment-checked-in")
