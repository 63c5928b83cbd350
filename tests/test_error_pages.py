"""When a request fails, the page says so in the project's look and plain words, offers
a way back, and says nothing about what was asked for."""

import logging
import re
import uuid

from django.test import Client, RequestFactory
from django.urls import reverse

from mesoclinic.web import errors
from tests.factories import client_for


def test_a_record_of_another_clinic_is_not_found_like_one_that_never_existed(outsider, patient):
    theirs = client_for(outsider).get(reverse("patient_detail", args=[patient.public_id]))
    nobody = client_for(outsider).get(reverse("patient_detail", args=[uuid.uuid4()]))
    assert theirs.status_code == nobody.status_code == 404
    page = theirs.content.decode()
    assert "Not found" in page and 'class="topbar"' in page and reverse("home") in page
    assert patient.last_name not in page and str(patient.public_id) not in page
    assert _tokenless(page) == _tokenless(nobody.content.decode())


def test_a_page_closed_to_the_role_says_whom_to_ask(reception, patient):
    response = client_for(reception).get(reverse("patient_outcomes", args=[patient.public_id]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "not open to your role" in page and "owner" in page
    assert "Reception may not see clinical records" in page
    assert patient.last_name not in page


def test_a_refusal_is_one_log_line_without_a_traceback(reception, patient, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        client_for(reception).get(reverse("patient_outcomes", args=[patient.public_id]))
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert len(refusals) == 1
    handler = logging.getLogger().handlers[0]
    line = handler.format(refusals[0]) if handler.filter(refusals[0]) else ""
    assert line.startswith("Forbidden (Permission denied)") and "Traceback" not in line
    assert len(line.splitlines()) == 1


def test_someone_signed_out_is_offered_the_login(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert reverse("login") in response.content.decode()


def test_an_expired_form_says_nothing_was_saved(practitioner, patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(practitioner)
    response = client.post(reverse("patient_edit", args=[patient.public_id]), {"first_name": "X"})
    assert response.status_code == 403
    assert "Nothing was saved" in response.content.decode()


def test_the_server_error_page_needs_no_database(db, django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def _tokenless(page: str) -> str:
    """The page without its per-response CSRF tokens."""
    page = re.sub(r'"X-CSRFToken": "[^"]*"', "", page)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
