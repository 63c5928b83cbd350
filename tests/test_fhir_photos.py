"""FHIR Media for photos (the image read from Binary/[id] through the photo page's own
check and audit), photo consent as Consent with a provision per purpose, and
$everything in pages."""

import io
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.media import Media
from PIL import Image

from mesoclinic.audit.models import AuditEvent
from mesoclinic.fhir.codes import CONSENT_CATEGORY, PHOTO_PURPOSE, PHOTO_VIEW
from mesoclinic.photos import consent as photo_consent
from mesoclinic.photos import services as photo_services
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession
from tests.factories import (
    client_for,
    give_photo_consent,
    make_lot,
    make_session,
    make_user,
    record_allergy,
)
from tests.test_fhir import BASE, bearer, get, outcome_of

CLINICAL = ["owner", "practitioner", "esthetician"]


def jpeg(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, format="JPEG")
    return out.getvalue()


def take(org, user, patient, session=None, view="face-front", area="", side=""):
    with acting_for(org):
        return photo_services.add_photo(
            user, patient, io.BytesIO(jpeg()), view=view, area=area, side=side,
            device="Clinic camera", session=session, submission_key=uuid.uuid4(),
        )  # fmt: skip


@pytest.fixture
def clinical_consent(org, practitioner, patient):
    return give_photo_consent(org, practitioner, patient)


@pytest.fixture
def session(org, site, patient, practitioner):
    """A session on the cheeks, signed after its photo was taken."""
    lot = make_lot(org, site, practitioner)
    session = make_session(org, patient, site, practitioner, lot, days_ago=2)
    with acting_for(org):
        SessionArea.objects.create(
            session=session, area="cheeks", side="left", technique="hypodermic", lot=lot,
            volume_ml=Decimal("0.5"),
        )  # fmt: skip
    return session


def sign(org, practitioner, session):
    with acting_for(org):
        TreatmentSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.SIGNED, signed_at=timezone.now(), signed_by=practitioner
        )


@pytest.fixture
def photo(org, practitioner, patient, clinical_consent, session):
    photo = take(org, practitioner, patient, session=session, view="face-45-left",
                 area="cheeks", side="left")  # fmt: skip
    sign(org, practitioner, session)
    return photo


def bundle_of(response) -> Bundle:
    assert response.status_code == 200, response.content
    return Bundle.model_validate_json(response.content)


# --- Media -------------------------------------------------------------------------


def test_a_photo_is_media_with_its_view_body_site_session_and_image(
    practitioner, patient, photo, session
):
    media = Media.model_validate_json(
        get(client_for(practitioner), f"Media/{photo.public_id}").content
    )
    assert media.status == "completed"
    assert media.view.coding[0].system == PHOTO_VIEW
    assert media.view.coding[0].code == "face-45-left" and media.view.text == photo.view_label
    assert media.bodySite.text == "Cheeks, left"
    assert media.subject.reference == f"Patient/{patient.public_id}"
    assert media.partOf[0].reference == f"Procedure/{session.public_id}"
    assert media.operator.reference == f"Practitioner/{practitioner.public_id}"
    assert media.content.contentType == "image/jpeg"
    assert media.content.url == f"Binary/{photo.public_id}"
    assert (media.width, media.height) == (photo.width, photo.height)


def test_a_photo_of_an_open_session_names_no_procedure(
    org, practitioner, patient, clinical_consent, session
):
    photo = take(org, practitioner, patient, session=session)
    media = Media.model_validate_json(
        get(client_for(practitioner), f"Media/{photo.public_id}").content
    )
    assert media.partOf is None  # the Procedure is not served until the session is signed


def test_a_voided_photo_is_in_error_and_names_no_image(org, practitioner, photo):
    with acting_for(org):
        photo_services.void_photo(practitioner, photo, "Wrong patient")
    client = client_for(practitioner)
    media = Media.model_validate_json(get(client, f"Media/{photo.public_id}").content)
    assert media.status == "entered-in-error" and media.content.url is None
    outcome_of(get(client, f"Binary/{photo.public_id}"), 404)


