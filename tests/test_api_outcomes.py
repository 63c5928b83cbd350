"""The JSON API's outcome scores: a patient's assessments and recording one through the
outcomes service the page uses (the engine scores the answers and refuses one out of the
scale's range next to it; one record per Idempotency-Key; its audit event). Clinical
roles with the clinical scope; recording also needs the write scope. Reception gets 403,
another clinic 404, a portal patient 404, nobody 401."""

import uuid

import pytest
from django.test import Client

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes import services
from mesoclinic.outcomes.models import Assessment
from mesoclinic.tenancy import acting_for
from tests.factories import CLINICAL, client_for
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures


def scored(org, user, patient, value=3, instrument="pain-nrs"):
    entry = services.Entry(instrument=instrument, timepoint="each-session")
    with acting_for(org):
        return services.record_assessment(user, patient, entry, {"value": value}, uuid.uuid4())


@pytest.fixture
def assessment(org, practitioner, patient):
    return scored(org, practitioner, patient)


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _body(patient, **changes):
    body = {
        "patient": str(patient.public_id),
        "instrument": "pain-nrs",
        "timepoint": "each-session",
        "answers": {"value": 4},
    }
    body.update(changes)
    return body


def _post(client, body, key=None, **headers):
    return client.post(
        "/api/v1/outcomes", body, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()), **headers,
    )  # fmt: skip


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_a_patients_scores(personas, role, assessment, patient):
    client = client_for(personas[role])
    found = client.get(f"/api/v1/outcomes?patient={patient.public_id}").json()["results"]
    assert [(a["instrument"], a["total"], a["display"], a["rater"]) for a in found] == [
        ("pain-nrs", "3.00", "3 of 10", "patient")
    ]
    assert found[0]["recorded_by"] == "Dr Pia Prax" and found[0]["instrument_name"]
    detail = client.get(f"/api/v1/outcomes/{assessment.public_id}").json()
    assert detail["id"] == str(assessment.public_id) and detail["answers"] == {"value": 3}


def test_reception_and_a_token_without_the_clinical_scope_see_no_scores(
    reception, practitioner, assessment, patient
):
    urls = [
        f"/api/v1/outcomes?patient={patient.public_id}",
        f"/api/v1/outcomes/{assessment.public_id}",
    ]
    for url in urls:
        assert client_for(reception).get(url).status_code == 403, url
    assert _post(client_for(reception), _body(patient)).status_code == 403
    _, narrow = tokens.create(practitioner, name="t", scopes=["read", "write"], days=5)
    for url in urls:
        assert Client().get(url, **_bearer(narrow)).status_code == 403, url
    assert _post(Client(), _body(patient), **_bearer(narrow)).status_code == 403


def test_another_clinic_a_portal_patient_and_nobody_are_refused(outsider, me, assessment, patient):  # noqa: F811
    for url in (
        f"/api/v1/outcomes?patient={patient.public_id}",
        f"/api/v1/outcomes/{assessment.public_id}",
    ):
        response = client_for(outsider).get(url)
        assert response.status_code == 404 and patient.last_name not in response.content.decode()
        assert client_for(me).get(url).status_code == 404
        assert Client().get(url).status_code == 401
    assert _post(client_for(outsider), _body(patient)).status_code == 404


def test_a_score_is_recorded_once_per_key_and_audited(org, practitioner, patient):
    client = client_for(practitioner)
    key = str(uuid.uuid4())
    first = _post(client, _body(patient), key)
    assert first.status_code == 201, first.content
    assert first.json()["display"] == "4 of 10"
    again = _post(client, _body(patient), key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    with acting_for(org):
        assert Assessment.objects.count() == 1
        events = AuditEvent.objects.filter(action="create", object_type="assessment")
        assert events.count() == 1 and events.get().actor == practitioner


def test_the_engines_refusals_come_back_next_to_the_field(org, practitioner, patient):
    client = client_for(practitioner)
    out_of_range = _post(client, _body(patient, answers={"value": 14}))
    assert out_of_range.status_code == 400 and out_of_range.json()["errors"]["value"]
    unknown = _post(client, _body(patient, instrument="no-such-scale"))
    assert unknown.status_code == 400 and "instrument" in unknown.json()["errors"]
    future = _post(client, _body(patient, taken_at="2999-01-01T10:00:00+00:00"))
    assert "future" in future.json()["errors"]["taken_at"][0]
    no_key = client.post("/api/v1/outcomes", _body(patient), content_type="application/json")
    assert no_key.status_code == 400
    foreign_plan = _post(client, _body(patient, plan=str(uuid.uuid4())))
    assert foreign_plan.status_code == 400 and "plan" in foreign_plan.json()["errors"]
    with acting_for(org):
        assert not Assessment.objects.exists()


def test_a_read_only_token_cannot_record(practitioner, patient, org):
    _, secret = tokens.create(practitioner, name="t", scopes=["read", "clinical"], days=5)
    response = _post(Client(), _body(patient), **_bearer(secret))
    assert response.status_code == 403 and "write" in response.json()["detail"]
    _, writer = tokens.create(practitioner, name="w", scopes=["read", "write", "clinical"], days=5)
    assert _post(Client(), _body(patient), **_bearer(writer)).status_code == 201


def test_an_amended_score_is_left_out_unless_voided_ones_are_asked_for(
    org, practitioner, patient, assessment
):
    with acting_for(org):
        corrected = services.amend(
            practitioner, assessment, {"value": 5}, "Typed the wrong number", uuid.uuid4()
        )
    client = client_for(practitioner)
    shown = client.get(f"/api/v1/outcomes?patient={patient.public_id}").json()["results"]
    assert [(a["id"], a["amends"]) for a in shown] == [
        (str(corrected.public_id), str(assessment.public_id))
    ]
    every = client.get(f"/api/v1/outcomes?patient={patient.public_id}&voided=true").json()
    assert sorted(a["voided"] for a in every["results"]) == [False, True]


def test_score_pages_and_the_list_audit(org, practitioner, patient):
    made = [scored(org, practitioner, patient, value=n) for n in (1, 2, 3)]
    client = client_for(practitioner)
    url = f"/api/v1/outcomes?patient={patient.public_id}&sort=oldest&limit=2"
    first = client.get(url).json()
    second = client.get(f"{url}&cursor={first['next']}").json()
    seen = [a["id"] for a in first["results"] + second["results"]]
    assert seen == [str(a.public_id) for a in made] and second["next"] is None
    with acting_for(org):
        assert AuditEvent.objects.filter(detail="api outcomes").count() == 2


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_bounded_number_of_queries(
    org, practitioner, patient, count, django_assert_max_num_queries
):
    for n in range(count):
        scored(org, practitioner, patient, value=n % 10)
    client = client_for(practitioner)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/outcomes?patient={patient.public_id}&limit=200")
        assert len(response.json()["results"]) == count
