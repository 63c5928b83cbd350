"""Issuing: one gapless number sequence per organization, per-line amounts to the cent,
a double submit gives one number, a failed issue gives its number back."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections

from mesoclinic.accounts.models import Organization
from mesoclinic.billing import issuing
from mesoclinic.billing.models import Invoice, InvoiceCounter, InvoiceLine
from mesoclinic.tenancy import acting_for
from tests.factories import in_memory_sqlite, rerun_on_a_file


def _draft(org, site, patient, user, price="100.00", rate="20", discount="0"):
    with acting_for(org):
        invoice = Invoice.objects.create(
            patient=patient, site=site, currency="EUR", changed_by=user
        )
        InvoiceLine.objects.create(
            invoice=invoice, position=1, kind="treatment", description="Submental",
            quantity=Decimal("1"), unit_price=Decimal(price), tax_rate=Decimal(rate),
            discount=Decimal(discount), discount_reason="Loyalty" if discount != "0" else "",
        )  # fmt: skip
    return invoice


def _issue(org, user, invoice):
    with acting_for(org):
        return issuing.issue(user, invoice)


def test_numbers_are_consecutive_and_a_double_submit_gives_one(org, site, patient, reception):
    first, second = (_draft(org, site, patient, reception) for _ in range(2))
    assert _issue(org, reception, first).number == 1
    assert _issue(org, reception, first).number == 1
    assert _issue(org, reception, second).number == 2


def test_each_organization_counts_on_its_own(org, other_org, site, patient, reception, outsider):
    _issue(org, reception, _draft(org, site, patient, reception))
    with acting_for(other_org):
        assert not InvoiceCounter.objects.exists()


@pytest.mark.parametrize(
    ("include_tax", "price", "net", "tax", "gross"),
    [
        (False, "33.33", "33.33", "6.67", "40.00"),  # 6.666 rounds half up
        (True, "40.00", "33.33", "6.67", "40.00"),
        (False, "0.05", "0.05", "0.01", "0.06"),  # 0.01 exactly
        (True, "0.05", "0.04", "0.01", "0.05"),  # 0.041666 -> 0.04
    ],
)
def test_tax_is_rounded_per_line_to_the_cent(
    org, site, patient, owner, include_tax, price, net, tax, gross
):
    Organization.objects.filter(pk=org.pk).update(prices_include_tax=include_tax)
    owner.organization.refresh_from_db()
    issued = _issue(org, owner, _draft(org, site, patient, owner, price=price))
    assert (issued.total_net, issued.total_tax, issued.total_gross) == (
        Decimal(net),
        Decimal(tax),
        Decimal(gross),
    )


def test_a_failed_issue_gives_its_number_back(org, site, patient, owner):
    empty = _draft(org, site, patient, owner)
    with acting_for(org):
        InvoiceLine.objects.filter(invoice=empty).delete()
    with pytest.raises(issuing.IssueRefused):
        _issue(org, owner, empty)
    assert _issue(org, owner, _draft(org, site, patient, owner)).number == 1


@pytest.mark.parametrize("role", ["esthetician"])
def test_estheticians_do_not_issue(personas, org, site, patient, role):
    with pytest.raises(PermissionDenied):
        _issue(org, personas[role], _draft(org, site, patient, personas[role]))


@pytest.mark.django_db(transaction=True)
def test_two_issues_at_the_same_moment_get_consecutive_numbers(
    org, site, patient, owner, monkeypatch, tmp_path
):
    if in_memory_sqlite():
        rerun_on_a_file(
            tmp_path, "test_two_issues_at_the_same_moment_get_consecutive_numbers", __file__
        )
        return
    # Audit rows are append-only, even for the flush that ends a transactional test.
    monkeypatch.setattr(issuing, "record", lambda *_args, **_kwargs: None)
    try:
        _issue_at_once(org, site, patient, owner)
    finally:
        if connection.vendor == "sqlite":
            # This test's own database file: let the closing flush delete issued rows.
            with connection.cursor() as cursor:
                cursor.execute("DROP TRIGGER invoice_issued_no_delete")
                cursor.execute("DROP TRIGGER invoiceline_issued_no_delete")


def _issue_at_once(org, site, patient, owner):
    drafts = [_draft(org, site, patient, owner) for _ in range(4)]
    barrier = threading.Barrier(len(drafts))
    numbers, errors = [], []

    def run(invoice):
        try:
            barrier.wait()
            numbers.append(_issue(org, owner, invoice).number)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(numbers) == [1, 2, 3, 4]