def test_media_search_by_patient_and_created_date(org, practitioner, patient, photo, make_patient):
    other = make_patient(first_name="Bea", last_name="Other")
    give_photo_consent(org, practitioner, other)
    take(org, practitioner, other)
    client = client_for(practitioner)
    found = bundle_of(get(client, "Media", {"patient": str(patient.public_id)}))
    assert [e.resource.id for e in found.entry] == [str(photo.public_id)]
    day = photo.taken_at.date().isoformat()
    assert (
        bundle_of(get(client, "Media", {"patient": str(patient.public_id), "created": day})).total
        == 1
    )
    after = {"patient": str(patient.public_id), "created": f"gt{day}"}
    assert bundle_of(get(client, "Media", after)).total == 0
    outcome_of(get(client, "Media", {"created": day}), 400)  # per patient only


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_the_image_itself_never_cached_and_audited(org, personas, role, photo):
    client = client_for(personas[role])
    with acting_for(org):
        before = AuditEvent.objects.count()
    response = get(client, f"Binary/{photo.public_id}")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(response.content)).size == (photo.width, photo.height)
    with acting_for(org):
        events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.object_id, e.detail) for e in events] == [
        ("view", str(photo.public_id), "image original")
    ]  # the very event the photo page's image view writes


def test_reception_gets_no_media_and_no_image(reception, photo, patient):
    client = client_for(reception)
    outcome_of(get(client, f"Binary/{photo.public_id}"), 403)
    outcome_of(get(client, f"Media/{photo.public_id}"), 403)
    outcome_of(get(client, "Media", {"patient": str(patient.public_id)}), 403)


def test_a_token_needs_the_clinical_scope_for_the_image(practitioner, photo):
    outcome_of(get(Client(), f"Binary/{photo.public_id}", **bearer(practitioner, ("read",))), 403)
    response = get(Client(), f"Binary/{photo.public_id}", **bearer(practitioner))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_another_organization_and_a_portal_patient_get_404(org, outsider, photo, patient):
    client = client_for(outsider)
    for path in (f"Binary/{photo.public_id}", f"Media/{photo.public_id}"):
        response = get(client, path)
        outcome_of(response, 404)
        assert b"\xff\xd8" not in response.content
    outcome_of(get(client, "Media", {"patient": str(patient.public_id)}), 404)
    account = make_user(org, "patient", "anna@example.com", "Anna García")
    assert client_for(account).get(f"{BASE}Binary/{photo.public_id}").status_code == 404
    assert client_for(account).get(f"{BASE}Media/{photo.public_id}").status_code == 404


def test_an_unknown_image_is_a_404_outcome(practitioner):
    outcome_of(get(client_for(practitioner), f"Binary/{uuid.uuid4()}"), 404)


def test_media_and_binary_are_in_the_capability_statement(client, db):
    statement = CapabilityStatement.model_validate_json(get(client, "metadata").content)
    served = {r.type: r for r in statement.rest[0].resource}
    assert {p.name for p in served["Media"].searchParam} >= {"patient", "created"}
    assert [i.code for i in served["Binary"].interaction] == ["read"]
    assert {p.name for p in served["Consent"].searchParam} >= {"patient", "category"}


def test_photo_views_are_a_published_code_system(client, db):
    response = get(client, "CodeSystem/photo-view")
    assert response.status_code == 200
    assert "face-front" in response.content.decode()


# --- photo consent -----------------------------------------------------------------


def photo_consent_of(client, patient) -> FhirConsent:
    found = bundle_of(
        get(client, "Consent", {"patient": str(patient.public_id), "category": "photography"})
    )
    assert found.total == 1
    return found.entry[0].resource


def provisions(consent: FhirConsent) -> dict[str, str]:
    return {p.purpose[0].code: p.type for p in consent.provision.provision}


def test_photo_consent_has_a_provision_per_purpose(org, practitioner, patient, clinical_consent):
    give_photo_consent(org, practitioner, patient, scope="teaching")
    consent = photo_consent_of(client_for(practitioner), patient)
    assert consent.provision.type == "deny"  # nothing but what is permitted below
    assert provisions(consent) == {"clinical": "permit", "teaching": "permit", "marketing": "deny"}
    assert consent.provision.provision[0].purpose[0].system == PHOTO_PURPOSE
    assert consent.id == str(clinical_consent.public_id)
    assert consent.category[1].coding[0].system == CONSENT_CATEGORY


