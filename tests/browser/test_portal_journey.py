"""A new patient's whole portal journey on a phone (390x844, touch), as issue 16 tells
it: the clinic registers her, approves her plan, books her visit and invites her; she
accepts the emailed invitation, fills the medical history questionnaire, signs the
consent at home, moves her appointment to an offered time and reports a red flag, and is
told to call; the practitioner then finds her report first in the queue, flagged."""

import datetime as dt
import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import add_area, draw_signature, log_out, new_patient
from tests.browser.test_portal_pages import _no_sideways_scroll, _small_targets, phone  # noqa: F401

FIRST, LAST = "Maëlle", "Journey"
EMAIL = "maelle.journey@example.org"
PORTAL_PASSWORD = "lavender kite harbour 42"


def _visit_day(today: dt.date) -> dt.date:
    """A Tuesday two weeks on, past the demo diary's fortnight of bookings and well
    outside the notice period, when the practitioner works at the central site."""
    day = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=15)
    return day + dt.timedelta(days=7) if (day.month, day.day) == (12, 25) else day


def _portal_page_fits_a_phone(page, name: str, *, radios_in_labels: bool = False) -> None:
    screenshot(page, name)
    _no_sideways_scroll(page)
    small = _small_targets(page)
    if radios_in_labels:  # the whole label is the target, checked on its own
        small = [t for t in small if not t.startswith('<input type="radio"')]
    assert small == []


def _clinic_registers_and_invites(page, mailbox) -> str:
    """As the practitioner on a desktop: the patient, her plan, her visit, the invitation;
    the link the invitation email carries."""
    login(page, "practitioner@demo.clinic")
    new_patient(page, FIRST, LAST, "1988-03-14", email=EMAIL)
    chart_url = page.url
    expect(page.locator("main")).to_contain_text(EMAIL)

    page.get_by_role("button", name="New plan").click()
    expect(page.get_by_role("heading", name=re.compile("Treatment plan"))).to_be_visible()
    add_area(page, "Localized fat", "Submental (under the chin)")
    expect(page.locator("#item-0")).to_be_visible()
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")

    page.goto(chart_url)
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.locator("#patient-picker")).to_contain_text(f"{FIRST} {LAST}")
    page.get_by_label("Date").fill(_visit_day(dt.date.today()).isoformat())
    page.get_by_label("Time").fill("12:00")
    page.get_by_label("Practitioner").select_option(label="Dr Paul Moreau")
    page.get_by_label("Treatment").select_option(label="Mesotherapy session (45 min)")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(re.compile(r"^Booked .* with Dr Paul Moreau"))).to_be_visible()
    screenshot(page, "portal-journey-0-staff-booked")

    page.goto(chart_url)
    panel = page.locator("#portal-panel")
    panel.get_by_role("button", name="Invite to the portal").click()
    expect(page.locator("#portal-panel")).to_contain_text(f"Invitation emailed to {EMAIL}.")
    screenshot(page, "portal-journey-0-staff-invited")
    link = re.search(r"https?://\S+/portal/\S+", mailbox(EMAIL))
    assert link, "the invitation email carries no portal link"
    log_out(page)
    return link.group(0)


