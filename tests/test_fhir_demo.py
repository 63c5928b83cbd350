"""The demo clinic through FHIR: every demo patient's $everything, and a page of every
search type, parse as R4B resources, and every reference in them resolves to an entry
of the same answer or to a resource this server reads."""

import json
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from mesoclinic.accounts.models import Organization, User
from mesoclinic.fhir.http import throttle
from mesoclinic.fhir.kinds import KINDS
from mesoclinic.patients.models import Patient
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_fhir import BASE


@pytest.fixture
def demo(db, monkeypatch):
    """The demo clinic with its past (sessions, photos, outcomes, consents)."""
    monkeypatch.setenv("MESOCLINIC_DEMO_PASSWORD", "demo password 123")
    # Walking the whole demo is more calls than one client makes a minute (test_fhir
    # checks the limit itself).
    monkeypatch.setattr(throttle(), "num_requests", 100_000)
    call_command("demo", stdout=StringIO())
    org = Organization.objects.get(name__icontains="demo")
    with acting_for(org):
        practitioner = User.in_org.get(email="practitioner@demo.clinic")
        patients = list(Patient.objects.order_by("pk").values_list("public_id", flat=True))
    return client_for(practitioner), patients


def references(node, found=None) -> list[str]:
    """Every Reference.reference and Attachment.url inside a resource's JSON."""
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("reference", "url") and isinstance(value, str) and "/" in value:
                if not value.startswith(("http://", "https://")) or value.startswith(
                    "http://testserver/fhir/R4/"
                ):
                    found.append(value)
            else:
                references(value, found)
    elif isinstance(node, list):
        for item in node:
            references(item, found)
    return found


class Resolver:
    """Resolves references: to an entry of the bundle, else by reading it once."""

    def __init__(self, client) -> None:
        self.client, self.known = client, set()

    def check(self, bundle: Bundle) -> None:
        entries = {f"{e.resource.get_resource_type()}/{e.resource.id}" for e in bundle.entry or []}
        for entry in bundle.entry or []:
            assert isinstance(entry.resource, Resource)
            for target in references(json.loads(entry.resource.model_dump_json())):
                if target.startswith("#"):
                    continue
                target = urlsplit(target).path.removeprefix(BASE)
                if target in entries or target in self.known:
                    continue
                response = self.client.get(BASE + target)
                assert response.status_code == 200, (entry.resource.id, target, response.content)
                self.known.add(target)


def test_everything_of_every_demo_patient_parses_and_resolves(demo):
    client, patients = demo
    assert patients
    resolver = Resolver(client)
    types = set()
    for public_id in patients:
        url = f"{BASE}Patient/{public_id}/$everything"
        while url:
            response = client.get(url, {"_count": "50"} if "?" not in url else None)
            assert response.status_code == 200, response.content
            bundle = Bundle.model_validate_json(response.content)
            resolver.check(bundle)
            types |= {e.resource.get_resource_type() for e in bundle.entry or []}
            url = next((link.url for link in bundle.link if link.relation == "next"), "")
    # The demo's past shows in FHIR: not a bundle of patients alone.
    assert {"Patient", "Appointment", "Procedure", "Consent"} <= types


def test_a_page_of_every_search_type_parses_and_resolves(demo):
    client, patients = demo
    resolver = Resolver(client)
    for name, kind in KINDS.items():
        # $everything above reads every patient through the same builders; a search per
        # kind for one patient in twenty (about fifteen) shows the search pages' own work.
        for public_id in patients[::20] if kind.needs_patient else [None]:
            params = {"patient": str(public_id)} if public_id else {}
            response = client.get(f"{BASE}{name}", params)
            assert response.status_code == 200, (name, response.content)
            resolver.check(Bundle.model_validate_json(response.content))
