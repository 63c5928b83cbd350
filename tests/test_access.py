"""Every view, for every persona: allowed, refused (403) or not found (404) for outsiders."""

import pytest
from django.urls import reverse

from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.factories import client_for

ALL = ["owner", "practitioner", "esthetician", "reception"]
CLINICAL = ["owner", "practitioner", "esthetician"]


def _expect(role, allowed):
    return 200 if role in allowed else 403


@pytest.fixture
def allergy(org, patient, practitioner):
    with acting_for(org):
        return pm.Allergy.objects.create(
            patient=patient,
            substance="lidocaine",
            recorded_on="2026-01-01",
            created_by=practitioner,
        )


@pytest.mark.parametrize("role", ALL)
def test_patient_list_is_open_to_every_role(personas, role, patient):
    response = client_for(personas[role]).get(reverse("patient_list"))
    assert response.status_code == 200
    assert "García" in response.content.decode()


def test_outsider_sees_an_empty_list_not_our_patients(personas, patient):
    response = client_for(personas["outsider"]).get(reverse("patient_list"), {"q": "garcia"})
    assert response.status_code == 200
    assert "García" not in response.content.decode()


@pytest.mark.parametrize("role", ALL)
def test_chart_is_open_to_every_role_but_clinical_detail_is_not(personas, role, patient, allergy):
    response = client_for(personas[role]).get(reverse("patient_detail", args=[patient.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert ("Allergy: Lidocaine" in body) == (role in CLINICAL)
    assert ("not shown to your role" in body) == (role not in CLINICAL)


@pytest.mark.parametrize(
    "name,args,writable",
    [
        ("patient_detail", lambda p, _a: [p.public_id], False),
        ("patient_changes", lambda p, _a: [p.public_id], False),
        ("patient_edit", lambda p, _a: [p.public_id], True),
        ("entry_add", lambda p, _a: [p.public_id, "allergy"], True),
        ("entry_void", lambda p, a: [p.public_id, "allergy", a.public_id], True),
    ],
)
def test_outsider_gets_404_for_every_patient_url(personas, patient, allergy, name, args, writable):
    client = client_for(personas["outsider"])
    url = reverse(name, args=args(patient, allergy))
    assert client.get(url).status_code == 404
    if writable:
        post = client.post(url, {"reason": "x" * 10, "first_name": "Hacked", "substance_text": "x"})
        assert post.status_code == 404
        patient.refresh_from_db()
        assert patient.first_name == "Anna"


@pytest.mark.parametrize("role", ALL)
def test_history_changes_need_a_clinical_role(personas, role, patient, allergy):
    client = client_for(personas[role])
    add = client.get(reverse("entry_add", args=[patient.public_id, "medication"]))
    void = client.get(reverse("entry_void", args=[patient.public_id, "allergy", allergy.public_id]))
    changes = client.get(reverse("patient_changes", args=[patient.public_id]))
    assert add.status_code == _expect(role, CLINICAL)
    assert void.status_code == _expect(role, CLINICAL)
    assert changes.status_code == _expect(role, CLINICAL)


@pytest.mark.parametrize("role", ALL)
def test_every_role_may_register_a_patient(personas, role):
    assert client_for(personas[role]).get(reverse("patient_new")).status_code == 200


def test_reception_edit_form_has_no_clinical_fields(personas, patient):
    body = client_for(personas["reception"]).get(reverse("patient_edit", args=[patient.public_id]))
    assert 'name="phone"' in body.content.decode()
    assert 'name="weight_kg"' not in body.content.decode()
    assert 'name="notes"' not in body.content.decode()


@pytest.mark.parametrize("role", ALL + ["outsider"])
def test_staff_and_audit_pages_are_for_owners(personas, role):
    client = client_for(personas[role])
    expected = 200 if role in ("owner", "outsider") else 403
    assert client.get(reverse("staff_list")).status_code == expected
    assert client.get(reverse("audit_log")).status_code == expected


def test_outsider_owner_cannot_deactivate_our_staff(personas):
    target = personas["esthetician"]
    url = reverse("staff_set_active", args=[target.public_id])
    assert client_for(personas["outsider"]).post(url, {"active": "0"}).status_code == 404
    target.refresh_from_db()
    assert target.is_active


def test_outsider_audit_log_does_not_show_our_events(personas, patient):
    client_for(personas["practitioner"]).get(reverse("patient_detail", args=[patient.public_id]))
    body = client_for(personas["outsider"]).get(reverse("audit_log")).content.decode()
    assert str(patient.public_id)[:10] not in body
    body = client_for(personas["owner"]).get(reverse("audit_log")).content.decode()
    assert str(patient.public_id)[:10] in body


@pytest.mark.parametrize("name", ["home", "patient_list", "patient_new", "staff_list", "audit_log"])
def test_anonymous_visitors_are_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_bad_uuid_is_a_404_not_an_error(personas):
    response = client_for(personas["owner"]).get("/patients/not-a-uuid/")
    assert response.status_code == 404
