"""The patient portal's accounts and access: invited by the clinic, signed in with a
password, kept under /portal/, shown only their own record, every read audited with
the patient as the actor; staff cannot use the portal as a patient."""

import re
import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.audit.models import AuditEvent
from mesoclinic.portal import services
from mesoclinic.portal.models import PortalAccount, PortalInvitation
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import client_for, make_lot, session_in_status

PASSWORD = "a long portal passphrase"
STAFF = ("owner", "practitioner", "esthetician", "reception")


def invite(org, user, patient) -> str:
    """Invite the patient; the token from the emailed link."""
    with acting_for(org), django_capture_on_commit():
        services.invite(user, patient, absolute_url=lambda path: "https://clinic.test" + path)
    link = re.search(r"https://clinic\.test(/portal/invitation/[^/\s]+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    return link.group(1)


class django_capture_on_commit:  # noqa: N801 - used as a context manager
    """Run on_commit callbacks at once (the test's transaction never commits)."""

    def __enter__(self):
        from django.db import connection

        self._saved = connection.run_on_commit[:]
        return self

    def __exit__(self, *exc):
        from django.db import connection

        for _, callback, _robust in connection.run_on_commit[len(self._saved) :]:
            callback()
        connection.run_on_commit[:] = self._saved


def portal_user(org, reception, patient) -> User:
    path = invite(org, reception, patient)
    client = Client()
    response = client.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(email=patient.email)


@pytest.fixture
def me(org, reception, patient):
    return portal_user(org, reception, patient)


@pytest.fixture
def other_patient(org, reception, make_patient):
    other = make_patient(first_name="Berta", last_name="Other", email="berta@example.com")
    portal_user(org, reception, other)
    return other


def events(org, actor=None):
    with acting_for(org):
        found = AuditEvent.objects.all()
        return found.filter(actor=actor).count() if actor else found.count()


def test_an_invited_patient_sets_a_password_and_lands_in_the_portal(org, reception, patient):
    path = invite(org, reception, patient)
    assert mail.outbox[-1].to == [patient.email]
    client = Client()
    page = client.get(path).content.decode()
    assert "Choose a password" in page and patient.email in page
    response = client.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portal_home")
    home = client.get(reverse("portal_home")).content.decode()
    assert f"Hello {patient.first_name}" in home
    user = User.objects.get(email=patient.email)
    assert user.role == Role.PATIENT
    with acting_for(org):
        assert PortalAccount.objects.get(user=user).patient == patient


def test_the_invitation_works_once(org, reception, patient):
    path = invite(org, reception, patient)
    Client().post(path, {"password1": PASSWORD, "password2": PASSWORD})
    again = Client().post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 404
    assert User.objects.filter(email=patient.email).count() == 1


def test_an_expired_invitation_is_refused(org, reception, patient):
    path = invite(org, reception, patient)
    with acting_for(org):
        PortalInvitation.objects.update(expires_at=timezone.now())
    assert Client().get(path).status_code == 404


def test_a_new_invitation_replaces_the_pending_one(org, reception, patient):
    first = invite(org, reception, patient)
    second = invite(org, reception, patient)
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200


def test_a_weak_or_mismatched_password_is_refused_next_to_the_field(org, reception, patient):
    path = invite(org, reception, patient)
    short = Client().post(path, {"password1": "short", "password2": "short"})
    assert short.status_code == 400
    assert "too short" in short.content.decode()
    differ = Client().post(path, {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert "The two passwords differ." in differ.content.decode()
    assert not User.objects.filter(email=patient.email).exists()


def test_a_patient_without_email_or_with_an_account_is_not_invited(
    org, reception, make_patient, patient, me
):
    nobody = make_patient(first_name="Nomail", email="")
    client = client_for(reception)
    panel = client.post(
        reverse("portal_invite", args=[nobody.public_id]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Add the patient&#39;s email address first" in panel
    again = client.post(
        reverse("portal_invite", args=[patient.public_id]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Has a portal account since" in again and "Invite to the portal" not in again
    with acting_for(org):
        assert PortalInvitation.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize("role", STAFF)
def test_the_chart_panel_shows_the_state_to_staff_and_only_editors_invite(
    org, personas, role, patient
):
    client = client_for(personas[role])
    url = reverse("portal_invite", args=[patient.public_id])
    panel = client.get(url).content.decode()
    assert "Patient portal" in panel
    assert "Invite to the portal" in panel  # every staff role edits demographics
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f"Invitation emailed to {patient.email}" in response.content.decode()


def test_an_outsider_cannot_invite_another_clinics_patient(outsider, patient):
    client = client_for(outsider)
    url = reverse("portal_invite", args=[patient.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not mail.outbox


def test_the_patient_signs_in_with_the_staff_login_and_goes_to_the_portal(me):
    client = Client()
    response = client.post(
        reverse("login") + "?next=/patients/",
        {"username": me.email, "password": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal_home")


STAFF_PAGES = ["/", "/patients/", "/calendar/", "/evidence/", "/api/v1/patients", "/photos/export/"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_patient_opens_no_staff_page(owner, site, me, path):
    assert client_for(owner).get(path).status_code in (200, 302)  # a real page, for staff
    response = client_for(me).get(path)
    if path == "/":
        assert response.status_code == 302 and response["Location"] == reverse("portal_home")
    else:
        assert response.status_code == 404


def test_a_patient_opens_no_other_patients_chart(me, other_patient):
    client = client_for(me)
    assert client.get(reverse("patient_detail", args=[other_patient.public_id])).status_code == 404
    assert (
        client.get(
            reverse("patient_detail", args=[me.portal_account.patient.public_id])
        ).status_code
        == 404
    )


PORTAL_PAGES = ["portal_home", "portal_documents", "portal_appointments", "portal_access"]


@pytest.mark.parametrize("name", PORTAL_PAGES)
@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_open_the_portal_as_a_patient(personas, role, name):
    assert client_for(personas[role]).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_nobody_signed_in_is_sent_to_sign_in(name):
    response = Client().get(reverse(name))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_each_portal_page_writes_one_event_with_the_patient_as_actor(org, me, name):
    client = client_for(me)
    before = events(org, me)
    assert client.get(reverse(name)).status_code == 200
    assert events(org, me) == before + 1


@pytest.fixture
def treated(org, site, practitioner, patient, signed_consent):
    lot = make_lot(org, site, practitioner)
    return session_in_status(org, patient, site, practitioner, lot, SessionStatus.SIGNED)


def test_documents_list_the_patients_consent_and_aftercare_and_serve_them(
    org, me, patient, treated, signed_consent
):
    client = client_for(me)
    page = client.get(reverse("portal_documents")).content.decode()
    consent_pdf = reverse("portal_consent_pdf", args=[signed_consent.public_id])
    aftercare = reverse("portal_aftercare", args=[treated.public_id])
    assert consent_pdf in page and aftercare in page
    response = client.get(consent_pdf)
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    sheet = client.get(aftercare).content.decode()
    assert "Aftercare" in sheet and "Patients" not in sheet.split("<main")[0]
    pdf = client.get(reverse("portal_aftercare_pdf", args=[treated.public_id]))
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"


def test_another_patients_documents_are_not_found(
    org, reception, make_patient, patient, treated, signed_consent
):
    other = make_patient(first_name="Berta", last_name="Other", email="berta@example.com")
    them = portal_user(org, reception, other)
    client = client_for(them)
    for name, obj in (
        ("portal_consent_pdf", signed_consent),
        ("portal_aftercare", treated),
        ("portal_aftercare_pdf", treated),
    ):
        assert client.get(reverse(name, args=[obj.public_id])).status_code == 404
    assert client.get(reverse("portal_aftercare", args=[uuid.uuid4()])).status_code == 404
    page = client.get(reverse("portal_documents")).content.decode()
    assert str(signed_consent.public_id) not in page and str(treated.public_id) not in page


def test_the_patient_sees_who_at_the_clinic_opened_their_record(
    org, me, patient, practitioner, reception, treated
):
    with acting_for(org):
        record(practitioner, Action.VIEW, patient)
        record(reception, Action.CHANGE, patient, fields=["phone"])
        record(practitioner, Action.VIEW, treated)
    page = client_for(me).get(reverse("portal_access")).content.decode()
    assert practitioner.full_name in page and reception.full_name in page
    assert "(Reception) changed your record" in page
    # The patient's own reads are not listed as the clinic's.
    assert page.count(me.full_name) <= 1


def test_the_access_page_runs_a_bounded_number_of_queries(
    org, me, patient, practitioner, django_assert_max_num_queries
):
    with acting_for(org):
        for _ in range(30):
            record(practitioner, Action.VIEW, patient)
    client = client_for(me)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portal_access")).status_code == 200


def test_the_patient_reads_the_quote_of_an_approved_plan_only(
    org, me, patient, practitioner, approved_plan, make_patient, reception
):
    from mesoclinic.plans.models import PlanStatus
    from tests.factories import plan_in_status

    draft = plan_in_status(org, patient, practitioner, PlanStatus.DRAFT)
    client = client_for(me)
    page = client.get(reverse("portal_documents")).content.decode()
    assert reverse("portal_quote", args=[approved_plan.public_id]) in page
    assert reverse("portal_quote", args=[draft.public_id]) not in page
    quote = client.get(reverse("portal_quote", args=[approved_plan.public_id]))
    assert quote.status_code == 200 and "Total" in quote.content.decode()
    assert client.get(reverse("portal_quote", args=[draft.public_id])).status_code == 404
    other = make_patient(first_name="Berta", email="berta@example.com")
    them = client_for(portal_user(org, reception, other))
    assert them.get(reverse("portal_quote", args=[approved_plan.public_id])).status_code == 404
