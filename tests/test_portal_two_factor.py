"""The optional second sign-in step: a patient turns on an authenticator app with one
code; from then on the portal asks for a code after the password, a wrong code is
refused and audited, and turning it off needs the password."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.audit.models import AuditEvent
from tests.factories import client_for
from tests.test_portal import PASSWORD, me  # noqa: F401 - fixtures

STAFF = ("owner", "practitioner", "esthetician", "reception")


def code_for(device, offset=0):
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return f"{code:06d}"


def turn_on(client, user):
    url = reverse("portal_two_factor")
    page = client.post(url, {"action": "start"}).content.decode()
    assert "<svg" in page and "Type the code the app shows" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(url, {"action": "confirm", "code": code_for(device)})
    assert response.status_code == 302
    return TOTPDevice.objects.get(user=user, confirmed=True)


def signed_in(user):
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_once_on_the_portal_asks_for_a_code_after_the_password(me):
    device = turn_on(client_for(me), me)
    client = signed_in(me)
    response = client.get(reverse("portal_documents"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal_verify"))
    # The code of the next time step: django-otp refuses one used twice (at turning on).
    right = client.post(response["Location"], {"code": code_for(device, offset=1)})
    assert right.status_code == 302 and right["Location"] == reverse("portal_documents")
    assert client.get(reverse("portal_documents")).status_code == 200


def test_a_wrong_code_is_audited_as_a_failed_sign_in(org, me):
    device = turn_on(client_for(me), me)
    client = signed_in(me)
    before = AuditEvent.objects.filter(actor=me, action="login_failed").count()
    bad = "123456" if code_for(device) != "123456" else "654321"
    wrong = client.post(reverse("portal_verify"), {"code": bad})
    assert wrong.status_code == 400 and "not the one the app shows" in wrong.content.decode()
    assert AuditEvent.objects.filter(actor=me, action="login_failed").count() == before + 1
    # After a wrong code django-otp makes the next try wait, whatever the code.
    again = client.post(reverse("portal_verify"), {"code": code_for(device, offset=1)})
    assert again.status_code == 400
    assert client.get(reverse("portal_documents")).status_code == 302


def test_a_code_that_is_not_six_digits_is_refused_next_to_the_field(me):
    turn_on(client_for(me), me)
    response = signed_in(me).post(reverse("portal_verify"), {"code": "12ab"})
    assert response.status_code == 400 and "Type the 6 digits" in response.content.decode()


def test_without_a_second_step_the_password_is_enough(me):
    assert signed_in(me).get(reverse("portal_documents")).status_code == 200


def test_turning_it_off_needs_the_password(me):
    client = client_for(me)
    turn_on(client, me)
    url = reverse("portal_two_factor")
    refused = client.post(url, {"action": "off", "password": "not it"})
    assert refused.status_code == 400 and "That is not your password." in refused.content.decode()
    assert TOTPDevice.objects.filter(user=me).exists()
    assert client.post(url, {"action": "off", "password": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(user=me).exists()


@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_open_the_patients_sign_in_pages(personas, role):
    client = client_for(personas[role])
    assert client.get(reverse("portal_two_factor")).status_code == 403
    assert client.get(reverse("portal_verify")).status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in():
    response = Client().get(reverse("portal_verify"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
