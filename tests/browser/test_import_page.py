"""An owner uploads a file with one good and one bad row and reads the check."""

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

CSV = (
    "first_name,last_name,date_of_birth,sex,phone,email,address,weight_kg,"
    "allergies,medications,conditions\n"
    'Gina,Good,1988-05-06,F,,gina@example.com,,58,"Lidocaine: hives",,Diabetes\n'
    "Bob,,06/05/1988,M,,not-an-email,,,,,\n"
)


def test_owner_checks_a_file_and_sees_the_refused_row(page):
    login(page, "owner@demo.clinic")
    page.goto("/patients/")
    page.get_by_role("link", name="Import from a spreadsheet").click()
    screenshot(page, "import-page")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "patients.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("#report")
    expect(report).to_contain_text("1 patient to create")
    expect(report).to_contain_text("1 row refused")
    refused = report.locator("table").first
    expect(refused).to_contain_text("last_name")
    expect(refused).to_contain_text("Write the date as YYYY-MM-DD")
    expect(refused).to_contain_text("Enter a valid email address.")
    expect(report).to_contain_text("Nothing has been imported")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    screenshot(page, "import-report")
