"""Issued invoices and their lines refuse UPDATE and DELETE in the database (billing
0002), whatever code path tries; drafts stay editable; one invoice per session."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from mesoclinic.billing.models import Invoice, InvoiceLine
from mesoclinic.tenancy import acting_for


@pytest.fixture
def draft(org, site, patient, owner):
    with acting_for(org):
        invoice = Invoice.objects.create(
            patient=patient, site=site, currency="EUR", changed_by=owner
        )
        InvoiceLine.objects.create(
            invoice=invoice, position=1, kind="consultation", description="Consultation",
            unit_price=Decimal("50"), net=Decimal("50"), gross=Decimal("50"),
        )  # fmt: skip
    return invoice


def _issue(org, invoice):
    with acting_for(org):
        Invoice.objects.filter(pk=invoice.pk).update(
            status="issued", number=1, issued_at=timezone.now()
        )


def test_a_draft_and_its_lines_may_change(org, draft):
    with acting_for(org):
        InvoiceLine.objects.filter(invoice=draft).update(description="First visit")
        Invoice.objects.filter(pk=draft.pk).update(note="Thank you")
        InvoiceLine.objects.filter(invoice=draft).delete()
        Invoice.objects.filter(pk=draft.pk).delete()
        assert not Invoice.objects.exists()


def test_an_issued_invoice_and_its_lines_refuse_every_change(org, draft):
    _issue(org, draft)
    with acting_for(org):
        attempts = [
            lambda: Invoice.objects.filter(pk=draft.pk).update(note="changed"),
            lambda: Invoice.objects.filter(pk=draft.pk).update(status="draft"),
            lambda: Invoice.objects.filter(pk=draft.pk).delete(),
            lambda: InvoiceLine.objects.filter(invoice=draft).update(unit_price=1),
            lambda: InvoiceLine.objects.filter(invoice=draft).delete(),
            lambda: InvoiceLine.objects.create(
                invoice=draft, position=2, kind="other", description="Extra", unit_price=1
            ),
        ]
        for attempt in attempts:
            with pytest.raises(DatabaseError), transaction.atomic():
                attempt()
        draft.refresh_from_db()
        assert draft.note == "" and InvoiceLine.objects.filter(invoice=draft).count() == 1


def test_a_number_is_given_once_per_organization(org, site, patient, draft):
    _issue(org, draft)
    with acting_for(org), pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            patient=patient, site=site, currency="EUR", status="issued", number=1,
            issued_at=timezone.now(),
        )  # fmt: skip
