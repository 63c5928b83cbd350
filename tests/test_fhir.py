"""FHIR R4 at /fhir/R4/: every answer parses as its R4B model; same roles, tenancy and
audit as the JSON API."""

import datetime as dt
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization as FhirOrganization
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.fhir.codes import AREA, INSTRUMENT, SNOMED, body_site
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.records import void_once
from mesoclinic.rules import load_reference
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession
from tests.factories import (
    ALL,
    CLINICAL,
    book,
    client_for,
    local,
    make_event,
    make_lot,
    make_session,
    make_user,
    next_weekday,
    open_clinic,
    record_allergy,
    record_no_known_allergies,
    session_in_status,
)

BASE = "/fhir/R4/"


def bearer(user, scopes=("read", "clinical")):
    _, secret = tokens.create(user, name="FHIR", scopes=scopes, days=5)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def get(client, path, params=None, **headers):
    return client.get(BASE + path, params or {}, **headers)


def outcome_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json"
    return OperationOutcome.model_validate_json(response.content).issue[0]


@pytest.fixture
def history(org, patient, practitioner):
    """Warfarin, a latex allergy, prior surgery on the cheeks, and a voided allergy."""
    with acting_for(org):
        warfarin = pm.Medication.objects.create(
            patient=patient, name="Warfarin", dose="5 mg daily", recorded_on=date(2026, 10, 1),
            created_by=practitioner,
        )  # fmt: skip
        surgery = pm.Condition.objects.create(
            patient=patient, condition="prior-surgery-in-area", area="cheeks",
            recorded_on=date(2026, 9, 1), created_by=practitioner,
        )  # fmt: skip
    latex = record_allergy(org, patient, practitioner, text="latex", severity="anaphylaxis")
    wrong = record_allergy(org, patient, practitioner, text="penicillin")
    with acting_for(org):
        void_once(wrong, practitioner, "Recorded for the wrong patient")
    return {"warfarin": warfarin, "surgery": surgery, "latex": latex, "wrong": wrong}


@pytest.fixture
def signed_session(org, site, patient, practitioner):
    """Submental and the left cheek, signed (a signed session takes no new rows)."""
    lot = make_lot(org, site, practitioner)
    session = make_session(org, patient, site, practitioner, lot, days_ago=3)
    with acting_for(org):
        SessionArea.objects.create(
            session=session, area="cheeks", side="left", technique="hypodermic", lot=lot,
            volume_ml=Decimal("1.0"),
        )  # fmt: skip
        TreatmentSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.SIGNED, signed_at=timezone.now(), signed_by=practitioner
        )
        session.refresh_from_db()
    return session


@pytest.fixture
def outcome(org, patient, practitioner, signed_session):
    with acting_for(org):
        return Assessment.objects.create(
            patient=patient, session=signed_session, instrument="hair-count",
            instrument_version=1, timepoint="baseline", rater="clinician",
            answers={"value": 120}, total=120, display="120 hairs/cm²",
            taken_at=timezone.now(), submission_key=uuid.uuid4(), created_by=practitioner,
        )  # fmt: skip


@pytest.fixture
def appointment(org, site, patient, practitioner):
    clinic = open_clinic(org, site)
    start = local(next_weekday(1), 10)
    return book(org, practitioner, clinic, patient, practitioner, start)


# --- metadata and code systems ---------------------------------------------------------


def test_metadata_is_public_and_lists_what_we_serve(client, db):
    response = get(client, "metadata")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    statement = CapabilityStatement.model_validate_json(response.content)
    assert statement.fhirVersion == "4.0.1" and statement.format == ["json"]
    served = {r.type: r for r in statement.rest[0].resource}
    assert {"Patient", "Practitioner", "AllergyIntolerance", "Procedure", "Observation"} <= set(
        served
    )
    assert {p.name for p in served["Patient"].searchParam} >= {"name", "birthdate", "_count"}
    assert served["Patient"].operation[0].name == "everything"
    assert AREA in statement.rest[0].documentation and INSTRUMENT in statement.rest[0].documentation


def test_our_code_systems_are_published(client, db):
    response = get(client, "CodeSystem/area")
    system = CodeSystem.model_validate_json(response.content)
    assert system.url == AREA
    assert {c.code for c in system.concept} == set(load_reference().areas)
    outcome_of(get(client, "CodeSystem/nope"), 404)


