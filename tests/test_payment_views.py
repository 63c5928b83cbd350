"""The desk's money pages (issue 17): a patient's account, taking a payment and a
refund. Reception, owners and practitioners (who bill) use them; estheticians get a 403,
another clinic a 404 and a portal patient the portal's 404; every read and change is
audited once."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.payments.models import Method, Payment, Refund
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_payments import give_back, pay
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

# Whoever bills (roles.BILLING) handles money: practitioners too, not estheticians.
DESK = ("owner", "reception", "practitioner")
CLINICAL = ("esthetician",)


def events(org, **match):
    with acting_for(org):
        return AuditEvent.objects.filter(**match).count()


def take_data(site, **changes):
    data = {
        "amount": "80.00",
        "method": Method.CASH,
        "reference": "",
        "site": str(site.public_id),
        "submission_key": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


@pytest.fixture
def paid(org, site, reception, patient):
    return pay(org, reception, patient, site, "120.00", method=Method.CARD, reference="TID 4471")


def pages(patient, payment):
    return [
        reverse("payment_account", args=[patient.public_id]),
        reverse("payment_take", args=[patient.public_id]),
        reverse("payment_refund", args=[payment.public_id]),
    ]


@pytest.mark.parametrize("role", DESK)
def test_the_desk_sees_the_account_and_its_forms(personas, role, patient, paid):
    client = client_for(personas[role])
    for url in pages(patient, paid):
        response = client.get(url)
        assert response.status_code == 200, url
    account = client.get(pages(patient, paid)[0]).content.decode()
    assert "TID 4471" in account and "USD 120.00" in account


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_staff_do_not_handle_money(personas, role, patient, paid, site):
    client = client_for(personas[role])
    for url in pages(patient, paid):
        assert client.get(url).status_code == 403, url
    take = reverse("payment_take", args=[patient.public_id])
    assert client.post(take, take_data(site)).status_code == 403


def test_another_clinic_gets_404_and_never_the_data(outsider, patient, paid, site):
    client = client_for(outsider)
    for url in pages(patient, paid):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "TID 4471" not in response.content.decode()
    take = reverse("payment_take", args=[patient.public_id])
    assert client.post(take, take_data(site)).status_code == 404


def test_a_portal_patient_gets_404(me, patient, paid):
    client = client_for(me)
    for url in pages(patient, paid):
        assert client.get(url).status_code == 404, url


def test_reading_the_account_is_audited_once(org, reception, patient, paid):
    client_for(reception).get(reverse("payment_account", args=[patient.public_id]))
    assert events(org, action="view", object_type="patient", object_id=str(patient.public_id)) == 1


def test_the_account_shows_the_balance_to_the_cent(org, site, reception, patient, paid):
    give_back(org, reception, paid, site, "20.05")
    page = client_for(reception).get(reverse("payment_account", args=[patient.public_id]))
    html = page.content.decode()
    assert page.context["balance"].owed == Decimal("-99.95")
    assert "In credit" in html and "USD 99.95" in html


def test_a_payment_is_taken_and_shown_on_the_account(org, site, reception, patient):
    client = client_for(reception)
    url = reverse("payment_take", args=[patient.public_id])
    response = client.post(url, take_data(site, amount="80.50"), follow=True)
    assert "Payment of USD 80.50 recorded." in response.content.decode()
    with acting_for(org):
        payment = Payment.objects.get()
    assert payment.amount == Decimal("80.50")
    assert events(org, action="create", object_type="payment") == 1


def test_a_payment_posted_twice_is_recorded_once(org, site, reception, patient):
    client = client_for(reception)
    url = reverse("payment_take", args=[patient.public_id])
    data = take_data(site)
    client.post(url, data)
    again = client.post(url, data, follow=True)
    assert "already recorded" in again.content.decode()
    with acting_for(org):
        assert Payment.objects.count() == 1


def test_a_card_number_is_refused_next_to_the_reference(org, site, reception, patient):
    client = client_for(reception)
    url = reverse("payment_take", args=[patient.public_id])
    data = take_data(site, method=Method.CARD, reference="4111 1111 1111 1111", amount="33.10")
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_reference_error"' in html and "looks like a card number" in html
    assert 'value="33.10"' in html  # nothing typed is lost
    with acting_for(org):
        assert not Payment.objects.exists()


def test_a_card_payment_without_terminal_reference_is_refused(site, reception, patient):
    url = reverse("payment_take", args=[patient.public_id])
    response = client_for(reception).post(url, take_data(site, method=Method.CARD))
    assert response.status_code == 400
    assert "Enter the terminal reference." in response.content.decode()


def test_a_refund_beyond_the_payment_is_refused_next_to_the_amount(org, reception, paid, site):
    client = client_for(reception)
    url = reverse("payment_refund", args=[paid.public_id])
    data = take_data(site, amount="120.01", reason="Charged twice")
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_amount_error"' in html and "At most USD 120.00" in html
    assert "Charged twice" in html
    ok = client.post(url, take_data(site, amount="120.00", reason="Charged twice"), follow=True)
    assert "Refund of" in ok.content.decode()
    with acting_for(org):
        assert Refund.objects.get().amount == Decimal("120.00")
    assert events(org, action="create", object_type="refund") == 1


@pytest.mark.parametrize("count", [1, 25])
def test_the_account_runs_a_bounded_number_of_queries(
    org, site, reception, patient, count, django_assert_max_num_queries
):
    for i in range(count):
        payment = pay(org, reception, patient, site, f"{10 + i}.00")
        give_back(org, reception, payment, site, "1.00")
    client = client_for(reception)
    client.get(reverse("home"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("payment_account", args=[patient.public_id]))
    assert len(response.context["payments"]) == count


def test_an_invoice_is_paid_from_its_link_on_the_account(org, site, reception, patient):
    from tests.test_payments import issue

    invoice = issue(org, reception, patient, site, "95.00")
    client = client_for(reception)
    account = client.get(reverse("payment_account", args=[patient.public_id])).content.decode()
    assert "Invoice 1" in account and ">Unpaid<" in account
    url = reverse("payment_take", args=[patient.public_id]) + f"?invoice={invoice.public_id}"
    form = client.get(url)
    assert form.context["form"]["amount"].value() == Decimal("95.00")
    data = take_data(site, amount="95.00", invoice=str(invoice.public_id))
    client.post(url, data)
    account = client.get(reverse("payment_account", args=[patient.public_id])).content.decode()
    assert ">Paid<" in account


@pytest.fixture
def invoice(org, site, reception, patient):
    from tests.test_payments import issue

    return issue(org, reception, patient, site, "60.00")


@pytest.mark.parametrize("role", DESK)
def test_the_invoice_panel_shows_what_is_paid_and_due(org, personas, role, patient, site, invoice):
    pay(org, personas["reception"], patient, site, "25.00", invoice=invoice)
    client = client_for(personas[role])
    response = client.get(reverse("payment_invoice_panel", args=[invoice.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert ">Part paid<" in html and "<dd>USD 35.00</dd>" in html
    assert "<html" not in html  # a partial for HTMX
    assert events(org, action="view", object_type="invoice", object_id=str(invoice.public_id)) == 1


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_staff_do_not_get_the_invoice_panel(personas, role, invoice):
    url = reverse("payment_invoice_panel", args=[invoice.public_id])
    assert client_for(personas[role]).get(url).status_code == 403


def test_the_invoice_panel_is_404_for_another_clinic_and_the_portal(outsider, me, invoice):
    url = reverse("payment_invoice_panel", args=[invoice.public_id])
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(me).get(url).status_code == 404


def test_a_draft_invoice_has_no_payment_panel(org, site, reception, patient):
    from tests.test_payments import issue

    draft = issue(org, reception, patient, site, "60.00", status="draft")
    url = reverse("payment_invoice_panel", args=[draft.public_id])
    assert client_for(reception).get(url).status_code == 404


def test_the_chart_links_to_the_account_for_those_who_bill(personas, patient):
    account = reverse("payment_account", args=[patient.public_id])
    chart = reverse("patient_detail", args=[patient.public_id])
    for role, shown in [("reception", True), ("practitioner", True), ("esthetician", False)]:
        html = client_for(personas[role]).get(chart).content.decode()
        assert (f'href="{account}"' in html) is shown, role


def test_the_takings_report_is_in_the_menu_of_owners_and_reception(personas):
    day = reverse("payment_report_day")
    for role, shown in [("owner", True), ("reception", True), ("practitioner", False)]:
        html = client_for(personas[role]).get(reverse("home")).content.decode()
        assert (f'href="{day}"' in html) is shown, role


def test_each_form_page_read_is_audited_once(org, reception, patient, paid):
    client = client_for(reception)
    client.get(reverse("payment_take", args=[patient.public_id]))
    assert events(org, action="view", detail="take payment") == 1
    client.get(reverse("payment_refund", args=[paid.public_id]))
    assert events(org, action="view", object_type="payment", detail="refund") == 1
    client.get(reverse("payment_sell_package", args=[patient.public_id]))
    assert events(org, action="view", detail="sell package") == 1
