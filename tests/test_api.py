"""The JSON API: same roles, same tenancy, same audit as the pages."""

import pytest

from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.factories import client_for

CLINICAL = {"owner", "practitioner", "esthetician"}


@pytest.fixture
def warfarin(org, patient, practitioner):
    with acting_for(org):
        return pm.Medication.objects.create(
            patient=patient, name="Warfarin", recorded_on="2026-10-01", created_by=practitioner
        )


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_every_role_searches_patients(personas, role, patient):
    response = client_for(personas[role]).get("/api/v1/patients", {"q": "garc"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1 and data["results"][0]["id"] == str(patient.public_id)


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_detail_hides_clinical_history_from_reception(personas, role, patient, warfarin):
    data = client_for(personas[role]).get(f"/api/v1/patients/{patient.public_id}").json()
    assert data["last_name"] == "García"
    if role in CLINICAL:
        assert {"kind": "bleeding", "text": "Anticoagulant: Warfarin"} in data["alerts"]
        assert [h["text"] for h in data["history"]] == ["Warfarin"]
    else:
        assert data["alerts"] is None and data["history"] is None and data["weight_kg"] is None


def test_outsider_gets_404_and_an_empty_search(outsider, patient):
    client = client_for(outsider)
    assert client.get(f"/api/v1/patients/{patient.public_id}").status_code == 404
    assert client.get("/api/v1/patients", {"q": "garc"}).json()["count"] == 0


def test_anonymous_callers_get_401(client, patient):
    assert client.get("/api/v1/patients").status_code == 401


def test_bad_input_is_a_4xx_json_error(practitioner, db):
    client = client_for(practitioner)
    assert client.get("/api/v1/patients/not-a-uuid").status_code == 404
    bad_sort = client.get("/api/v1/patients", {"sort": "password"})
    assert bad_sort.status_code == 400 and "sort" in bad_sort.json()["detail"]
    assert client.get("/api/v1/patients", {"page": "x"}).status_code == 422


def test_api_reads_are_audited(practitioner, patient):
    client = client_for(practitioner)
    client.get(f"/api/v1/patients/{patient.public_id}")
    client.get("/api/v1/patients", {"q": "garc"})
    events = list(
        AuditEvent.objects.exclude(action="login")
        .order_by("id")
        .values_list("action", "object_id", "detail")
    )
    assert events == [
        ("view", str(patient.public_id), "api chart"),
        ("search", "", "api by name, page 1"),
    ]


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_the_schema_and_its_docs_are_for_staff_only(personas, path):
    from django.test import Client

    nobody = Client().get(path)
    assert nobody.status_code == 302 and nobody["Location"].startswith("/accounts/login/")
    assert client_for(personas["reception"]).get(path).status_code == 200