def test_a_new_patient_goes_through_the_portal_and_tops_the_queue(page, phone, mailbox):  # noqa: F811
    invitation = _clinic_registers_and_invites(page, mailbox)

    # The invitation: a password, and she is in her portal.
    phone.goto(invitation)
    expect(phone.get_by_role("heading", name="Your patient portal at")).to_be_visible()
    phone.get_by_label("Choose a password").fill(PORTAL_PASSWORD)
    phone.get_by_label("The same password again").fill(PORTAL_PASSWORD)
    _portal_page_fits_a_phone(phone, "portal-journey-1-accept")
    phone.get_by_role("button", name="Set my password").click()
    phone.wait_for_url("**/portal/")
    expect(phone.get_by_role("heading", name=f"Hello {FIRST}")).to_be_visible()
    expect(phone.get_by_role("heading", name="Your consent to read and sign")).to_be_visible()
    _portal_page_fits_a_phone(phone, "portal-journey-2-home")

    # The medical history questionnaire: an allergy and a medicine.
    phone.get_by_role("link", name="Medical history").click()
    phone.get_by_label("Allergy 1: to what").fill("Lidocaine")
    phone.get_by_label("Allergy 1: what happens").fill("hives and swollen lips")
    phone.get_by_label("Medicine 1", exact=True).fill("Ibuprofen")
    _portal_page_fits_a_phone(phone, "portal-journey-3-questionnaire")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_text("the clinic has your answers")).to_be_visible()
    _portal_page_fits_a_phone(phone, "portal-journey-4-answers-sent")

    # The consent, read and signed at home with a drawn signature.
    phone.get_by_role("link", name="Home").click()
    phone.get_by_role("link", name="Read and sign").click()
    expect(phone.get_by_role("heading", name="CONSENT TO MESOTHERAPY")).to_be_visible()
    expect(phone.locator(".doc-meta").filter(has_text="Patient:")).to_contain_text(
        f"{FIRST} {LAST}"
    )
    phone.get_by_label("Your full name").fill(f"{FIRST} {LAST}")
    draw_signature(phone)
    phone.get_by_label("I have read and understood this document").check()
    _portal_page_fits_a_phone(phone, "portal-journey-5-consent-signing")
    phone.get_by_role("button", name="Sign consent").click()
    expect(phone.get_by_text("Thank you: your consent is signed.")).to_be_visible()
    expect(phone.locator(".sig-image path")).to_have_attribute("d", re.compile(r"^M\d"))
    _portal_page_fits_a_phone(phone, "portal-journey-6-consent-signed")

    # The appointment the clinic booked, moved to one of the times offered.
    phone.get_by_role("link", name="Appointments", exact=True).click()
    expect(phone.get_by_role("heading", name="Coming up")).to_be_visible()
    row = phone.locator("li.appointment").filter(has_text="Dr Paul Moreau")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("12:00")
    row_id = row.get_attribute("id")
    _portal_page_fits_a_phone(phone, "portal-journey-7-appointments")
    row.get_by_role("link", name="Change the time").click()
    expect(phone.get_by_role("heading", name="Change the time")).to_be_visible()
    choices = phone.locator("label.slot-choice")
    assert choices.count() >= 1
    chosen = choices.first
    label = chosen.inner_text().strip()  # e.g. "Tuesday 22 December, 09:00"
    chosen.click()
    expect(chosen.locator("input")).to_be_checked()
    _portal_page_fits_a_phone(phone, "portal-journey-8-move", radios_in_labels=True)
    phone.get_by_role("button", name="Move to this time").click()
    phone.wait_for_url("**/portal/appointments/")
    expect(phone.locator(".messages")).to_contain_text("Your appointment is now on")
    day, time = re.match(r"\w+ (\d+ \w+), (\d\d:\d\d)", label).groups()
    moved = phone.locator(f"#{row_id}")
    expect(moved).to_contain_text(day)
    expect(moved).to_contain_text(time)
    _portal_page_fits_a_phone(phone, "portal-journey-9-moved")

    # A side effect with a red flag: the instruction to call, the number on screen.
    phone.get_by_role("link", name="How are you?").click()
    phone.get_by_label("Unwell", exact=True).check()
    phone.get_by_label("Redness that is spreading, or skin hot to the touch").check()
    phone.get_by_label("How bad is it").fill("7")
    phone.get_by_label("Where on your body?").fill("Under the chin")
    _portal_page_fits_a_phone(phone, "portal-journey-10-checkin")
    phone.get_by_role("button", name="Send to the clinic").click()
    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text("Call the clinic today")
    expect(alert).to_be_in_viewport()
    # The number of the site she is booked at, where her thumb can reach it.
    number = alert.get_by_role("link", name="+1 555 0100 100", exact=True)
    expect(number).to_have_attribute("href", "tel:+15550100100")
    expect(number).to_be_in_viewport()
    _portal_page_fits_a_phone(phone, "portal-journey-11-call-today")

    # The practitioner: reports waiting with a red flag, hers first in the queue.
    login(page, "practitioner@demo.clinic")
    expect(page.locator(".reports-waiting")).to_contain_text("with a red flag")
    screenshot(page, "portal-journey-12-staff-home")
    page.get_by_role("link", name="Review the reports").click()
    first = page.locator(".report-queue li").first
    expect(first).to_contain_text(f"{FIRST} {LAST}")
    expect(first).to_contain_text("Red flag: call today")
    expect(first).to_contain_text("Redness that is spreading")
    screenshot(page, "portal-journey-13-staff-queue")
