"""Clinical licences on the staff page: recorded and voided by the owner, audited, and an
expired one shown as a warning."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from mesoclinic.accounts.models import ClinicalLicence
from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, give_licence

NOT_OWNERS = ["practitioner", "esthetician", "reception"]
FORM = {
    "licence_type": "nurse_prescriber",
    "number": "  NMC  12A3456E ",
    "jurisdiction": "NMC (UK)",
    "expires_on": (date.today() + timedelta(days=400)).isoformat(),
}


def _licences(org, **filters):
    with acting_for(org):
        return list(ClinicalLicence.objects.filter(**filters).order_by("pk"))


def test_the_staff_page_lists_each_colleagues_licences(personas):
    body = client_for(personas["owner"]).get(reverse("staff_list")).content.decode()
    assert "Physician GMC-7001234, Medical Council" in body
    assert "None recorded" in body  # the owner, the esthetician, reception


def test_an_expired_licence_is_shown_as_a_warning(personas):
    practitioner = personas["practitioner"]
    with acting_for(practitioner.organization):
        practitioner.licences.update(expires_on=date(2026, 3, 1))
    body = client_for(personas["owner"]).get(reverse("staff_list")).content.decode()
    assert '<span class="tag tag-warn">expired 1 Mar 2026</span>' in body
    assert "No prescribing licence in force: cannot treat, supervise or sign" in body


@pytest.mark.parametrize("role", NOT_OWNERS)
def test_only_the_owner_sees_the_staff_page(personas, role):
    assert client_for(personas[role]).get(reverse("staff_list")).status_code == 403


def test_the_owner_records_a_licence_and_it_is_audited(org, personas):
    esthetician = personas["esthetician"]
    url = reverse("licence_new", args=[esthetician.public_id])
    client = client_for(personas["owner"])
    assert client.get(url).status_code == 200
    response = client.post(url, FORM)
    assert response.status_code == 302 and response["Location"] == reverse("staff_list")
    [licence] = _licences(org, user=esthetician)
    assert licence.number == "NMC 12A3456E" and licence.recorded_by == personas["owner"]
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="clinicallicence")
    assert event.object_id == str(licence.public_id) and "expires_on" in event.fields
    assert str(esthetician.public_id) in event.detail


def test_a_licence_without_an_expiry_date_is_refused_next_to_the_field(org, personas):
    url = reverse("licence_new", args=[personas["esthetician"].public_id])
    response = client_for(personas["owner"]).post(url, {**FORM, "expires_on": ""})
    assert response.status_code == 400
    assert 'id="id_expires_on_error"' in response.content.decode()
    assert not _licences(org, user=personas["esthetician"])


@pytest.mark.parametrize("role", NOT_OWNERS)
def test_only_the_owner_records_a_licence(org, personas, role):
    url = reverse("licence_new", args=[personas[role].public_id])
    client = client_for(personas[role])
    assert client.get(url).status_code == 403
    assert client.post(url, FORM).status_code == 403
    assert len(_licences(org)) == 1  # the practitioner's own, from the fixture


def test_another_clinics_owner_cannot_record_a_licence_for_our_staff(org, personas):
    url = reverse("licence_new", args=[personas["esthetician"].public_id])
    client = client_for(personas["outsider"])
    assert client.get(url).status_code == 404
    assert client.post(url, FORM).status_code == 404


def test_the_owner_voids_a_licence_recorded_in_error(org, personas):
    [licence] = _licences(org)
    url = reverse("licence_void", args=[licence.public_id])
    client = client_for(personas["owner"])
    assert client.post(url, {"reason": "Wrong colleague"}).status_code == 302
    [licence] = _licences(org)
    assert licence.voided_at is not None and licence.voided_by == personas["owner"]
    assert AuditEvent.objects.filter(action=Action.VOID, object_type="clinicallicence").exists()
    assert client.post(url, {"reason": "Again"}).status_code == 404
    assert (
        "Physician GMC-7001234, Medical Council"
        not in client.get(reverse("staff_list")).content.decode()
    )


def test_voiding_needs_a_reason(org, personas):
    [licence] = _licences(org)
    client = client_for(personas["owner"])
    client.post(reverse("licence_void", args=[licence.public_id]), {"reason": ""})
    assert _licences(org)[0].voided_at is None


@pytest.mark.parametrize("role", NOT_OWNERS)
def test_only_the_owner_voids_a_licence(org, personas, role):
    [licence] = _licences(org)
    url = reverse("licence_void", args=[licence.public_id])
    assert client_for(personas[role]).post(url, {"reason": "No"}).status_code == 403
    assert _licences(org)[0].voided_at is None


def test_another_clinics_owner_cannot_void_our_licence(org, personas):
    [licence] = _licences(org)
    url = reverse("licence_void", args=[licence.public_id])
    assert client_for(personas["outsider"]).post(url, {"reason": "No"}).status_code == 404
    assert _licences(org)[0].voided_at is None


def test_a_licence_of_another_clinic_is_not_listed_on_our_staff_page(personas):
    give_licence(personas["outsider"], number="OTHER-999")
    body = client_for(personas["owner"]).get(reverse("staff_list")).content.decode()
    assert "OTHER-999" not in body


def test_another_clinics_owner_sees_only_their_own_staff(personas):
    body = client_for(personas["outsider"]).get(reverse("staff_list")).content.decode()
    assert "Oscar Outsider" in body
    assert "Dr Pia Prax" not in body and "GMC-7001234" not in body