def test_every_area_has_a_local_code_and_a_side():
    for slug in load_reference().areas:
        assert body_site(slug)["coding"][0] == {
            "system": AREA,
            "code": slug,
            "display": load_reference().areas[slug].name,
        }
    left = body_site("cheeks", "left")
    assert {"system": SNOMED, "code": "60819002", "display": "Cheek structure"} in left["coding"]
    assert left["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "7771000"
    assert [c["system"] for c in body_site("submental")["coding"]] == [AREA]  # not curated


# --- authentication and access -----------------------------------------------------------


def test_nobody_signed_in_gets_401_as_an_outcome(client, patient):
    for path in (
        "Patient",
        f"Patient/{patient.public_id}",
        f"Patient/{patient.public_id}/$everything",
    ):
        issue = outcome_of(get(client, path), 401)
        assert issue.code == "login"
    outcome_of(get(client, "Patient", HTTP_AUTHORIZATION="Bearer mcl_nonsense"), 401)


@pytest.mark.parametrize("role", ALL)
def test_every_role_reads_and_searches_patients(personas, role, patient):
    client = client_for(personas[role])
    read = FhirPatient.model_validate_json(get(client, f"Patient/{patient.public_id}").content)
    assert read.name[0].family == "García" and read.birthDate == date(1985, 4, 1)
    bundle = Bundle.model_validate_json(get(client, "Patient", {"name": "garc"}).content)
    assert bundle.total == 1 and bundle.entry[0].resource.id == str(patient.public_id)


@pytest.mark.parametrize("role", ALL)
def test_only_clinical_roles_read_allergies(personas, role, patient, history):
    client = client_for(personas[role])
    response = get(client, "AllergyIntolerance", {"patient": f"Patient/{patient.public_id}"})
    read = get(client, f"AllergyIntolerance/{history['latex'].public_id}")
    if role in CLINICAL:
        assert Bundle.model_validate_json(response.content).total == 2
        assert AllergyIntolerance.model_validate_json(read.content).criticality == "high"
    else:
        assert "Reception may not see clinical records" in outcome_of(response, 403).diagnostics
        outcome_of(read, 403)


def test_a_token_without_the_clinical_scope_gets_demographics_only(practitioner, patient, history):
    headers = bearer(practitioner, scopes=("read",))
    client = Client()
    assert get(client, f"Patient/{patient.public_id}", **headers).status_code == 200
    issue = outcome_of(get(client, f"MedicationStatement/{history['warfarin'].public_id}",
                           **headers), 403)  # fmt: skip
    assert "clinical scope" in issue.diagnostics
    outcome_of(get(client, f"Patient/{patient.public_id}/$everything", **headers), 403)


def test_a_token_without_the_read_scope_reads_nothing(practitioner, patient):
    client = Client()
    outcome_of(get(client, "Patient", **bearer(practitioner, scopes=("write",))), 403)


def test_a_reception_token_with_the_clinical_scope_is_still_refused(reception, patient, history):
    headers = bearer(reception)
    outcome_of(
        get(Client(), "AllergyIntolerance", {"patient": str(patient.public_id)}, **headers), 403
    )


def test_calls_are_rate_limited_per_token(practitioner, esthetician, patient, monkeypatch):
    from mesoclinic.fhir.http import throttle

    monkeypatch.setattr(throttle(), "num_requests", 3)
    first, second = bearer(practitioner), bearer(esthetician)
    client = Client()
    answers = [get(client, "Patient", **first).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert "Too many requests" in outcome_of(get(client, "Patient", **first), 429).diagnostics
    assert get(client, "Patient", **second).status_code == 200


def test_a_token_acts_in_its_holders_organization(practitioner, patient, history):
    headers = bearer(practitioner)
    response = get(Client(), "MedicationStatement", {"patient": str(patient.public_id)}, **headers)
    bundle = Bundle.model_validate_json(response.content)
    assert [e.resource.medicationCodeableConcept.text for e in bundle.entry] == ["Warfarin"]


def test_another_organization_gets_404_and_empty_searches(
    outsider, patient, history, signed_session, site, practitioner
):
    client = client_for(outsider)
    for path in (
        f"Patient/{patient.public_id}",
        f"AllergyIntolerance/{history['latex'].public_id}",
        f"Procedure/{signed_session.public_id}",
        f"Location/{site.public_id}",
        f"Practitioner/{practitioner.public_id}",
        f"Organization/{patient.organization.public_id}",
        f"Patient/{patient.public_id}/$everything",
    ):
        response = get(client, path)
        outcome_of(response, 404)
        assert "García" not in response.content.decode()
    assert Bundle.model_validate_json(get(client, "Patient", {"name": "garc"}).content).total == 0
    outcome_of(get(client, "Condition", {"patient": str(patient.public_id)}), 404)


def test_a_portal_patient_gets_404(org, patient):
    account = make_user(org, "patient", "anna@example.com", "Anna García")
    response = client_for(account).get(f"{BASE}Patient/{patient.public_id}")
    assert response.status_code == 404 and "birthDate" not in response.content.decode()


# --- search parameters -------------------------------------------------------------------


def test_birthdate_and_name_narrow_the_search(practitioner, patient, make_patient):
    make_patient(first_name="Bea", last_name="Young", date_of_birth=date(2001, 6, 1))
    make_patient(first_name="Cleo", last_name="Old", date_of_birth=date(1950, 2, 3))
    client = client_for(practitioner)

    def names(**params):
        bundle = Bundle.model_validate_json(get(client, "Patient", params).content)
        return sorted(e.resource.name[0].family for e in bundle.entry or [])

    assert names(birthdate="ge2000") == ["Young"]
    assert names(birthdate="1950-02") == ["Old"]
    assert names(birthdate="lt1990-01-01") == ["García", "Old"]
    assert names(name="cle") == ["Old"]
    assert names(name="BEA", birthdate="1950") == []


def test_paging_follows_the_next_link(practitioner, make_patient):
    for n in range(5):
        make_patient(last_name=f"Page{n}")
    client = client_for(practitioner)
    seen, url = [], f"{BASE}Patient?_count=2"
    while url:
        bundle = Bundle.model_validate_json(client.get(url).content)
        assert bundle.total == 5
        seen += [e.resource.name[0].family for e in bundle.entry]
        url = next((link.url for link in bundle.link if link.relation == "next"), None)
    assert seen == [f"Page{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("Patient", {"colour": "blue"}, "no search parameter colour"),
        ("Patient", {"_count": "many"}, "_count must be a whole number"),
        ("Patient", {"_offset": "-1"}, "_offset must be at least 0"),
        ("Patient", {"birthdate": "last tuesday"}, "birthdate must be a date"),
        ("Patient", {"birthdate": "2026-02-30"}, "is not a date"),
        ("Condition", {}, "needs patient="),
        ("Condition", {"patient": "Practitioner/x"}, "patient must be Patient/[id]"),
        ("Appointment", {"date": "soon"}, "date must be a date"),
    ],
)
def test_a_bad_search_parameter_is_a_400_saying_which(practitioner, path, params, says):
    issue = outcome_of(get(client_for(practitioner), path, params), 400)
    assert says in issue.diagnostics


def test_an_unknown_type_or_id_is_a_404_outcome(practitioner):
    client = client_for(practitioner)
    outcome_of(get(client, "Medication"), 404)
    outcome_of(get(client, f"Patient/{uuid.uuid4()}"), 404)
    outcome_of(get(client, "Patient/not-a-uuid"), 404)


def test_the_server_is_read_only(practitioner, patient):
    client = client_for(practitioner)
    client.handler.enforce_csrf_checks = True
    response = client.post(f"{BASE}Patient", {})
    assert "read-only" in outcome_of(response, 405).diagnostics
    assert response["Allow"] == "GET"


def test_appointments_by_patient_and_date(practitioner, patient, appointment):
    client = client_for(practitioner)
    day = timezone.localtime(appointment.starts_at).date()
    params = {"patient": f"Patient/{patient.public_id}", "date": f"ge{day.isoformat()}"}
    bundle = Bundle.model_validate_json(get(client, "Appointment", params).content)
    assert [e.resource.status for e in bundle.entry] == ["booked"]
    later = (day + dt.timedelta(days=1)).isoformat()
    assert (
        Bundle.model_validate_json(get(client, "Appointment", {"date": f"ge{later}"}).content).total
        == 0
    )


def test_reception_reads_appointments(reception, patient, appointment):
    response = get(client_for(reception), "Appointment", {"patient": str(patient.public_id)})
    assert Bundle.model_validate_json(response.content).total == 1


# --- resources ---------------------------------------------------------------------------


def test_history_entries_and_voided_ones_in_error(practitioner, patient, history):
    client = client_for(practitioner)
    bundle = Bundle.model_validate_json(
        get(client, "AllergyIntolerance", {"patient": str(patient.public_id)}).content
    )
    by_id = {e.resource.id: e.resource for e in bundle.entry}
    wrong = by_id[str(history["wrong"].public_id)]
    assert wrong.verificationStatus.coding[0].code == "entered-in-error"
    assert wrong.clinicalStatus is None
    latex = by_id[str(history["latex"].public_id)]
    assert latex.clinicalStatus.coding[0].code == "active"
    assert latex.reaction[0].manifestation[0].text == "Anaphylaxis"
    assert wrong.reaction is None  # no reaction recorded: none invented from the severity
    condition = (
        Bundle.model_validate_json(
            get(client, "Condition", {"patient": str(patient.public_id)}).content
        )
        .entry[0]
        .resource
    )
    assert condition.bodySite[0].coding[0].code == "cheeks"


def test_no_known_allergies_is_coded(org, practitioner, patient):
    record_no_known_allergies(org, patient, practitioner)
    bundle = Bundle.model_validate_json(
        get(
            client_for(practitioner), "AllergyIntolerance", {"patient": str(patient.public_id)}
        ).content
    )
    assert bundle.entry[0].resource.code.coding[0].code == "716186003"


def test_a_signed_session_is_a_procedure_with_its_body_sites(practitioner, signed_session):
    response = get(client_for(practitioner), f"Procedure/{signed_session.public_id}")
    procedure = Procedure.model_validate_json(response.content)
    assert procedure.status == "completed"
    assert procedure.performer[0].actor.reference == f"Practitioner/{practitioner.public_id}"
    assert [s.text for s in procedure.bodySite] == ["Submental (under the chin)", "Cheeks, left"]


def test_an_open_session_is_not_served(org, site, patient, practitioner):
    lot = make_lot(org, site, practitioner)
    session = session_in_status(org, patient, site, practitioner, lot, SessionStatus.IN_PROGRESS)
    outcome_of(get(client_for(practitioner), f"Procedure/{session.public_id}"), 404)


def test_practitioner_organization_and_location(practitioner, site, org, reception):
    client = client_for(reception)
    doc = Practitioner.model_validate_json(
        get(client, f"Practitioner/{practitioner.public_id}").content
    )
    assert doc.qualification[0].identifier[0].value == "GMC-7001234"
    outcome_of(get(client, f"Practitioner/{reception.public_id}"), 404)  # not a clinician
    assert (
        FhirOrganization.model_validate_json(
            get(client, f"Organization/{org.public_id}").content
        ).name
        == "Test Clinic"
    )
    assert (
        Location.model_validate_json(get(client, f"Location/{site.public_id}").content).name
        == "Main site"
    )


def test_everything_for_a_patient_with_history_a_session_and_an_outcome(
    practitioner, patient, history, signed_session, outcome, appointment
):
    response = get(client_for(practitioner), f"Patient/{patient.public_id}/$everything")
    bundle = Bundle.model_validate_json(response.content)
    types = [e.resource.get_resource_type() for e in bundle.entry]
    assert types == [
        "Patient", "AllergyIntolerance", "AllergyIntolerance", "MedicationStatement",
        "Condition", "Appointment", "Procedure", "Observation", "MedicationAdministration",
        "MedicationAdministration",
    ]  # fmt: skip
    observation = bundle.entry[7].resource
    assert observation.code.coding[0].system == INSTRUMENT
    assert observation.valueQuantity.value == 120 and observation.valueQuantity.unit == "hairs/cm²"
    assert bundle.total == len(bundle.entry)


def test_each_charted_row_is_an_administration_with_its_lot(practitioner, signed_session):
    response = get(client_for(practitioner), "MedicationAdministration",
                   {"patient": str(signed_session.patient.public_id)})  # fmt: skip
    bundle = Bundle.model_validate_json(response.content)
    cheek = bundle.entry[1].resource
    assert isinstance(cheek, MedicationAdministration) and cheek.status == "completed"
    assert cheek.contained[0].batch.lotNumber == "DX-2401"
    assert cheek.dosage.dose.value == 1 and cheek.dosage.dose.code == "mL"
    assert cheek.dosage.site.text == "Cheeks, left"
    assert cheek.partOf[0].reference == f"Procedure/{signed_session.public_id}"


def test_a_voided_session_is_in_error(org, practitioner, signed_session):
    with acting_for(org):
        void_once(signed_session, practitioner, "Charted for the wrong patient")
    client = client_for(practitioner)
    procedure = Procedure.model_validate_json(
        get(client, f"Procedure/{signed_session.public_id}").content
    )
    assert procedure.status == "entered-in-error"


def test_an_adverse_event_carries_its_ctcae_grade(
    org, practitioner, patient, signed_session, reception
):
    event = make_event(org, patient, practitioner, session=signed_session, grade=2)
    response = get(client_for(practitioner), f"AdverseEvent/{event.public_id}")
    read = FhirAdverseEvent.model_validate_json(response.content)
    assert read.extension[0].valueCodeableConcept.coding[0].code == "2"
    assert read.severity.coding[0].code == "moderate"
    assert read.suspectEntity[0].instance.reference == f"Procedure/{signed_session.public_id}"
    outcome_of(get(client_for(reception), f"AdverseEvent/{event.public_id}"), 403)


def test_a_signed_consent_keeps_its_text_and_countersignature(signed_consent, practitioner):
    response = get(client_for(practitioner), f"Consent/{signed_consent.public_id}")
    consent = FhirConsent.model_validate_json(response.content)
    assert consent.status == "proposed"  # the clinician has not countersigned yet
    assert consent.sourceAttachment.data.decode() == signed_consent.text
    assert consent.performer[0].display == "Anna García"


def test_an_event_in_an_open_session_names_no_procedure(org, site, patient, practitioner):
    lot = make_lot(org, site, practitioner)
    session = session_in_status(org, patient, site, practitioner, lot, SessionStatus.IN_PROGRESS)
    event = make_event(org, patient, practitioner, session=session)
    read = FhirAdverseEvent.model_validate_json(
        get(client_for(practitioner), f"AdverseEvent/{event.public_id}").content
    )
    assert read.suspectEntity is None  # the Procedure is not served until signed


def test_reception_gets_no_everything(reception, patient):
    outcome_of(get(client_for(reception), f"Patient/{patient.public_id}/$everything"), 403)


# --- audit and queries -------------------------------------------------------------------


def test_each_read_or_search_is_one_audit_event(org, practitioner, patient, history):
    client = client_for(practitioner)
    with acting_for(org):
        before = AuditEvent.objects.count()
    get(client, f"Patient/{patient.public_id}")
    get(client, "MedicationStatement", {"patient": str(patient.public_id)})
    get(client, f"Patient/{patient.public_id}/$everything")
    with acting_for(org):
        events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.object_id) for e in events] == [
        ("view", str(patient.public_id)),
        ("search", str(patient.public_id)),
        ("export", str(patient.public_id)),
    ]
    assert all(e.actor_id == practitioner.pk for e in events)


