"""The JSON API: same roles, same tenancy, same audit as the pages."""

import datetime as dt

import pytest
from django.test import Client

from mesoclinic.api import tokens
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
    assert [r["id"] for r in data["results"]] == [str(patient.public_id)] and data["next"] is None


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
    assert client.get("/api/v1/patients", {"q": "garc"}).json()["results"] == []


def test_anonymous_callers_get_401(client, patient):
    assert client.get("/api/v1/patients").status_code == 401


def test_bad_input_is_a_4xx_json_error(practitioner, db):
    client = client_for(practitioner)
    for path in ("/api/v1/patients/not-a-uuid", "/api/v1/no-such-thing"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert missing["Content-Type"] == "application/json"
        assert missing.json() == {"detail": "Not found."}
    # A sort outside the documented list is refused by the schema itself, naming it.
    bad_sort = client.get("/api/v1/patients", {"sort": "password"})
    assert bad_sort.status_code == 422
    assert [p["loc"] for p in bad_sort.json()["detail"]] == [["query", "sort"]]
    assert client.get("/api/v1/patients", {"limit": "x"}).status_code == 422
    assert client.get("/api/v1/patients", {"limit": 0}).status_code == 422
    forged = client.get("/api/v1/patients", {"cursor": "eyJvIjoibmFtZSJ9:forged"})
    assert forged.status_code == 400 and "cursor" in forged.json()["detail"]


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
        ("search", "", "api by name"),
    ]


# --- interactive docs -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_the_docs_are_served_from_our_own_files_to_staff(personas, role):
    response = client_for(personas[role]).get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert client_for(personas[role]).get("/api/v1/openapi.json").status_code == 200


def test_the_docs_need_a_staff_log_in(client, db, org, reception, patient):
    for path in ("/api/v1/docs", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    from tests.test_portal import portal_user

    patient_client = client_for(portal_user(org, reception, patient))
    assert patient_client.get("/api/v1/docs").status_code == 404


def test_cursor_pages_walk_every_patient_once_in_order(make_patient, practitioner):
    made = [make_patient(last_name=f"Zed{i:02d}") for i in range(7)]
    client = client_for(practitioner)
    seen, params = [], {"q": "zed", "limit": 3}
    for _ in range(5):
        data = client.get("/api/v1/patients", params).json()
        seen += [r["last_name"] for r in data["results"]]
        if data["next"] is None:
            break
        params = {"q": "zed", "limit": 3, "cursor": data["next"]}
    assert seen == [p.last_name for p in made]
    # A cursor from one sort is refused by another, never silently mixed.
    first = client.get("/api/v1/patients", {"q": "zed", "limit": 3}).json()["next"]
    other = client.get("/api/v1/patients", {"q": "zed", "sort": "dob", "cursor": first})
    assert other.status_code == 400


# --- registering a patient ----------------------------------------------------------------

NEW = {"first_name": "Dana", "last_name": "Novak", "date_of_birth": "1988-04-09", "sex": "F"}


def _create(client, **changes):
    return client.post("/api/v1/patients", {**NEW, **changes}, content_type="application/json")


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_every_staff_role_registers_a_patient_once_as_the_form_does(personas, role, org, site):
    client = client_for(personas[role])
    made = _create(client, home_site=str(site.public_id), phone="+44 7700 900123")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["last_name"] == "Novak" and data["date_of_birth"] == "1988-04-09"
    again = _create(client, home_site=str(site.public_id))  # a retry: the same patient
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    with acting_for(org):
        from mesoclinic.patients.models import Patient

        patient = Patient.objects.get(last_name="Novak")
    assert patient.home_site == site and patient.created_by == personas[role]
    created = AuditEvent.objects.filter(action="create", object_id=data["id"])
    assert (
        created.count() == 1
        and not AuditEvent.objects.filter(action="view", object_id=data["id"]).exists()
    )


def test_bad_values_are_named_and_a_namesake_is_a_conflict(practitioner, reception, patient):
    client = client_for(practitioner)
    future = _create(client, date_of_birth="2999-01-01", weight_kg="900")
    assert future.status_code == 400
    assert set(future.json()["errors"]) >= {"date_of_birth", "weight_kg"}
    sms = _create(client, contact_by="sms", phone="")
    assert "phone" in sms.json()["errors"]
    namesake = {
        "first_name": patient.first_name.upper(),
        "last_name": patient.last_name,
        "date_of_birth": str(patient.date_of_birth),
    }
    other = client_for(reception)
    conflict = _create(other, **namesake)
    assert conflict.status_code == 409 and str(patient.public_id) in conflict.json()["detail"]
    assert _create(other, **namesake, duplicate_ok=True).status_code == 201
    # Reception registers demographics only: a measurement sent is refused, not dropped.
    weighed = _create(other, first_name="Wei", weight_kg="70")
    assert weighed.status_code == 400 and "weight_kg" in weighed.json()["errors"]


def test_registering_needs_a_write_token_and_is_closed_to_patients_and_strangers(
    org, reception, patient, db
):
    from tests.test_portal import portal_user

    read_only = tokens.create(reception, name="t", scopes=["read"], days=5)[1]
    refused = Client().post(
        "/api/v1/patients", NEW, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read_only}",
    )  # fmt: skip
    assert refused.status_code == 403
    assert _create(client_for(portal_user(org, reception, patient))).status_code == 404
    assert _create(Client()).status_code == 401


