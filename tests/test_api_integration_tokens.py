"""Organization integration tokens: made by owners only, acting with the chosen staff role
in that organization on the JSON API and FHIR, revoked by any owner, audited by name."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import User, hash_token
from mesoclinic.accounts.roles import Role
from mesoclinic.api import tokens
from mesoclinic.api.models import ApiToken
from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, make_user


@pytest.fixture
def warfarin(org, patient, practitioner):
    with acting_for(org):
        return pm.Medication.objects.create(
            patient=patient, name="Warfarin", recorded_on="2026-01-01", created_by=practitioner
        )


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _make(owner, acts_as="practitioner", scopes=("read", "clinical")):
    return tokens.create_integration(
        owner, name="Lab sync", scopes=scopes, acts_as=acts_as, days=30
    )


def test_an_owner_makes_one_on_the_page_shown_once_and_stored_hashed(owner):
    client = client_for(owner)
    response = client.post(
        reverse("api_integration_create"),
        {"org-name": "Lab sync", "org-scopes": ["read"], "org-acts_as": "reception",
         "org-days": "30"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    token = ApiToken.objects.get()
    secret = page.split('aria-label="New token" size="60"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert token.token_hash == hash_token(secret) and token.organization_id == owner.organization_id
    assert token.user.role == "reception" and token.made_by == owner
    assert not token.user.has_usable_password()
    again = client.get(reverse("api_tokens")).content.decode()
    assert secret not in again and "Lab sync" in again and "Integration tokens" in again
    event = AuditEvent.objects.get(action="create", object_id=str(token.public_id))
    assert event.actor == owner and "Integration: Lab sync" in event.detail


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_owners_make_integration_tokens(personas, role):
    client = client_for(personas[role])
    assert "Integration tokens" not in client.get(reverse("api_tokens")).content.decode()
    data = {"org-name": "x", "org-scopes": ["read"], "org-acts_as": "owner", "org-days": "5"}
    assert client.post(reverse("api_integration_create"), data).status_code == 403
    with pytest.raises(tokens.TokenRefused):
        _make(personas[role])
    assert not ApiToken.objects.exists()


def test_a_bad_form_keeps_what_was_typed_and_says_why(owner):
    response = client_for(owner).post(
        reverse("api_integration_create"),
        {"org-name": "Lab sync", "org-acts_as": "patient", "org-days": "400"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Lab sync"' in page and "This field is required" in page
    assert "less than or equal to 366" in page and "Select a valid choice" in page
    assert not ApiToken.objects.exists()


def test_it_acts_with_its_role_and_audit_names_the_integration(owner, patient, warfarin):
    _, secret = _make(owner)
    detail = Client().get(f"/api/v1/patients/{patient.public_id}", **_bearer(secret)).json()
    assert [h["text"] for h in detail["history"] if h["kind"] == "medication"] == ["Warfarin"]
    event = AuditEvent.objects.get(action="view", object_id=str(patient.public_id))
    assert event.actor.full_name == "Integration: Lab sync"
    assert event.organization_id == owner.organization_id


def test_a_reception_integration_never_reads_clinical_data(owner, patient, warfarin):
    _, secret = _make(owner, acts_as="reception")
    detail = Client().get(f"/api/v1/patients/{patient.public_id}", **_bearer(secret)).json()
    assert detail.get("history") is None and detail["last_name"] == patient.last_name
    fhir = Client().get(f"/fhir/R4/MedicationStatement/{warfarin.public_id}", **_bearer(secret))
    assert fhir.status_code == 403


def test_its_scopes_narrow_it(owner, patient, warfarin):
    _, secret = _make(owner, scopes=("read",))
    detail = Client().get(f"/api/v1/patients/{patient.public_id}", **_bearer(secret)).json()
    assert detail.get("history") is None
    _, secret = _make(owner, scopes=("write",))
    assert Client().get("/api/v1/patients", **_bearer(secret)).status_code == 403


def test_it_works_on_fhir(owner, patient, warfarin):
    _, secret = _make(owner)
    response = Client().get(f"/fhir/R4/MedicationStatement/{warfarin.public_id}", **_bearer(secret))
    assert response.status_code == 200


def test_another_clinic_gets_404_and_cannot_revoke(owner, outsider, patient):
    token, _ = _make(owner)
    url = reverse("api_token_revoke", args=[token.public_id])
    assert client_for(outsider).post(url).status_code == 404
    assert "Lab sync" not in client_for(outsider).get(reverse("api_tokens")).content.decode()
    _, theirs = _make(outsider)
    response = Client().get(f"/api/v1/patients/{patient.public_id}", **_bearer(theirs))
    assert response.status_code == 404


def test_any_owner_revokes_it_and_then_it_gets_401(org, owner, patient):
    token, secret = _make(owner)
    other_owner = make_user(org, Role.OWNER, "second@test.clinic", "Sam Second")
    assert (
        client_for(other_owner)
        .post(reverse("api_token_revoke", args=[token.public_id]))
        .status_code
        == 200
    )
    assert Client().get("/api/v1/patients", **_bearer(secret)).status_code == 401
    assert (
        AuditEvent.objects.filter(
            object_id=str(token.public_id), action="change", actor=other_owner
        ).count()
        == 1
    )


def test_an_expired_one_gets_401(owner, patient):
    token, secret = _make(owner)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - dt.timedelta(days=31), expires_at=now - dt.timedelta(seconds=1)
    )
    assert Client().get("/api/v1/patients", **_bearer(secret)).status_code == 401


def test_a_portal_patient_gets_404(org, reception, patient):
    from tests.test_portal import portal_user

    client = client_for(portal_user(org, reception, patient))
    assert client.post(reverse("api_integration_create"), {}).status_code == 404


def test_a_practitioner_integration_is_never_offered_or_booked_as_a_clinician(
    org, owner, site, practitioner
):
    """Its account is no person: not in the diary's pickers, not bookable by id."""
    from django.http import Http404

    from mesoclinic.scheduling import access

    _make(owner)
    with acting_for(org):
        offered = {u.full_name for u in access.clinicians()} | {
            u.full_name for u in access.clinicians(site)
        }
        assert practitioner.full_name in offered
        assert not any(name.startswith("Integration:") for name in offered)
        account = User.objects.get(full_name="Integration: Lab sync")
        with pytest.raises(Http404):
            access.get_clinician(account.public_id)


