"""Reception books a six-session course from a consented plan; interval rules hold on moves."""

import datetime as dt
import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import add_area, log_out, new_patient, sign_consent


def _consented_dutasteride_plan(page) -> str:
    """As the practitioner: a six-session monthly scalp course, approved and consented."""
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Inès", "Marchand", "1979-06-21")
    page.get_by_role("button", name="New plan").click()
    add_area(page, "Hair loss", "Scalp")
    expect(page.locator("#item-0")).to_be_visible()
    page.locator("#item-0 select[name='item0-protocol']").select_option("hair-dutasteride")
    expect(page.locator("#item-0")).to_contain_text("Dutasteride 0.01% scalp mesotherapy ·")
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    plan_url = re.search(r"/plans/[0-9a-f-]{36}/", page.url).group(0)
    page.get_by_role("link", name="Consent").click()
    sign_consent(page, "Inès Marchand")
    log_out(page)
    return plan_url


def _session_date(page, n: int) -> dt.date:
    text = page.locator(f"tr[data-session='{n}'] .course-appt a").first.inner_text()
    return dt.datetime.strptime(text.split(",")[0], "%a %d %b %Y").date()


def test_reception_books_a_course_and_moves_a_session_within_the_rules(browser, live_app):
    context = browser.new_context(
        base_url=live_app, viewport={"width": 1024, "height": 1366}, has_touch=True
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    plan_url = _consented_dutasteride_plan(page)

    login(page, "reception@demo.clinic")
    page.goto(plan_url + "quote/")
    page.get_by_role("link", name="Book the course").click()
    expect(page.get_by_role("heading", name="Find slots for the 6 open sessions")).to_be_visible()
    expect(page.locator("table.course")).not_to_contain_text("scalp")  # no clinical detail
    page.get_by_label("Site").select_option(label="Demo Clinic Central")
    page.get_by_label("Practitioner").select_option(label="Dr Paul Moreau")
    page.get_by_label("Treatment").select_option(label="Mesotherapy session (45 min)")
    page.get_by_label("Preferred time").fill("10:00")
    page.get_by_role("button", name="Propose appointments").click()
    expect(page.get_by_text("6 sessions proposed")).to_be_visible()
    screenshot(page, "course-proposed")
    page.get_by_role("button", name="Confirm all 6 proposed sessions").click()
    expect(page.get_by_text("6 sessions booked.")).to_be_visible()
    expect(page.locator("table.course .tag", has_text="Booked")).to_have_count(6)
    second, third = _session_date(page, 2), _session_date(page, 3)

    # Three days after session 2 is too early: dutasteride needs at least a week.
    page.locator("tr[data-session='3'] .course-appt a").first.click()
    page.get_by_role("link", name="Move").click()
    page.get_by_label("Date").fill((second + dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Move", exact=True).click()
    refusal = page.locator("#move-error")
    expect(refusal).to_contain_text("Session 3 would be 3 days from session 2")
    expect(refusal).to_contain_text("at least 7 days")
    expect(refusal).to_contain_text("Only a practitioner may shorten it")
    screenshot(page, "move-refused")

    # A week earlier than booked is still well within the interval: pick a free slot.
    target = third - dt.timedelta(days=7)
    page.get_by_label("Date").fill(target.isoformat())
    page.get_by_label("Date").dispatch_event("change")
    slot = page.locator("#slots .slot").first
    expect(slot).to_be_visible()
    chosen = slot.get_attribute("data-time")
    slot.click()
    expect(page.get_by_label("Time")).to_have_value(chosen)
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Moved to "))).to_be_visible()
    expect(page.locator("h1")).to_contain_text(target.strftime("%A %-d %B %Y"))

    # The practitioner's week shows it.
    page.get_by_role("link", name="Dr Paul Moreau").click()
    board = page.locator("#board")
    expect(board).to_contain_text("Dr Paul Moreau")
    moved = board.locator(".blk", has_text="Inès Marchand").filter(has_text="session 3")
    expect(moved).to_contain_text(f"{chosen}–")
    expect(board.locator(".day-head", has_text=target.strftime("%a %-d %b"))).to_be_visible()
    screenshot(page, "practitioner-week")
    context.close()
