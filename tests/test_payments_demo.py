"""The demo clinic's money (issue 17): invoices for the signed sessions, payments by every
method, a refund, a credit note and a package partly used; loading it twice changes
nothing."""

from decimal import Decimal

from mesoclinic.billing.models import Invoice, QuoteAcceptance
from mesoclinic.payments import demo, invoices, ledger
from mesoclinic.payments.models import Method, PackageSale, Payment, Refund
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import make_lot, session_in_status
from tests.test_packages import signed_session  # noqa: F401 - fixture


def test_the_demo_money_covers_every_method_and_loads_once(
    org, site, owner, reception, practitioner, patient, signed_session, make_patient
):
    signed_session()
    lot = make_lot(org, site, practitioner, number="DEMO-1")
    for i in range(9):
        other = make_patient(first_name=f"P{i}", email=f"p{i}@example.com")
        session_in_status(org, other, site, practitioner, lot, SessionStatus.SIGNED)
    with acting_for(org):
        counts = demo.create_money(org)
        assert demo.create_money(org) == {}  # a second load changes nothing
        methods = set(Payment.objects.values_list("method", flat=True))
        assert methods == {m.value for m in Method}
        refund = Refund.objects.select_related("payment__invoice").get()
        note = Invoice.objects.get(kind="credit_note", status="issued")
        # the goodwill credit went back to the patient who had paid in full: nothing owed
        assert refund.payment.invoice == note.credits and refund.amount == note.total_gross
        assert invoices.due_now(note.credits).state == "paid"
        assert QuoteAcceptance.objects.exists()
        package = PackageSale.objects.get()
        assert ledger.sessions_left(package) == 2
        numbers = sorted(Invoice.objects.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))  # one gapless run
        assert ledger.balance(patient).owed >= Decimal("0.00")
    assert counts["invoices"] == 10 and counts["packages"] == 1
