"""Informed consent: honest text, drawn signature, countersignature, PDF, revocation."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from mesoclinic.plans import consent as c
from mesoclinic.plans import services
from mesoclinic.plans.models import Consent, Plan, PlanStatus
from mesoclinic.tenancy import acting_for
from tests.factories import SIGNATURE, client_for, post_consent

EVIDENCE = "Mesotherapy has no proven clinical efficacy for many of its uses"


def _consent(org):
    with acting_for(org):
        return Consent.objects.select_related("plan").get()


def test_consent_text_is_honest_and_specific_to_the_plan(practitioner, approved_plan):
    body = (
        client_for(practitioner)
        .get(reverse("consent_new", args=[approved_plan.public_id]))
        .content.decode()
    )
    assert EVIDENCE in body
    assert "FDA does not regulate" in body
    assert "not a substitute for a balanced diet and regular exercise" in body
    assert "Nerve injury in the jaw (4% in the label" in body  # deoxycholic acid's own risks
    assert "Atypical mycobacterial skin infection" in body
    assert "right to withdraw" in body.lower()
    for claim in ("80%", "safe and effective", "melt away"):
        assert claim not in body


def test_patient_signs_and_practitioner_countersigns(org, practitioner, approved_plan):
    client = client_for(practitioner)
    response = post_consent(client, approved_plan)
    consent = _consent(org)
    assert response["Location"] == reverse("consent_detail", args=[consent.public_id])
    assert consent.text_hash == Consent.hash_text(consent.text)
    assert consent.patient_signature == SIGNATURE and not consent.is_valid
    client.post(reverse("consent_countersign", args=[consent.public_id]))
    consent = _consent(org)
    assert consent.is_valid and consent.countersigned_by == practitioner
    assert consent.plan.status == PlanStatus.CONSENTED
    with acting_for(org):
        assert c.valid_consent(consent.plan) == consent


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"typed_name": "Someone Else"}, "typed_name", "full name as recorded"),
        ({"signature": ""}, "signature", "Please sign in the box"),
        ({"signature": "<script>alert(1)</script>"}, "signature", "Please sign in the box"),
        ({"understood": ""}, "understood", "This field is required"),
    ],
)
def test_incomplete_signatures_are_refused_next_to_the_field(
    org, practitioner, approved_plan, changes, field, message
):
    response = post_consent(client_for(practitioner), approved_plan, **changes)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and message in body
    with acting_for(org):
        assert not Consent.objects.exists()


def test_esthetician_collects_the_signature_but_only_a_practitioner_countersigns(
    org, esthetician, practitioner, approved_plan
):
    post_consent(client_for(esthetician), approved_plan)
    consent = _consent(org)
    assert (
        client_for(esthetician)
        .post(reverse("consent_countersign", args=[consent.public_id]))
        .status_code
        == 403
    )
    assert _consent(org).countersigned_at is None


def test_pdf_has_the_same_content_as_the_page(org, practitioner, approved_plan):
    client = client_for(practitioner)
    post_consent(client, approved_plan)
    consent = _consent(org)
    response = client.get(reverse("consent_pdf", args=[consent.public_id]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "Anna García" in flat
    assert EVIDENCE in flat
    assert consent.text_hash in flat.replace(" ", "")


def test_a_new_plan_version_invalidates_consent(org, practitioner, approved_plan):
    client = client_for(practitioner)
    post_consent(client, approved_plan)
    consent = _consent(org)
    client.post(reverse("consent_countersign", args=[consent.public_id]))
    client.post(reverse("plan_reopen", args=[approved_plan.public_id]))
    with acting_for(org):
        plan = Plan.objects.get(pk=approved_plan.pk)
    assert plan.status == PlanStatus.DRAFT
    client.post(reverse("plan_approve", args=[plan.public_id]), {"lock_version": plan.lock_version})
    with acting_for(org):
        plan.refresh_from_db()
        latest = services.latest_version(plan)
    assert latest.number == 2
    assert consent.plan_version.number == 1
    assert plan.status == PlanStatus.APPROVED  # needs a new consent before treatment


def test_revoking_keeps_the_record_and_reopens_the_need_for_consent(
    org, practitioner, approved_plan
):
    client = client_for(practitioner)
    post_consent(client, approved_plan)
    consent = _consent(org)
    client.post(reverse("consent_countersign", args=[consent.public_id]))
    assert (
        client.post(reverse("consent_revoke", args=[consent.public_id]), {"reason": ""}).status_code
        == 400
    )
    client.post(
        reverse("consent_revoke", args=[consent.public_id]), {"reason": "Patient changed her mind"}
    )
    consent = _consent(org)
    assert consent.voided_by == practitioner and consent.void_reason == "Patient changed her mind"
    assert consent.plan.status == PlanStatus.APPROVED
    assert (
        "Revoked"
        in client.get(reverse("consent_detail", args=[consent.public_id])).content.decode()
    )


def test_clinic_wording_is_versioned_and_cannot_remove_the_evidence(
    org, owner, practitioner, approved_plan
):
    client = client_for(owner)
    response = client.post(
        reverse("consent_template"),
        {
            "introduction": "Our own introduction.",
            "alternatives": "Doing nothing",
            "withdrawal": "Stop whenever you like.",
            "additional": "Ask us anything.",
        },
    )
    assert response.status_code == 302
    body = (
        client_for(practitioner)
        .get(reverse("consent_new", args=[approved_plan.public_id]))
        .content.decode()
    )
    assert "Our own introduction." in body and "Ask us anything." in body
    assert EVIDENCE in body and "Potential risks" in body
    assert client_for(practitioner).get(reverse("consent_template")).status_code == 403


def test_outsider_gets_404_for_consent_urls(org, outsider, practitioner, approved_plan):
    post_consent(client_for(practitioner), approved_plan)
    consent = _consent(org)
    client = client_for(outsider)
    for name in ("consent_detail", "consent_pdf"):
        assert client.get(reverse(name, args=[consent.public_id])).status_code == 404
    for name in ("consent_countersign", "consent_revoke"):
        assert (
            client.post(reverse(name, args=[consent.public_id]), {"reason": "x" * 5}).status_code
            == 404
        )
    assert _consent(org).voided_at is None


@pytest.mark.parametrize(
    "role,expected",
    [("owner", 200), ("practitioner", 200), ("esthetician", 200), ("reception", 403)],
)
def test_consent_page_by_role(personas, org, practitioner, approved_plan, role, expected):
    post_consent(client_for(practitioner), approved_plan)
    consent = _consent(org)
    assert (
        client_for(personas[role])
        .get(reverse("consent_detail", args=[consent.public_id]))
        .status_code
        == expected
    )
