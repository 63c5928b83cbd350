"""Personal API tokens: made once on a page or by command, acting as their holder with
their role narrowed by scopes, revoked or expired into a 401, audited."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import hash_token
from mesoclinic.api import tokens
from mesoclinic.api.models import ApiToken
from mesoclinic.api.views import api
from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.factories import client_for


@pytest.fixture
def warfarin(org, patient, practitioner):
    with acting_for(org):
        return pm.Medication.objects.create(
            patient=patient, name="Warfarin", recorded_on="2026-01-01", created_by=practitioner
        )


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_token_made_on_the_page_is_shown_once_and_only_its_hash_kept(practitioner):
    client = client_for(practitioner)
    response = client.post(
        reverse("api_tokens"), {"name": "Accounting export", "scopes": ["read"], "days": "30"}
    )
    assert response.status_code == 302  # a reload of the page cannot post it again
    page = client.get(response["Location"]).content.decode()
    token = ApiToken.objects.get()
    secret = page.split('aria-label="New token" size="60"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert secret.startswith("mcl_") and token.token_hash == hash_token(secret)
    assert secret not in str(ApiToken.objects.values_list().get())
    again = client.get(reverse("api_tokens")).content.decode()
    assert secret not in again and f"{token.prefix}…" in again and "Accounting export" in again


def test_a_bad_token_form_keeps_what_was_typed_and_says_why(practitioner):
    response = client_for(practitioner).post(
        reverse("api_tokens"), {"name": "Nightly sync", "days": "0"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Nightly sync"' in page and "This field is required" in page
    assert "greater than or equal to 1" in page
    assert not ApiToken.objects.exists()


def test_a_token_reads_the_api_as_its_holder_without_a_session(practitioner, patient, warfarin):
    _, secret = tokens.create(practitioner, name="t", scopes=["read", "clinical"], days=5)
    client = Client()
    listing = client.get("/api/v1/patients", **_bearer(secret))
    assert listing.status_code == 200 and len(listing.json()["results"]) == 1
    detail = client.get(f"/api/v1/patients/{patient.public_id}", **_bearer(secret)).json()
    assert [h["text"] for h in detail["history"] if h["kind"] == "medication"] == ["Warfarin"]
    event = AuditEvent.objects.filter(action="view", object_id=str(patient.public_id)).get()
    assert event.actor == practitioner
    assert ApiToken.objects.get().last_used_at is not None


def test_without_the_clinical_scope_a_token_sees_what_reception_sees(
    practitioner, patient, warfarin
):
    _, secret = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    detail = Client().get(f"/api/v1/patients/{patient.public_id}", **_bearer(secret)).json()
    assert detail.get("history") is None and detail["last_name"] == patient.last_name


def test_a_reception_token_never_reads_clinical_data(reception, patient, warfarin):
    _, secret = tokens.create(reception, name="t", scopes=["read", "clinical"], days=5)
    detail = Client().get(f"/api/v1/patients/{patient.public_id}", **_bearer(secret)).json()
    assert detail.get("history") is None


def test_a_token_without_read_scope_cannot_read(practitioner, patient):
    _, secret = tokens.create(practitioner, name="t", scopes=["write"], days=5)
    response = Client().get("/api/v1/patients", **_bearer(secret))
    assert response.status_code == 403 and "read" in response.json()["detail"]


def test_revoked_expired_unknown_and_deactivated_tokens_get_401(practitioner, owner, patient):
    client = Client()
    token, secret = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    assert client.get("/api/v1/patients", **_bearer(secret)).status_code == 200
    assert tokens.revoke(practitioner, token) and not tokens.revoke(practitioner, token)
    assert client.get("/api/v1/patients", **_bearer(secret)).status_code == 401
    token, secret = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - dt.timedelta(days=6), expires_at=now - dt.timedelta(seconds=1)
    )
    assert client.get("/api/v1/patients", **_bearer(secret)).status_code == 401
    assert client.get("/api/v1/patients", **_bearer("mcl_nothing")).status_code == 401
    _, secret = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    type(practitioner).objects.filter(pk=practitioner.pk).update(is_active=False)
    assert client.get("/api/v1/patients", **_bearer(secret)).status_code == 401


def test_another_clinics_token_gets_404_for_our_patient(outsider, patient):
    _, secret = tokens.create(outsider, name="t", scopes=["read", "clinical"], days=5)
    client = Client()
    assert client.get(f"/api/v1/patients/{patient.public_id}", **_bearer(secret)).status_code == 404
    assert client.get("/api/v1/patients", {"q": "garc"}, **_bearer(secret)).json()["results"] == []


def test_the_command_prints_a_token_once_that_works(practitioner, patient):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token", "create", "--user", "DOC@test.clinic", "--scope", "read", "--days", "7",
        stdout=out, stderr=err,
    )  # fmt: skip
    secret = out.getvalue().strip()
    assert Client().get("/api/v1/patients", **_bearer(secret)).status_code == 200
    assert "shown only now" in err.getvalue()
    token = ApiToken.objects.get()
    assert (token.expires_at - token.created_at).days == 7 and token.scopes == ["read"]


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_every_staff_role_has_a_tokens_page(personas, role):
    assert client_for(personas[role]).get(reverse("api_tokens")).status_code == 200


def test_the_tokens_page_needs_a_log_in_and_is_not_for_portal_patients(org, reception, patient):
    response = Client().get(reverse("api_tokens"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    from tests.test_portal import portal_user

    assert (
        client_for(portal_user(org, reception, patient)).get(reverse("api_tokens")).status_code
        == 404
    )
    with pytest.raises(tokens.TokenRefused):
        tokens.create(
            type(reception).objects.get(email=patient.email), name="t", scopes=["read"], days=5
        )


def test_only_the_holder_or_the_owner_revokes_a_token(practitioner, esthetician, owner, outsider):
    token, _ = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    url = reverse("api_token_revoke", args=[token.public_id])
    assert client_for(esthetician).post(url).status_code == 404
    assert client_for(outsider).post(url).status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert client_for(owner).post(url).status_code == 200
    assert ApiToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(object_id=str(token.public_id), action="change").count() == 1


def test_each_token_is_rate_limited_on_its_own(practitioner, esthetician, patient, monkeypatch):
    from mesoclinic.api.views import TokenRateThrottle

    throttle = next(t for t in api.throttle if isinstance(t, TokenRateThrottle))
    monkeypatch.setattr(throttle, "num_requests", 3)
    _, first = tokens.create(practitioner, name="a", scopes=["read"], days=5)
    _, second = tokens.create(esthetician, name="b", scopes=["read"], days=5)
    client = Client()
    answers = [client.get("/api/v1/patients", **_bearer(first)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/patients", **_bearer(first))
    assert refused.json() == {"detail": "Too many requests."}
    assert client.get("/api/v1/patients", **_bearer(second)).status_code == 200


def test_a_staff_token_reads_the_openapi_document_and_a_bad_one_gets_401(client, practitioner):
    """A client fetches the schema it is written against with its own token."""
    _, secret = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    schema = client.get("/api/v1/openapi.json", **_bearer(secret))
    assert schema.status_code == 200 and "/api/v1/patients" in schema.json()["paths"]
    refused = client.get("/api/v1/openapi.json", **_bearer("mcl_not-a-real-token"))
    assert refused.status_code == 401
