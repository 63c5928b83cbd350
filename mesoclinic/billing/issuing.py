"""Issuing a draft invoice or credit note: its lines' amounts, its totals and its number,
in one transaction.

The number comes from the organization's `InvoiceCounter` row, read with
`select_for_update` (a row lock on PostgreSQL; on SQLite the IMMEDIATE transaction's
write lock serialises issuers), so two documents issued at the same moment get
consecutive numbers and a failed issue rolls its number back with it: no gap, no twice.
Issuing is idempotent: the draft is re-read under its own lock, and a second submit of
an issued document returns it unchanged.
"""

from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import record
from mesoclinic.audit.models import Action
from mesoclinic.billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceStatus
from mesoclinic.billing.money import line_amounts


class IssueRefused(ValueError):
    """The draft cannot be issued; the message says why, for the person issuing."""


def next_number(organization_id: int) -> int:
    """The next number of the organization's one sequence; call inside a transaction."""
    InvoiceCounter.all_orgs.get_or_create(organization_id=organization_id)
    counter = InvoiceCounter.all_orgs.select_for_update().get(organization_id=organization_id)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def issue(user: User, invoice: Invoice) -> Invoice:
    roles.check(user, roles.BILLING, "Only the owner, practitioners and reception issue invoices.")
    with transaction.atomic():
        draft = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if draft.status == InvoiceStatus.ISSUED:
            return draft
        lines = list(InvoiceLine.objects.filter(invoice=draft))
        if not lines:
            raise IssueRefused("Add at least one line before issuing.")
        include_tax = user.organization.prices_include_tax
        for line in lines:
            amounts = line_amounts(
                line.quantity, line.unit_price, line.tax_rate,
                discount=line.discount, prices_include_tax=include_tax,
            )  # fmt: skip
            line.net, line.tax, line.gross = amounts.net, amounts.tax, amounts.gross
        InvoiceLine.objects.bulk_update(lines, ["net", "tax", "gross"])
        draft.total_net = sum((x.net for x in lines), draft.total_net * 0)
        draft.total_tax = sum((x.tax for x in lines), draft.total_tax * 0)
        draft.total_gross = sum((x.gross for x in lines), draft.total_gross * 0)
        draft.number = next_number(draft.organization_id)
        draft.status, draft.issued_at, draft.issued_by = InvoiceStatus.ISSUED, timezone.now(), user
        draft.changed_by = user
        draft.save()
        record(user, Action.CHANGE, draft, fields=["status", "number"], detail="issued")
    return draft
