"""The owner's CSV import of appointments: a dry run through the booking checks, then
all rows or none. Past ones keep their outcome; future ones are booked.

Personas: the owner imports; practitioner, esthetician and reception are refused (403);
the outsider imports into their own clinic only; a portal patient gets 404."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, make_user, next_weekday, open_clinic

HEADER = "first_name,last_name,date_of_birth,practitioner_email,site,room,treatment_type,starts_at,duration_minutes,status"  # noqa: E501


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


def row(when, status="", room="Room 1", email="doc@test.clinic", last="García", **_):
    return f"Anna,{last},1985-04-01,{email},Main site,{room},Mesotherapy,{when},,{status}"


def future(hour=10):
    return f"{next_weekday(1).isoformat()} {hour:02d}:00"


def past(days=30, hour=10):
    return f"{(dt.date.today() - dt.timedelta(days=days)).isoformat()} {hour:02d}:00"


def upload(client, lines):
    text = "\n".join([HEADER, *lines]) + "\n"
    data = {"file": SimpleUploadedFile("a.csv", text.encode(), content_type="text/csv")}
    return client.post(reverse("appointment_import"), data)


def appointments(org):
    with acting_for(org):
        return list(Appointment.objects.order_by("starts_at").values_list("status", flat=True))


def confirm(client):
    token = client.session["appointment_import"]["token"]
    return client.post(reverse("appointment_import_confirm"), {"token": token})


def test_the_dry_run_shows_each_row_and_books_nothing(org, owner, patient, practitioner, clinic):
    client = client_for(owner)
    response = upload(client, [row(future()), row(past(), "completed"), row(past(60), "no-show")])
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "3</strong> appointments to create" in page and "Import 3 appointments" in page
    assert "Completed" in page and "No-show" in page
    assert appointments(org) == []


def test_import_books_future_and_keeps_past_outcomes_once(
    org, owner, patient, practitioner, clinic
):
    client = client_for(owner)
    upload(client, [row(future()), row(past(), "completed"), row(past(60), "cancelled")])
    token = client.session["appointment_import"]["token"]
    assert confirm(client).status_code == 302
    assert appointments(org) == [Status.CANCELLED, Status.COMPLETED, Status.BOOKED]
    again = client.post(reverse("appointment_import_confirm"), {"token": token})
    assert again.status_code == 302 and len(appointments(org)) == 3  # the second submit: nothing
    with acting_for(org):
        created = AuditEvent.objects.filter(action="create", object_type="appointment").count()
    assert created == 3


@pytest.mark.parametrize(
    ("line", "column", "says"),
    [
        (row(future(hour=7)), "starts_at", "is not open"),
        (row(future(), email="nobody@test.clinic"), "practitioner_email", "No colleague"),
        (row(future(), room="Attic"), "room", "no room called"),
        (row(future(), last="Nobody"), "last_name", "No patient"),
        (row("2026-13-01 10:00"), "starts_at", "YYYY-MM-DD HH:MM"),
        (row(past(), "booked"), "starts_at", "already passed"),
        (row(future(), "completed"), "status", "already started"),
        (row(future(), "done"), "status", "booked, completed, no-show or cancelled"),
    ],
)
def test_a_refused_row_names_its_row_column_and_reason(
    org, owner, patient, practitioner, clinic, line, column, says
):
    client = client_for(owner)
    page = upload(client, [row(future(hour=15)), line]).content.decode()
    assert f"<td>3</td><td>{column}</td>" in page, page
    assert says in page and "Nothing has been imported" in page
    assert "Import 1 appointment" not in page
    assert appointments(org) == []


def test_rows_overlapping_each_other_are_refused_and_nothing_is_imported(
    org, owner, patient, practitioner, clinic
):
    client = client_for(owner)
    page = upload(client, [row(future()), row(future(), room="Room 2")]).content.decode()
    assert "<td>3</td><td>starts_at</td>" in page and "already" in page
    response = client.post(reverse("appointment_import_confirm"), {"token": "forged"})
    assert response.status_code == 302 and appointments(org) == []


def test_the_template_is_a_csv_with_every_column(owner):
    response = client_for(owner).get(reverse("appointment_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("patient_id,first_name,last_name")


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_the_owner_imports(personas, role, clinic):
    client = client_for(personas[role])
    for name in ("appointment_import", "appointment_template"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("appointment_import_confirm"), {"token": "x"}).status_code == 403


def test_another_clinic_cannot_book_our_patient(outsider, patient, practitioner, clinic):
    page = upload(client_for(outsider), [row(future())]).content.decode()
    assert "Nothing has been imported" in page and "García" not in page.split("Refused")[0]


def test_a_portal_patient_gets_404(org, patient):
    account = make_user(org, "patient", "anna@example.com", "Anna García")
    assert client_for(account).get(reverse("appointment_import")).status_code == 404


@pytest.mark.parametrize("rows", [2, 30])
def test_the_dry_run_runs_a_bounded_number_of_queries_per_row(
    org, owner, patient, practitioner, clinic, rows, django_assert_max_num_queries
):
    client = client_for(owner)
    lines = [row(past(days=n + 1), "completed") for n in range(rows)]
    with django_assert_max_num_queries(40 + 20 * rows):
        response = upload(client, lines)
    assert f"{rows}</strong> appointments to create" in response.content.decode()
