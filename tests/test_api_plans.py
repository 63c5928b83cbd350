"""The JSON API's treatment plans: versions with their items, consents, for clinical roles."""

import pytest
from django.test import Client

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans import consent as consents
from mesoclinic.plans.models import Consent
from mesoclinic.tenancy import acting_for
from tests.factories import CLINICAL, DCA, client_for, draft_plan

PLANS = "/api/v1/plans"


def _token(user, *scopes):
    secret = tokens.create(user, name="t", scopes=list(scopes), days=5)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_a_plan_with_its_versions_and_consents(
    personas, role, consented_plan, patient, org, make_patient
):
    other = make_patient(first_name="Berta", email="berta@example.com")
    draft_plan(org, other, personas["practitioner"], DCA)
    client = client_for(personas[role])
    data = client.get(f"{PLANS}/{consented_plan.public_id}").json()
    assert data["status"] == "consented" and data["patient_id"] == str(patient.public_id)
    [version] = data["versions"]
    assert version["number"] == 1 and version["status"] == "current"
    [item] = version["items"]
    assert item["concern"] == "localized-fat" and item["area"] == "submental"
    assert item["area_name"] and item["area_name"] != "submental"
    assert item["points"] > 0 and item["dose_per_session_ml"] > 0 and item["sessions"] >= 1
    assert item["technique"] and item["products"]
    [consent] = data["consents"]
    assert consent["status"] == "valid" and consent["patient_typed_name"] == "Anna García"
    assert consent["countersigned_by"] == "Dr Pia Prax" and consent["voided_at"] is None
    listed = client.get(PLANS, {"patient": str(patient.public_id)}).json()
    assert [p["id"] for p in listed["results"]] == [str(consented_plan.public_id)]


def test_a_withdrawn_consent_shows_who_when_and_why(org, practitioner, consented_plan):
    with acting_for(org):
        consent = Consent.objects.get(plan=consented_plan)
        consents.revoke(practitioner, consent, "Patient changed her mind")
    data = client_for(practitioner).get(f"{PLANS}/{consented_plan.public_id}").json()
    [shown] = data["consents"]
    assert shown["status"] == "withdrawn" and shown["void_reason"] == "Patient changed her mind"
    assert shown["voided_by"] == "Dr Pia Prax" and shown["voided_at"]


def test_reception_and_tokens_without_clinical_scope_get_403(
    reception, practitioner, consented_plan
):
    for client, headers in (
        (client_for(reception), {}),
        (Client(), _token(practitioner, "read")),
        (Client(), _token(reception, "read", "clinical")),
    ):
        for path in (f"{PLANS}/{consented_plan.public_id}", PLANS):
            response = client.get(path, **headers)
            assert response.status_code == 403 and "García" not in response.content.decode()
    ok = Client().get(
        f"{PLANS}/{consented_plan.public_id}", **_token(practitioner, "read", "clinical")
    )
    assert ok.status_code == 200


def test_outsider_portal_patient_and_anonymous_never_see_a_plan(
    outsider, org, reception, patient, consented_plan
):
    from tests.test_portal import portal_user

    outside = client_for(outsider)
    assert outside.get(f"{PLANS}/{consented_plan.public_id}").status_code == 404
    assert outside.get(PLANS, {"patient": str(patient.public_id)}).status_code == 404
    assert outside.get(PLANS).json()["results"] == []
    me = client_for(portal_user(org, reception, patient))
    assert me.get(f"{PLANS}/{consented_plan.public_id}").status_code == 404
    assert me.get(PLANS).status_code == 404
    assert Client().get(PLANS).status_code == 401


def test_filters_pages_and_bad_values(org, patient, practitioner):
    made = [draft_plan(org, patient, practitioner, DCA) for _ in range(4)]
    client = client_for(practitioner)
    first = client.get(PLANS, {"limit": 3, "sort": "created_at"}).json()
    second = client.get(PLANS, {"limit": 3, "sort": "created_at", "cursor": first["next"]}).json()
    seen = [p["id"] for p in first["results"] + second["results"]]
    assert seen == [str(p.public_id) for p in made] and second["next"] is None
    assert client.get(PLANS, {"status": "consented"}).json()["results"] == []
    assert client.get(PLANS, {"status": "approved-ish"}).status_code == 422
    assert client.get(PLANS, {"sort": "inputs"}).status_code == 422
    other_sort = client.get(PLANS, {"limit": 3, "cursor": first["next"]})
    assert other_sort.status_code == 400 and "cursor" in other_sort.json()["detail"]


def test_each_read_is_one_audit_event(practitioner, consented_plan, patient):
    client = client_for(practitioner)
    before = AuditEvent.objects.order_by("id").last().id  # the consent's own events
    client.get(f"{PLANS}/{consented_plan.public_id}")
    client.get(PLANS, {"patient": str(patient.public_id)})
    client.get(PLANS)
    events = list(
        AuditEvent.objects.filter(id__gt=before)
        .exclude(action="login")
        .order_by("id")
        .values_list("action", "object_type", "object_id", "detail")
    )
    assert events == [
        ("view", "plan", str(consented_plan.public_id), "api"),
        ("view", "patient", str(patient.public_id), "api plans"),
        ("search", "plan", "", "api plans"),
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_costs_the_same_queries_at_3_and_30_plans(
    n, org, patient, practitioner, django_assert_max_num_queries
):
    for _ in range(n):
        draft_plan(org, patient, practitioner, DCA)
    client = client_for(practitioner)
    with django_assert_max_num_queries(12):
        response = client.get(PLANS, {"patient": str(patient.public_id), "limit": 200})
    assert len(response.json()["results"]) == n
