"""An owner checks a file of appointments: one kept from the past, one refused."""

import datetime as dt

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_owner_checks_appointments_and_sees_the_refused_row(page):
    login(page, "owner@demo.clinic")
    patients = page.request.get("/api/v1/patients?sort=name").json()["results"]
    first, second = patients[0]["id"], patients[1]["id"]
    day = dt.date.today() - dt.timedelta(days=400)
    while day.weekday() != 1:
        day += dt.timedelta(days=1)
    csv = (
        "patient_id,practitioner_email,site,starts_at,duration_minutes,status\n"
        f"{first},practitioner@demo.clinic,Demo Clinic Central,{day} 11:00,30,completed\n"
        f"{second},practitioner@demo.clinic,Demo Clinic Central,{day} 11:15,30,no-show\n"
        f"{second},practitioner@demo.clinic,Nowhere,{day} 11:00,30,cancelled\n"
    )
    page.goto("/imports/")
    page.get_by_role("link", name="Import appointments").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "appointments.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("#report")
    expect(report).to_contain_text("1 appointment to create")
    expect(report).to_contain_text("2 rows refused")
    refused = report.locator("table").first
    expect(refused).to_contain_text("already booked")
    expect(refused).to_contain_text("No site of this clinic is called “Nowhere”.")
    expect(report).to_contain_text("Nothing has been imported")
    screenshot(page, "import-appointments-dry-run")