# --- changing a patient ---------------------------------------------------------------


def _change(client, patient, headers=None, **body):
    return client.patch(
        f"/api/v1/patients/{patient.public_id}",
        body,
        content_type="application/json",
        **(headers or {}),
    )


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_every_staff_role_changes_only_the_fields_it_sends(personas, role, org, patient):
    before = (patient.first_name, patient.date_of_birth, patient.email)
    changed = _change(client_for(personas[role]), patient, phone="+44 7700 900456")
    assert changed.status_code == 200, changed.content
    data = changed.json()
    assert data["phone"] == "+44 7700 900456"
    assert (data["first_name"], data["date_of_birth"], data["email"]) == (
        before[0],
        str(before[1]),
        before[2],
    )
    with acting_for(org):
        patient.refresh_from_db()
        assert patient.phone == "+44 7700 900456" and patient.changed_by == personas[role]
    [event] = AuditEvent.objects.filter(action="change", object_id=str(patient.public_id))
    assert event.fields == ["phone"] and event.actor_id == personas[role].pk


def test_a_bad_change_is_named_and_nothing_is_saved(org, practitioner, reception, patient):
    client = client_for(practitioner)
    bad = _change(client, patient, date_of_birth="2999-01-01", weight_kg="900", last_name=None)
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"date_of_birth", "weight_kg", "last_name"}
    sms = _change(client, patient, contact_by="sms", phone="")
    assert sms.status_code == 400 and "phone" in sms.json()["errors"]
    weighed = _change(client_for(reception), patient, weight_kg="70")
    assert weighed.status_code == 400 and "weight_kg" in weighed.json()["errors"]
    with acting_for(org):
        patient.refresh_from_db()
    assert patient.weight_kg != 900 and patient.last_name and patient.contact_by != "sms"
    assert not AuditEvent.objects.filter(action="change", object_id=str(patient.public_id))
    measured = _change(client, patient, weight_kg="64.5")
    assert measured.status_code == 200 and measured.json()["weight_kg"] == 64.5


def test_changing_needs_a_write_token_and_is_closed_to_patients_and_strangers(
    org, reception, outsider, patient
):
    from tests.test_portal import portal_user

    read_only = tokens.create(reception, name="t", scopes=["read"], days=5)[1]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {read_only}"}
    assert _change(Client(), patient, bearer, phone="1").status_code == 403
    stranger = _change(client_for(outsider), patient, first_name="Eve")
    assert stranger.status_code == 404 and "García" not in stranger.content.decode()
    portal = client_for(portal_user(org, reception, patient))
    assert _change(portal, patient, first_name="Eve").status_code == 404
    assert _change(Client(), patient, first_name="Eve").status_code == 401
    with acting_for(org):
        patient.refresh_from_db()
    assert patient.first_name != "Eve"


# --- the medical history ------------------------------------------------------------------


def _add(client, patient, **body):
    return client.post(
        f"/api/v1/patients/{patient.public_id}/history", body, content_type="application/json"
    )