def test_a_refused_call_writes_no_event(org, reception, patient, history):
    client = client_for(reception)
    with acting_for(org):
        before = AuditEvent.objects.count()
    get(client, "AllergyIntolerance", {"patient": str(patient.public_id)})
    with acting_for(org):
        assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("patients", [2, 40])
def test_patient_search_runs_a_bounded_number_of_queries(
    practitioner, make_patient, patients, django_assert_max_num_queries
):
    for n in range(patients):
        make_patient(last_name=f"Many{n:02d}")
    client = client_for(practitioner)
    with django_assert_max_num_queries(8):
        response = get(client, "Patient", {"_count": "100"})
    assert Bundle.model_validate_json(response.content).total == patients


@pytest.mark.parametrize("extra", [0, 15])
def test_everything_runs_a_bounded_number_of_queries(
    org, practitioner, patient, history, signed_session, outcome, extra,
    django_assert_max_num_queries,
):  # fmt: skip
    for n in range(extra):
        record_allergy(org, patient, practitioner, text=f"latex {n}")
    client = client_for(practitioner)
    # A count per table (the page is cut from them), then this page's rows.
    with django_assert_max_num_queries(28):
        response = get(client, f"Patient/{patient.public_id}/$everything")
    assert len(Bundle.model_validate_json(response.content).entry) == 9 + extra
