"""A patient accepts a plan's exact quote in the portal, or the desk records it; what was
accepted keeps its amounts when prices change later (issue 17)."""

import pytest
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing.models import QuoteAcceptance
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_invoices import price_list
from tests.test_portal import portal_user


def acceptances(org):
    with acting_for(org):
        return list(QuoteAcceptance.objects.all())


def test_the_desk_records_an_acceptance_once(org, owner, reception, approved_plan):
    price_list(org, owner)
    url = reverse("quote_acceptance", args=[approved_plan.public_id])
    client = client_for(reception)
    assert "has not accepted this quote yet" in client.get(url).content.decode()
    first = client.post(url)
    client.post(url)
    (accepted,) = acceptances(org)
    assert accepted.at_desk and accepted.accepted_by == reception
    assert accepted.amount_low > 0 and accepted.currency == "EUR"
    assert "recorded at the desk by" in first.content.decode()
    assert (
        AuditEvent.objects.filter(object_id=str(accepted.public_id), action="create").count() == 1
    )


def test_a_patient_accepts_in_the_portal_and_a_later_price_change_keeps_the_amount(
    org, owner, reception, patient, approved_plan
):
    price_list(org, owner, submental="250.00")
    me = client_for(portal_user(org, reception, patient))
    page = me.get(reverse("portal_quote", args=[approved_plan.public_id])).content.decode()
    assert "I accept this quote" in page
    response = me.post(reverse("portal_quote_accept", args=[approved_plan.public_id]))
    assert response.status_code == 302
    (accepted,) = acceptances(org)
    assert not accepted.at_desk
    agreed = accepted.amount_low
    price_list(org, owner, submental="400.00")
    accepted.refresh_from_db()
    assert accepted.amount_low == agreed
    page = me.get(reverse("portal_quote", args=[approved_plan.public_id])).content.decode()
    assert "You accepted this quote" in page


def test_without_a_price_list_the_range_cannot_be_accepted(org, reception, approved_plan):
    response = client_for(reception).post(
        reverse("quote_acceptance", args=[approved_plan.public_id])
    )
    assert response.status_code == 400 and "only a range" in response.content.decode()
    assert acceptances(org) == []


def test_a_quote_with_an_unpriced_area_cannot_be_accepted(org, owner, reception, approved_plan):
    price_list(org, owner, submental=None)
    response = client_for(reception).post(
        reverse("quote_acceptance", args=[approved_plan.public_id])
    )
    assert response.status_code == 400 and "No price yet for" in response.content.decode()


@pytest.mark.parametrize(
    "role,status", [("owner", 200), ("practitioner", 200), ("reception", 200), ("esthetician", 403)]
)
def test_the_acceptance_panel_is_for_those_who_bill(personas, role, status, org, approved_plan):
    price_list(org, personas["owner"])
    url = reverse("quote_acceptance", args=[approved_plan.public_id])
    assert client_for(personas[role]).get(url).status_code == status


def test_another_clinic_and_another_patient_get_404(
    org, owner, outsider, reception, approved_plan, make_patient
):
    price_list(org, owner)
    url = reverse("quote_acceptance", args=[approved_plan.public_id])
    assert client_for(outsider).post(url).status_code == 404
    other = make_patient(first_name="Berta", last_name="Other", email="berta@example.com")
    them = client_for(portal_user(org, reception, other))
    assert (
        them.post(reverse("portal_quote_accept", args=[approved_plan.public_id])).status_code == 404
    )
    assert acceptances(org) == []