def test_clinical_staff_add_history_through_the_charts_forms_once(org, practitioner, patient):
    client = client_for(practitioner)
    today = str(dt.date.today())
    nka = _add(client, patient, kind="no-known-allergies", recorded_on=today)
    assert nka.status_code == 201, nka.content
    allergy = _add(
        client, patient, kind="allergy", substance="lidocaine", severity="moderate",
        reaction="Hives", recorded_on=today,
    )  # fmt: skip
    assert allergy.status_code == 201, allergy.content
    kinds = [h["kind"] for h in allergy.json()["history"]]
    assert "allergy" in kinds and "no-known-allergies" not in kinds  # superseded, as on the page
    assert any("idocaine" in a["text"] for a in allergy.json()["alerts"])
    again = _add(
        client, patient, kind="allergy", substance="lidocaine", severity="moderate",
        reaction="Hives", recorded_on=today,
    )  # fmt: skip
    assert again.status_code == 200
    with acting_for(org):
        assert pm.Allergy.objects.filter(patient=patient).count() == 1
    creates = AuditEvent.objects.filter(action="create", object_type="allergy")
    assert creates.count() == 1 and creates.get().actor == practitioner


def test_a_bad_entry_is_named_field_by_field(practitioner, patient):
    client = client_for(practitioner)
    future = str(dt.date.today() + dt.timedelta(days=3))
    bad = _add(client, patient, kind="medication", name="", recorded_on=future)
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) >= {"name", "recorded_on"}
    allergy = _add(
        client, patient, kind="allergy", severity="mild", recorded_on=future[:4] + "-01-01"
    )
    assert "substance" in allergy.json()["errors"]
    unknown = _add(client, patient, kind="horoscope", recorded_on="2026-01-01")
    assert unknown.status_code == 400 and "kind" in unknown.json()["errors"]


def test_history_is_written_by_clinical_staff_only(org, reception, practitioner, outsider, patient):
    from tests.test_portal import portal_user

    body = {"kind": "medication", "name": "Warfarin", "recorded_on": str(dt.date.today())}
    assert _add(client_for(reception), patient, **body).status_code == 403
    token = tokens.create(practitioner, name="t", scopes=["read", "write"], days=5)[1]
    no_clinical = Client().post(
        f"/api/v1/patients/{patient.public_id}/history", body,
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert no_clinical.status_code == 403
    assert _add(client_for(outsider), patient, **body).status_code == 404
    assert (
        _add(client_for(portal_user(org, reception, patient)), patient, **body).status_code == 404
    )
    assert _add(Client(), patient, **body).status_code == 401
    with acting_for(org):
        assert not pm.Medication.objects.filter(patient=patient).exists()


def _void(client, patient, kind, entry_id, reason="Recorded for the wrong patient", **headers):
    return client.post(
        f"/api/v1/patients/{patient.public_id}/history/{kind}/{entry_id}/void",
        {"reason": reason}, content_type="application/json", **headers,
    )  # fmt: skip


def test_a_history_entry_is_voided_with_a_reason_once_and_kept(org, practitioner, patient):
    client = client_for(practitioner)
    today = str(dt.date.today())
    added = _add(
        client, patient, kind="allergy", substance="lidocaine", severity="moderate",
        reaction="Hives", recorded_on=today,
    ).json()  # fmt: skip
    [entry] = [h for h in added["history"] if h["kind"] == "allergy"]
    assert any("idocaine" in a["text"] for a in added["alerts"])
    assert _void(client, patient, "allergy", entry["id"], reason="x").status_code == 400
    voided = _void(client, patient, "allergy", entry["id"])
    assert voided.status_code == 200, voided.content
    assert not any("idocaine" in a["text"] for a in voided.json()["alerts"])
    assert entry["id"] not in [h["id"] for h in voided.json()["history"]]
    assert _void(client, patient, "allergy", entry["id"]).status_code == 200  # again: nothing
    with acting_for(org):
        kept = pm.Allergy.objects.get(public_id=entry["id"])
        assert kept.void_reason == "Recorded for the wrong patient"
        assert AuditEvent.objects.filter(action="void", object_type="allergy").count() == 1
    # The wrong kind or another patient's entry is not found.
    assert _void(client, patient, "medication", entry["id"]).status_code == 404


def test_only_clinical_staff_of_the_clinic_void_history(
    org, reception, practitioner, outsider, patient, warfarin
):
    from tests.test_portal import portal_user

    token = tokens.create(practitioner, name="t", scopes=["read", "write"], days=5)[1]
    me = portal_user(org, reception, patient)
    assert (
        _void(client_for(reception), patient, "medication", warfarin.public_id).status_code == 403
    )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert _void(Client(), patient, "medication", warfarin.public_id, **bearer).status_code == 403
    for client, expected in ((client_for(outsider), 404), (client_for(me), 404), (Client(), 401)):
        assert _void(client, patient, "medication", warfarin.public_id).status_code == expected
    with acting_for(org):
        assert pm.Medication.objects.get(pk=warfarin.pk).voided_at is None
