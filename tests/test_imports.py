"""The owner's CSV import: a dry run first, then all patients or none.

Personas: the owner imports; practitioner, esthetician and reception are refused (403);
the outsider (another clinic's owner) imports into their own clinic only; a portal
patient gets 404; anonymous visitors are sent to log in.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from mesoclinic.accounts.roles import Role
from mesoclinic.audit.models import AuditEvent
from mesoclinic.imports import csvfile, services
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, make_user

HEADER = (
    "first_name,last_name,date_of_birth,sex,phone,email,address,weight_kg,"
    "allergies,medications,conditions\n"
)
GOOD = (
    HEADER
    + "Bea,Bright,1990-02-03,F,+1 555 0101,bea@example.com,1 Main St,61.5,"
    + '"Lidocaine: hives; cat dander","Warfarin: 5 mg daily",diabetes\n'
    + "Carl,Cole,1978-11-30,male,,,,,,,\n"
)


def upload(text: str | bytes, name: str = "patients.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def check(client: Client, text: str | bytes):
    return client.post(reverse("patient_import"), {"file": upload(text)})


def confirm(client: Client, response):
    token = response.context["token"]
    return client.post(reverse("import_confirm"), {"token": token})


def patients_of(org):
    with acting_for(org):
        return {(p.first_name, p.last_name): p for p in pm.Patient.objects.all()}


def rows(n: int) -> str:
    return HEADER + "".join(
        f"First{i},Last{i},{1950 + i % 50}-01-{1 + i % 28:02d},F,,,,,,,\n" for i in range(n)
    )


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


def test_the_dry_run_shows_what_would_be_created_and_creates_nothing(org, owner_client):
    response = check(owner_client, GOOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bea Bright" in page and "Carl Cole" in page
    assert "Import 2 patients" in page
    assert "with 2 allergies, 1 medication and 1 condition" in page
    assert patients_of(org) == {}
    with acting_for(org):
        preview = AuditEvent.objects.filter(detail__startswith="import preview")
        assert preview.count() == 1


def test_a_good_file_imports_patients_with_their_lists(org, owner, owner_client):
    response = confirm(owner_client, check(owner_client, GOOD))
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_list") + "?sort=recent"
    created = patients_of(org)
    assert set(created) == {("Bea", "Bright"), ("Carl", "Cole")}
    bea = created["Bea", "Bright"]
    assert bea.date_of_birth == date(1990, 2, 3) and bea.sex == pm.Sex.FEMALE
    assert created["Carl", "Cole"].sex == pm.Sex.MALE
    with acting_for(org):
        allergies = {(a.substance, a.substance_text, a.reaction) for a in pm.Allergy.active.all()}
        assert allergies == {("lidocaine", "", "hives"), ("", "cat dander", "")}
        (med,) = pm.Medication.objects.filter(patient=bea)
        assert (med.name, med.dose) == ("Warfarin", "5 mg daily")
        (condition,) = pm.Condition.objects.filter(patient=bea)
        assert condition.condition == "diabetes"
        # Created through the patients' services: history kept and audited as by hand.
        assert pm.ChangeLog.objects.filter(patient=bea, action="create").count() == 1 + 4
        created_events = AuditEvent.objects.filter(actor=owner, action="create")
        assert created_events.filter(object_type="patient").count() == 2
        assert created_events.count() == 2 + 4


def test_a_condition_is_matched_on_its_label_case_insensitively(org, owner_client):
    text = HEADER + "Dee,Dale,1980-01-01,F,,,,,,,BLEEDING DISORDER; Diabetes\n"
    confirm(owner_client, check(owner_client, text))
    with acting_for(org):
        kinds = set(pm.Condition.objects.values_list("condition", flat=True))
    assert kinds == {"bleeding-disorder", "diabetes"}


def test_a_file_with_one_bad_row_imports_nothing_and_names_row_field_and_reason(org, owner_client):
    text = GOOD + "Eve,,1985-13-01,Q,,not-an-email,,900,,,sore knees\n"
    response = check(owner_client, text)
    page = response.content.decode()
    refused = {(r.row, r.column) for r in response.context["report"].refused}
    assert {(4, "last_name"), (4, "date_of_birth"), (4, "sex"), (4, "email")} <= refused
    assert (4, "weight_kg") in refused and (4, "conditions") in refused
    assert "Weight must be at most" in page
    assert "Enter a valid email address." in page
    assert "Enter a valid date." in page
    assert "Import 2 patients" not in page
    assert "Nothing has been imported" in page
    # Even a forged confirmation of this check imports nobody.
    response = confirm(owner_client, response)
    assert response.status_code == 400
    assert "nothing was imported" in response.content.decode()
    assert patients_of(org) == {}


def test_a_date_that_is_not_year_month_day_is_refused(owner_client):
    text = HEADER + "Fay,Fern,04/01/1985,F,,,,,,,\n"
    response = check(owner_client, text)
    (refusal,) = response.context["report"].refused
    assert (refusal.row, refusal.column) == (2, "date_of_birth")


def test_duplicates_of_a_patient_and_within_the_file_are_flagged_and_not_created(
    org, owner_client, make_patient
):
    make_patient(first_name="Bea", last_name="Bright", date_of_birth=date(1990, 2, 3))
    text = GOOD + "CARL,cole,1978-11-30,M,,,,,,,\n"
    response = check(owner_client, text)
    duplicates = {(d.row, d.same_as) for d in response.context["report"].duplicates}
    assert duplicates == {(2, "an existing patient"), (4, "row 3")}
    page = response.content.decode()
    assert "Import 1 patient<" in page and "Duplicates, skipped" in page
    confirm(owner_client, response)
    with acting_for(org):
        names = sorted(pm.Patient.objects.values_list("first_name", flat=True))
    assert names == ["Bea", "Carl"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("first_name,last_name,phone\nA,B,1\n", "Missing: date_of_birth, sex."),
        (
            "first_name,last_name,date_of_birth,sex\nJosé,Ñu,1980-01-01,F\n".encode("latin-1"),
            "The file is not in UTF-8.",
        ),
        (b"first_name,last_name\x00", "NUL characters"),
        (HEADER, "no patients"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_message(owner_client, content, message):
    response = check(owner_client, content)
    assert response.status_code == 400
    assert message in response.context["form"].errors["file"][0]


def test_a_file_with_a_bom_is_read(org, owner_client):
    response = check(owner_client, "\ufeff" + GOOD)
    assert len(response.context["report"].planned) == 2


@pytest.mark.parametrize("extra_mb", [0, 1])  # read, then refused before it is read
def test_an_oversized_file_is_refused(org, owner_client, extra_mb):
    text = GOOD + "x" * ((2 + extra_mb) * 1024 * 1024)
    response = check(owner_client, text)
    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()
    assert patients_of(org) == {}


def test_too_many_rows_are_refused(owner_client):
    response = check(owner_client, rows(5001))
    assert "more than 5,000 patients" in response.context["form"].errors["file"][0]


def test_a_double_submit_of_the_import_creates_the_patients_once(org, owner_client):
    preview = check(owner_client, GOOD)
    assert confirm(owner_client, preview).status_code == 302
    again = confirm(owner_client, preview)
    assert again.status_code == 302 and again["Location"] == reverse("patient_import")
    assert len(patients_of(org)) == 2


def test_importing_the_same_file_again_creates_nobody(org, owner_client):
    confirm(owner_client, check(owner_client, GOOD))
    response = check(owner_client, GOOD)
    assert len(response.context["report"].duplicates) == 2
    assert "nobody new to import" in response.content.decode()
    assert len(patients_of(org)) == 2


def test_the_template_downloads_and_imports_as_is(org, owner_client):
    response = owner_client.get(reverse("import_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    text = response.content.decode()
    assert text.splitlines()[0] == HEADER.strip()
    confirm(owner_client, check(owner_client, text))
    assert ("Anna", "Example") in patients_of(org)


@pytest.mark.parametrize("persona", ["practitioner", "esthetician", "reception"])
def test_only_an_owner_imports(personas, persona):
    client = client_for(personas[persona])
    assert client.get(reverse("patient_import")).status_code == 403
    assert check(client, GOOD).status_code == 403
    assert client.post(reverse("import_confirm"), {"token": "x"}).status_code == 403
    assert client.get(reverse("import_template")).status_code == 403


@pytest.mark.parametrize("persona", ["practitioner", "reception"])
def test_the_services_refuse_anyone_but_an_owner(org, personas, persona):
    sheet = csvfile.read(GOOD)
    with acting_for(org), pytest.raises(PermissionDenied):
        services.preview(personas[persona], sheet)
    with acting_for(org), pytest.raises(PermissionDenied):
        services.import_patients(personas[persona], sheet)
    assert patients_of(org) == {}


def test_another_clinics_owner_imports_into_their_own_clinic(org, other_org, outsider):
    client = client_for(outsider)
    confirm(client, check(client, GOOD))
    assert patients_of(org) == {}
    assert len(patients_of(other_org)) == 2


def test_a_confirmation_of_another_check_imports_nothing(org, owner_client):
    check(owner_client, GOOD)
    response = owner_client.post(reverse("import_confirm"), {"token": "an-older-check"})
    assert response["Location"] == reverse("patient_import")
    assert patients_of(org) == {}


def test_an_owner_cannot_confirm_another_sessions_check(org, owner, owner_client):
    preview = check(owner_client, GOOD)
    other_session = client_for(owner)
    other_session.post(reverse("import_confirm"), {"token": preview.context["token"]})
    assert patients_of(org) == {}


def test_a_portal_patient_gets_404(org):
    client = client_for(make_user(org, Role.PATIENT, "pat@example.com", "Pat Portal"))
    assert client.get(reverse("patient_import")).status_code == 404
    assert client.get(reverse("import_template")).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = Client().get(reverse("patient_import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_owners_find_the_import_on_the_patients_list_and_clinic_settings(owner_client, personas):
    link = reverse("patient_import")
    assert link in owner_client.get(reverse("patient_list")).content.decode()
    assert link in owner_client.get(reverse("clinic_settings")).content.decode()
    practitioner = client_for(personas["practitioner"])
    assert link not in practitioner.get(reverse("patient_list")).content.decode()


@pytest.mark.parametrize("count", [5, 200])
def test_the_dry_run_runs_a_bounded_number_of_queries(
    owner_client, make_patient, django_assert_max_num_queries, count
):
    make_patient(first_name="First1", last_name="Last1", date_of_birth=date(1951, 1, 2))
    with django_assert_max_num_queries(7):
        response = check(owner_client, rows(count))
    assert len(response.context["report"].duplicates) == 1
