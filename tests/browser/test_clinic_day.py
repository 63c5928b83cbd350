"""One visit through the clinic's day, in one browser journey (issue 17): reception checks
the patient in, the practitioner starts the session from the appointment on a tablet,
charts and signs it, and reception invoices it, takes part of it by card and prints the
invoice. The demo books this course visit today (scheduling.demo.book_course_visit)."""

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import login, screenshot
from tests.browser.flows import htmx_idle, take_part_by_card

PLAN_LOTS = 'optgroup[label="In this session\'s plan"] option'


def _check_in_the_course_visit(page) -> tuple[str, str]:
    """On reception's Today: the course visit's line id and the patient's name."""
    login(page, "reception@demo.clinic")
    row = page.locator("li.visit", has_text="course session").first
    expect(row.get_by_role("button", name=re.compile("^Check in"))).to_be_visible()
    name = row.locator(".day-head a").nth(1).inner_text()
    row_id = row.get_attribute("id")
    row.get_by_role("button", name=re.compile("^Check in")).click()
    htmx_idle(page)
    expect(page.locator(f"#{row_id} .tag.state-arrived")).to_have_text("Arrived")
    return row_id, name


def _chart_every_planned_area(tablet) -> None:
    """Each area of the session's plan, from a lot of the plan's own products."""
    form = tablet.locator("form.chart-form")
    areas = form.get_by_label("Area").locator("option").all_inner_texts()
    assert areas
    for n, area in enumerate(areas, start=1):
        form = tablet.locator("form.chart-form")
        form.get_by_label("Area").select_option(label=area)
        lot = form.get_by_label("Lot")
        lot.select_option(lot.locator(PLAN_LOTS).first.get_attribute("value"))
        form.get_by_label("Volume (mL)").fill("1")
        form.get_by_role("button", name="Add to chart").click()
        htmx_idle(tablet)
        expect(tablet.locator("#chart tbody tr")).to_have_count(n)


def test_a_visit_from_check_in_to_a_part_paid_printed_invoice(page, tablet):
    row_id, name = _check_in_the_course_visit(page)
    screenshot(page, "clinic-day-checked-in")

    # The practitioner, on a tablet, sees the arrival and starts from the appointment.
    login(tablet, "practitioner@demo.clinic")
    visit = tablet.locator(f"#{row_id}")
    expect(visit.locator(".tag.state-arrived")).to_have_text("Arrived")
    visit.get_by_role("link", name=re.compile("^Start session")).click()
    expect(tablet.locator("main")).to_contain_text(re.compile(r"From the appointment at \d\d:\d\d"))
    asked = tablet.get_by_label("Asked today: pregnant or breastfeeding?")
    if asked.count():  # not asked of a patient recorded as male
        asked.select_option("no")
    tablet.get_by_role("button", name="Start session").click()
    expect(tablet.get_by_role("heading", name=f"Session: {name}")).to_be_visible()
    _chart_every_planned_area(tablet)
    screenshot(tablet, "clinic-day-charted")
    tablet.get_by_role("link", name="Sign session…").click()
    tablet.get_by_role("button", name="Confirm and sign").click()
    expect(tablet.get_by_text("Session signed.")).to_be_visible()
    # Signing completed the appointment: the day shows the visit signed, nothing to start.
    tablet.goto("/")
    expect(tablet.locator(f"#{row_id} .visit-state .tag")).to_have_text("Signed")
    expect(
        tablet.locator(f"#{row_id}").get_by_role("link", name=re.compile("^Start"))
    ).to_have_count(0)

    # Reception bills it from the day: the draft comes from the price list.
    page.goto("/")
    to_invoice = page.locator(
        "section", has=page.get_by_role("heading", name="Sessions to invoice")
    )
    screenshot(page, "clinic-day-to-invoice")
    to_invoice.get_by_role("button", name=f"Invoice {name}'s session").click()
    expect(page.locator("h1")).to_have_text("Draft invoice")
    lines = page.locator(".invoice-lines")
    expect(lines).to_contain_text("Mesotherapy, ")
    expect(lines).not_to_contain_text(" mL")  # reception reads no doses
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Invoice \d+$"))
    invoice_url = page.url
    number = page.locator("h1").inner_text().removeprefix("Invoice ")
    total = page.locator(".invoice-lines tr.total td").inner_text()
    screenshot(page, "clinic-day-invoice-issued")

    take_part_by_card(page, invoice_url, "50.00", "TID 4410 AUTH 7781")
    # Out of the day's list once invoiced, and on Payments due with what is left.
    page.goto("/")
    expect(page.get_by_role("heading", name="Sessions to invoice")).to_have_count(0)
    due = page.locator("section", has=page.get_by_role("heading", name="Payments due"))
    expect(due).to_contain_text(name.split()[-1])

    pdf = page.request.get(invoice_url.rstrip("/") + ".pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert number in text and name in text and "Mesotherapy" in text
    assert total.split()[-1] in text
