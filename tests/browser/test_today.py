"""Today: reception checks a patient in from their day, and the practitioner's own day
shows the patient arrived; each role's day looked at on a landscape and a portrait tablet."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import htmx_idle

PORTRAIT = {"width": 768, "height": 1024}


def test_reception_checks_in_and_the_practitioner_sees_arrived(page, tablet):
    login(page, "reception@demo.clinic")
    expect(page.get_by_role("heading", name="Arrivals today")).to_be_visible()
    row = (
        page.locator("li.visit", has_text="Dr Paul Moreau")
        .filter(has=page.get_by_role("button", name=re.compile("^Check in")))
        .first
    )
    name = row.locator(".day-head a").nth(1).inner_text()
    row_id = row.get_attribute("id")
    screenshot(page, "today-reception")
    button = row.get_by_role("button", name=re.compile("^Check in"))
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    button.click()
    htmx_idle(page)
    line = page.locator(f"#{row_id}")
    expect(line.locator(".tag.state-arrived")).to_have_text("Arrived")
    expect(line.get_by_role("button", name=re.compile("^Check in"))).to_have_count(0)
    screenshot(page, "today-reception-checked-in")
    page.reload()  # the arrival is kept, not only swapped in
    expect(page.locator(f"#{row_id} .tag.state-arrived")).to_have_text("Arrived")

    login(tablet, "practitioner@demo.clinic")
    tablet.set_viewport_size(PORTRAIT)
    expect(tablet.get_by_role("heading", name="Your patients today")).to_be_visible()
    mine = tablet.locator(f"#{row_id}")
    expect(mine).to_contain_text(name)
    expect(mine.locator(".tag.state-arrived")).to_have_text("Arrived")
    screenshot(tablet, "today-practitioner-portrait")


def test_the_owners_day_and_alerts(page):
    login(page, "owner@demo.clinic")
    expect(page.get_by_role("heading", name=re.compile("^Today at "))).to_be_visible()
    expect(page.get_by_role("heading", name="Clinic alerts")).to_be_visible()
    screenshot(page, "today-owner")
    page.set_viewport_size(PORTRAIT)
    screenshot(page, "today-owner-portrait")
    if page.get_by_label("Site", exact=True).count():
        options = page.get_by_label("Site", exact=True).locator("option")
        second = options.nth(options.count() - 1).inner_text()
        page.get_by_label("Site", exact=True).select_option(label=second)
        page.get_by_role("button", name="Show", exact=True).click()
        expect(page.get_by_role("heading", name=f"Today at {second}")).to_be_visible()


def test_the_estheticians_day(page):
    login(page, "esthetician@demo.clinic")
    expect(page.get_by_role("heading", name="Your patients today")).to_be_visible()
    screenshot(page, "today-esthetician")