def test_the_command_makes_an_integration_token_as_an_owner_only(
    owner, practitioner, patient, warfarin
):
    import io

    from django.core.management import CommandError, call_command

    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token", "create-integration", "--owner", owner.email, "--name", "Booking site",
        "--acts-as", "reception", "--scope", "read", "--scope", "write", "--days", "30",
        stdout=out, stderr=err,
    )  # fmt: skip
    secret = out.getvalue().strip()
    listed = Client().get("/api/v1/appointments", **_bearer(secret))
    assert listed.status_code == 200
    fhir = Client().get(f"/fhir/R4/MedicationStatement/{warfarin.public_id}", **_bearer(secret))
    assert fhir.status_code == 403  # it acts as reception: no clinical data
    assert "Integration: Booking site" in err.getvalue() and "shown only now" in err.getvalue()
    token = ApiToken.objects.get(user__full_name="Integration: Booking site")
    assert (
        token.made_by == owner
        and token.user.role == "reception"
        and token.scopes == ["read", "write"]
    )
    with pytest.raises(CommandError, match="Only the clinic's owner"):
        call_command(
            "token", "create-integration", "--owner", practitioner.email, "--name", "x",
            "--acts-as", "reception", stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip


def test_an_integrations_account_is_not_listed_or_managed_as_a_colleague(owner):
    token, _ = _make(owner, acts_as="reception")
    client = client_for(owner)
    staff = client.get(reverse("staff_list")).content.decode()
    assert "Integration: Lab sync" not in staff and owner.full_name in staff
    licences = client.get(reverse("licence_new", args=[token.user.public_id]))
    deactivated = client.post(
        reverse("staff_set_active", args=[token.user.public_id]), {"active": "0"}
    )
    assert licences.status_code == 404 and deactivated.status_code == 404
    assert "Lab sync" in client.get(reverse("api_tokens")).content.decode()  # managed there