def test_a_revoked_photo_consent_becomes_deny_from_its_revocation(
    org, practitioner, patient, clinical_consent
):
    teaching = give_photo_consent(org, practitioner, patient, scope="teaching")
    with acting_for(org):
        photo_consent.revoke(practitioner, teaching, "Changed her mind")
        teaching.refresh_from_db()
    client = client_for(practitioner)
    consent = photo_consent_of(client, patient)
    assert provisions(consent) == {"clinical": "permit", "teaching": "deny", "marketing": "deny"}
    revoked = consent.provision.provision[1]
    assert revoked.period.end == teaching.voided_at
    # Given again: permitted again, under the same Consent id.
    give_photo_consent(org, practitioner, patient, scope="teaching")
    again = photo_consent_of(client, patient)
    assert again.id == consent.id and provisions(again)["teaching"] == "permit"


def test_consent_search_by_category(practitioner, patient, clinical_consent, signed_consent):
    client = client_for(practitioner)

    def kinds(category=None):
        params = {"patient": str(patient.public_id)} | ({"category": category} if category else {})
        found = bundle_of(get(client, "Consent", params))
        return sorted(e.resource.scope.coding[0].code for e in found.entry or [])

    assert kinds() == ["patient-privacy", "treatment"]
    assert kinds("treatment") == ["treatment"]
    assert kinds(f"{CONSENT_CATEGORY}|photography") == ["patient-privacy"]
    assert kinds("treatment,photography") == ["patient-privacy", "treatment"]
    assert kinds("http://loinc.org|59284-0") == ["patient-privacy", "treatment"]
    assert kinds("research") == []


def test_photo_consent_is_read_by_its_id_and_only_by_clinical_staff(
    reception, outsider, practitioner, clinical_consent
):
    path = f"Consent/{clinical_consent.public_id}"
    consent = FhirConsent.model_validate_json(get(client_for(practitioner), path).content)
    assert consent.scope.coding[0].code == "patient-privacy"
    outcome_of(get(client_for(reception), path), 403)
    outcome_of(get(client_for(outsider), path), 404)


# --- $everything ---------------------------------------------------------------------


def everything(client, patient, **params):
    return bundle_of(get(client, f"Patient/{patient.public_id}/$everything", params))


def test_everything_holds_photos_and_photo_consent(practitioner, patient, photo):
    found = everything(client_for(practitioner), patient)
    types = [e.resource.get_resource_type() for e in found.entry]
    assert types[0] == "Patient" and types.count("Media") == 1
    assert "Consent" in types and "Procedure" in types


def test_everything_pages_follow_the_next_link(org, practitioner, patient):
    for n in range(7):
        record_allergy(org, patient, practitioner, text=f"latex {n}")
    client = client_for(practitioner)
    seen, page = [], everything(client, patient, _count="3")
    pages = 1
    while True:
        assert page.total == 8 and len(page.entry) <= 3
        seen += [e.resource.id for e in page.entry]
        following = [link.url for link in page.link if link.relation == "next"]
        if not following:
            break
        page = bundle_of(client.get(following[0]))
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 8
    assert seen[0] == str(patient.public_id)


def test_everything_refuses_a_bad_count(practitioner, patient):
    client = client_for(practitioner)
    outcome_of(get(client, f"Patient/{patient.public_id}/$everything", {"_count": "0"}), 400)
    outcome_of(get(client, f"Patient/{patient.public_id}/$everything", {"since": "x"}), 400)


def test_each_everything_page_is_one_audit_event(org, practitioner, patient):
    client = client_for(practitioner)
    with acting_for(org):
        before = AuditEvent.objects.count()
    everything(client, patient, _count="1")
    everything(client, patient, _count="1", _offset="1")
    with acting_for(org):
        events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.object_id) for e in events] == [("export", str(patient.public_id))] * 2


@pytest.mark.parametrize("extra", [0, 60])
def test_everything_pages_run_a_bounded_number_of_queries(
    org, practitioner, patient, photo, extra, django_assert_max_num_queries
):
    for n in range(extra):
        record_allergy(org, patient, practitioner, text=f"latex {n}")
    give_photo_consent(org, practitioner, patient, scope="teaching")
    client = client_for(practitioner)
    for offset in ("0", "20"):
        with django_assert_max_num_queries(32):
            page = everything(client, patient, _count="25", _offset=offset)
    assert page.total >= 5 + extra
