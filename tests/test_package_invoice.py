"""A course package sold at the desk is billed like everything else (issue 17): the sale
issues an invoice with the package's line from the price list, taxed to the cent, which
is then paid like any invoice; a second submit of the form makes one sale and one
invoice; the invoice names the course, never a protocol's code or a product."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing.models import Invoice, InvoiceLine, InvoiceStatus, LineKind
from mesoclinic.payments import invoices
from mesoclinic.payments.models import PackageSale
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_packages import price_list_with_package, sell_url
from tests.test_payments import pay
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures


def sale_form(version, site, key=None):
    return {
        "package": f"{version.version}-0",
        "site": str(site.public_id),
        "submission_key": str(key or uuid.uuid4()),
    }


def set_tax(org, rate, include):
    org.tax_rate, org.prices_include_tax = Decimal(rate), include
    org.save(update_fields=["tax_rate", "prices_include_tax"])


@pytest.mark.parametrize(
    ("rate", "include", "net", "tax", "gross"),
    [
        ("0", False, "450.00", "0.00", "450.00"),
        ("20", False, "450.00", "90.00", "540.00"),
        ("20", True, "375.00", "75.00", "450.00"),
        ("7.5", True, "418.60", "31.40", "450.00"),
    ],
)
def test_selling_a_package_issues_its_invoice_to_the_cent(
    org, site, owner, reception, patient, rate, include, net, tax, gross
):
    set_tax(org, rate, include)
    version = price_list_with_package(org, owner)
    response = client_for(reception).post(sell_url(patient), sale_form(version, site))
    assert response.status_code == 302
    with acting_for(org):
        sale = PackageSale.objects.select_related("invoice").get()
        invoice = sale.invoice
        line = InvoiceLine.objects.get(invoice=invoice)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number == 1
    assert invoice.issued_by == reception and invoice.patient_id == patient.pk
    assert line.kind == LineKind.PACKAGE
    assert line.description == "Course package: Chin course of 3, 3 sessions"
    assert "submental" not in line.description  # the protocol's code is not for people
    assert (line.unit_price, line.quantity) == (Decimal("450.00"), Decimal(1))
    totals = (invoice.total_net, invoice.total_tax, invoice.total_gross)
    assert totals == (Decimal(net), Decimal(tax), Decimal(gross))


def test_the_package_invoice_is_paid_like_any_other(org, site, owner, reception, patient):
    version = price_list_with_package(org, owner)
    client = client_for(reception)
    client.post(sell_url(patient), sale_form(version, site))
    with acting_for(org):
        invoice = Invoice.objects.get()
    pay(org, reception, patient, site, "200.00", invoice=invoice)
    with acting_for(org):
        assert invoices.due_now(invoice).due == Decimal("250.00")
    page = client.get(reverse("payment_account", args=[patient.public_id])).content.decode()
    assert "Invoice 1" in page and "USD 250.00" in page


def test_a_second_submit_makes_one_sale_and_one_invoice(org, site, owner, reception, patient):
    version = price_list_with_package(org, owner)
    client, form = client_for(reception), sale_form(version, site)
    first = client.post(sell_url(patient), form, follow=True)
    client.post(sell_url(patient), form)
    assert "Invoice 1 charges it" in first.content.decode()
    with acting_for(org):
        assert PackageSale.objects.count() == 1 and Invoice.objects.count() == 1
        assert (
            AuditEvent.objects.filter(
                object_type="invoice", detail="drafted for a course package"
            ).count()
            == 1
        )


def test_a_package_already_on_an_invoice_gets_no_second_one(org, site, owner, reception, patient):
    version = price_list_with_package(org, owner)
    client = client_for(reception)
    client.post(sell_url(patient), sale_form(version, site))
    with acting_for(org):
        charged = Invoice.objects.get()
    form = {**sale_form(version, site), "invoice": str(charged.public_id)}
    client.post(sell_url(patient), form)
    with acting_for(org):
        assert Invoice.objects.count() == 1
        assert [s.invoice_id for s in PackageSale.objects.all()] == [charged.pk, charged.pk]


def test_only_billing_staff_of_the_clinic_sell_and_bill_packages(
    org, site, owner, practitioner, esthetician, outsider, me, patient
):
    version = price_list_with_package(org, owner)

    def status(user):
        return client_for(user).post(sell_url(patient), sale_form(version, site)).status_code

    assert [status(owner), status(practitioner)] == [302, 302]
    assert status(esthetician) == 403
    assert [status(outsider), status(me)] == [404, 404]
    with acting_for(org):
        assert list(Invoice.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
