"""Log-in, throttling, idle timeout, invitations and deactivation."""

import re

from django.core import mail
from django.urls import reverse

from mesoclinic.accounts.models import User
from tests.factories import client_for


def _login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_staff_log_in_by_email_and_out_again(client, practitioner):
    response = _login(client, "DOC@test.clinic", "correct horse battery")
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_a_clear_message_and_keeps_the_email(client, practitioner):
    response = _login(client, practitioner.email, "nope")
    body = response.content.decode()
    assert "do not match an active account" in body
    assert 'value="doc@test.clinic"' in body


def test_repeated_failures_lock_the_account_even_with_the_right_password(
    client, practitioner, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, practitioner.email, "wrong")
    response = _login(client, practitioner.email, "correct horse battery")
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()


def test_one_address_cannot_try_a_few_passwords_on_every_account(
    client, practitioner, owner, reception, settings
):
    accounts = [owner.email, reception.email, "nobody@test.clinic", "another@test.clinic"]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, accounts[attempt % len(accounts)], "wrong")
    response = _login(client, practitioner.email, "correct horse battery")
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()


def test_one_account_cannot_be_tried_from_many_addresses(client, practitioner, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": practitioner.email, "password": "wrong"},
            REMOTE_ADDR=f"203.0.113.{attempt + 1}",
        )
    response = client.post(
        reverse("login"),
        {"username": practitioner.email, "password": "correct horse battery"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 429


def test_a_few_failures_from_one_address_still_let_a_colleague_in(
    client, practitioner, owner, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, owner.email, "wrong")
    assert _login(client, practitioner.email, "correct horse battery").status_code == 302


def test_session_ends_after_inactivity(client, practitioner, settings):
    _login(client, practitioner.email, "correct horse battery")
    session = client.session
    session["last_activity"] -= settings.SESSION_IDLE_MINUTES * 60 + 5
    session.save()
    response = client.get(reverse("patient_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_password_change(client, practitioner):
    _login(client, practitioner.email, "correct horse battery")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct horse battery",
            "new_password1": "a much longer secret 42",
            "new_password2": "a much longer secret 42",
        },
    )
    assert response.status_code == 302
    practitioner.refresh_from_db()
    assert practitioner.check_password("a much longer secret 42")


def test_owner_invites_a_colleague_who_sets_a_password_once(owner, client):
    response = client_for(owner).post(
        reverse("staff_invite"), {"email": "New.Nurse@test.clinic", "role": "esthetician"}
    )
    assert response.status_code == 302
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", mail.outbox[0].body).group(1)
    form = {
        "full_name": "Nina Nurse",
        "password1": "sunny meadow 2026",
        "password2": "sunny meadow 2026",
    }
    assert client.post(link, form).status_code == 302
    nurse = User.objects.get(email="new.nurse@test.clinic")
    assert nurse.organization == owner.organization and nurse.role == "esthetician"
    assert client.post(link, form).status_code == 404  # usable once
    assert _login(client, "new.nurse@test.clinic", "sunny meadow 2026").status_code == 302


def test_invitation_rejects_weak_password_next_to_the_field(owner, client):
    client_for(owner).post(reverse("staff_invite"), {"email": "x@test.clinic", "role": "reception"})
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", mail.outbox[0].body).group(1)
    response = client.post(link, {"full_name": "X", "password1": "123", "password2": "123"})
    assert response.status_code == 400
    assert 'id="id_password1_error"' in response.content.decode()


def test_invitation_to_an_existing_email_is_refused(owner, practitioner):
    response = client_for(owner).post(
        reverse("staff_invite"), {"email": practitioner.email, "role": "reception"}
    )
    assert response.status_code == 400
    assert "already has an account" in response.content.decode()


def test_deactivated_colleague_is_signed_out_at_once(owner, practitioner):
    nurse_client = client_for(practitioner)
    assert nurse_client.get(reverse("patient_list")).status_code == 200
    client_for(owner).post(
        reverse("staff_set_active", args=[practitioner.public_id]), {"active": "0"}
    )
    assert nurse_client.get(reverse("patient_list")).status_code == 302
    assert _login(nurse_client, practitioner.email, "correct horse battery").status_code == 200


def test_owner_cannot_deactivate_themself(owner):
    client_for(owner).post(reverse("staff_set_active", args=[owner.public_id]), {"active": "0"})
    owner.refresh_from_db()
    assert owner.is_active


def test_owner_sets_currency_and_tax_and_bad_values_are_refused(owner, practitioner):
    client = client_for(owner)
    bad = client.post(
        reverse("clinic_settings"),
        {"name": "Test Clinic", "currency": "dollars", "tax_rate": "150"},
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'id="id_currency_error"' in body and 'id="id_tax_rate_error"' in body
    ok = client.post(
        reverse("clinic_settings"), {"name": "Test Clinic", "currency": "eur", "tax_rate": "20"}
    )
    assert ok.status_code == 302
    owner.organization.refresh_from_db()
    assert owner.organization.currency == "EUR" and owner.organization.tax_rate == 20
    assert client_for(practitioner).get(reverse("clinic_settings")).status_code == 403
