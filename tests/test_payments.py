"""Payments and refunds (issue 17): to the cent, recorded once however often a form is
sent, never more given back than was taken, never a card number kept, and never changed
or deleted once written, by the code or the database."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from mesoclinic.audit.models import AuditEvent
from mesoclinic.payments import ledger, services
from mesoclinic.payments.models import Method, Payment, Refund
from mesoclinic.tenancy import acting_for


def pay(org, user, patient, site, amount="50.00", method=Method.CASH, key=None, **extra):
    with acting_for(org):
        return services.take_payment(
            user,
            patient,
            site=site,
            method=method,
            amount=Decimal(amount),
            submission_key=key or uuid.uuid4(),
            **extra,
        ).row


def give_back(org, user, payment, site, amount, key=None, reason="Session cancelled"):
    with acting_for(org):
        return services.refund(
            user,
            payment,
            site=site,
            method=Method.CASH,
            amount=Decimal(amount),
            reason=reason,
            submission_key=key or uuid.uuid4(),
        ).row


def test_a_payment_is_kept_to_the_cent_with_who_took_it_where(org, site, reception, patient):
    payment = pay(org, reception, patient, site, "19.99")
    with acting_for(org):
        payment.refresh_from_db()
        assert payment.amount == Decimal("19.99")
        assert payment.currency == org.currency
        assert (payment.taken_by, payment.site) == (reception, site)
        assert (
            AuditEvent.objects.filter(
                action="create", object_type="payment", object_id=str(payment.public_id)
            ).count()
            == 1
        )


def test_a_payment_sent_twice_is_recorded_once(org, site, reception, patient):
    key = uuid.uuid4()
    first = pay(org, reception, patient, site, key=key)
    with acting_for(org):
        again = services.take_payment(
            reception, patient, site=site, method=Method.CASH, amount=Decimal("50.00"),
            submission_key=key,
        )  # fmt: skip
        assert not again.created and again.row == first
        assert Payment.objects.count() == 1
        assert ledger.balance(patient).paid == Decimal("50.00")


@pytest.mark.parametrize("amount", ["0", "-5", "10.005"])
def test_an_amount_must_be_above_zero_and_to_the_cent(org, site, reception, patient, amount):
    with pytest.raises(services.PaymentRefused) as refused:
        pay(org, reception, patient, site, amount)
    assert refused.value.field == "amount"


def test_a_card_payment_needs_the_terminal_reference(org, site, reception, patient):
    with pytest.raises(services.PaymentRefused, match="terminal reference") as refused:
        pay(org, reception, patient, site, method=Method.CARD, reference="  ")
    assert refused.value.field == "reference"


def test_a_card_number_is_never_kept(org, site, reception, patient):
    with pytest.raises(services.PaymentRefused, match="card number") as refused:
        pay(org, reception, patient, site, method=Method.CARD, reference="4111 1111 1111 1111")
    assert refused.value.field == "reference"
    with acting_for(org):
        assert not Payment.objects.exists()


def test_estheticians_do_not_take_payments_and_practitioners_do(
    org, site, practitioner, esthetician, patient
):
    with pytest.raises(PermissionDenied):
        pay(org, esthetician, patient, site)
    assert pay(org, practitioner, patient, site).taken_by == practitioner


def test_a_refund_gives_back_at_most_what_remains(org, site, reception, patient):
    payment = pay(org, reception, patient, site, "100.00")
    give_back(org, reception, payment, site, "60.00")
    with pytest.raises(services.PaymentRefused, match="40.00") as refused:
        give_back(org, reception, payment, site, "40.01")
    assert refused.value.field == "amount"
    give_back(org, reception, payment, site, "40.00")
    with acting_for(org):
        balance = ledger.balance(patient)
    assert (balance.paid, balance.refunded, balance.owed) == (
        Decimal("100.00"), Decimal("100.00"), Decimal("0.00"),
    )  # fmt: skip


def test_cents_add_up_exactly_in_refunds(org, site, reception, patient):
    payment = pay(org, reception, patient, site, "0.30")
    give_back(org, reception, payment, site, "0.10")
    give_back(org, reception, payment, site, "0.20")
    with acting_for(org):
        assert ledger.balance(patient).refunded == Decimal("0.30")


def test_a_refund_needs_a_reason(org, site, reception, patient):
    payment = pay(org, reception, patient, site)
    with pytest.raises(services.PaymentRefused) as refused:
        give_back(org, reception, payment, site, "1.00", reason=" ")
    assert refused.value.field == "reason"


def test_a_refund_sent_twice_is_recorded_once(org, site, reception, patient):
    payment = pay(org, reception, patient, site)
    key = uuid.uuid4()
    give_back(org, reception, payment, site, "30.00", key=key)
    give_back(org, reception, payment, site, "30.00", key=key)
    with acting_for(org):
        assert Refund.objects.count() == 1


def test_the_database_refuses_to_change_or_delete_a_payment(org, site, reception, patient):
    payment = pay(org, reception, patient, site)
    with acting_for(org):
        with pytest.raises(DatabaseError, match="kept as recorded"), transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(amount=Decimal("1.00"))
        with pytest.raises(DatabaseError, match="kept as recorded"), transaction.atomic():
            Payment.objects.filter(pk=payment.pk).delete()
        refund = give_back(org, reception, payment, site, "5.00")
        with pytest.raises(DatabaseError, match="kept as recorded"), transaction.atomic():
            Refund.objects.filter(pk=refund.pk).update(amount=Decimal("50.00"))


def test_the_database_refuses_a_refund_beyond_the_payment(org, site, reception, patient):
    payment = pay(org, reception, patient, site, "20.00")
    with acting_for(org), pytest.raises(DatabaseError, match="more than"), transaction.atomic():
        Refund.objects.create(
            payment=payment, site=site, method=Method.CASH, amount=Decimal("20.01"),
            reason="Too much", refunded_by=reception, refunded_at=payment.taken_at,
            submission_key=uuid.uuid4(),
        )  # fmt: skip


# Against issued invoices (billing's), and the balance they make


def issue(org, user, patient, site, gross, kind="invoice", credits=None, status="issued"):
    """A document written as a draft and then issued (billing's triggers refuse writing
    an issued one's lines)."""
    from django.utils import timezone

    from mesoclinic.billing.models import Invoice

    with acting_for(org):
        number = Invoice.objects.filter(number__isnull=False).count() + 1
        doc = Invoice.objects.create(
            patient=patient, site=site, kind=kind, currency=org.currency, credits=credits,
            total_net=Decimal(gross), total_gross=Decimal(gross), changed_by=user,
        )  # fmt: skip
        if status == "issued":
            Invoice.objects.filter(pk=doc.pk).update(
                status="issued", number=number, issued_at=timezone.now(), issued_by=user
            )
            doc.refresh_from_db()
        return doc


def test_an_invoice_is_unpaid_part_paid_then_paid(org, site, reception, patient):
    from mesoclinic.payments import invoices

    invoice = issue(org, reception, patient, site, "150.00")
    with acting_for(org):
        assert invoices.due_now(invoice).state == "unpaid"
    first = pay(org, reception, patient, site, "100.00", invoice=invoice)
    with acting_for(org):
        due = invoices.due_now(invoice)
        assert (due.state, due.due) == ("part-paid", Decimal("50.00"))
    pay(org, reception, patient, site, "50.00", invoice=invoice)
    with acting_for(org):
        assert invoices.due_now(invoice).state == "paid"
    give_back(org, reception, first, site, "10.00")
    with acting_for(org):
        due = invoices.due_now(invoice)
        assert (due.state, due.due) == ("part-paid", Decimal("10.00"))


def test_no_more_is_taken_against_an_invoice_than_is_due(org, site, reception, patient):
    invoice = issue(org, reception, patient, site, "40.00")
    with pytest.raises(services.PaymentRefused, match="USD 40.00 is due on Invoice 1") as refused:
        pay(org, reception, patient, site, "40.01", invoice=invoice)
    assert refused.value.field == "amount"


def test_another_patients_invoice_is_refused(org, site, reception, patient, make_patient):
    other = make_patient(first_name="Berta", email="berta@example.com")
    invoice = issue(org, reception, other, site, "40.00")
    with pytest.raises(services.PaymentRefused) as refused:
        pay(org, reception, patient, site, "10.00", invoice=invoice)
    assert refused.value.field == "invoice"


def test_the_balance_is_invoices_less_credit_notes_and_payments_plus_refunds(
    org, site, reception, patient
):
    invoice = issue(org, reception, patient, site, "200.00")
    issue(org, reception, patient, site, "30.00", kind="credit_note", credits=invoice)
    payment = pay(org, reception, patient, site, "150.00", invoice=invoice)
    give_back(org, reception, payment, site, "5.25")
    with acting_for(org):
        balance = ledger.balance(patient)
    assert balance.invoiced == Decimal("200.00")
    assert balance.credited == Decimal("30.00")
    assert balance.owed == Decimal("25.25")  # 200 - 30 - 150 + 5.25
