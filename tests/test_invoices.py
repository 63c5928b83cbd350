"""Invoices (issue 17): drafted from a signed session by the price list, issued into one
gapless sequence per organization, frozen by the database, corrected by credit notes,
to the cent with tax included or added, for the roles that bill and no one else."""

import html
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing import invoicing, prices
from mesoclinic.billing.models import Invoice, InvoiceLine
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import (
    client_for,
    in_memory_sqlite,
    make_lot,
    rerun_on_a_file,
    session_in_status,
)


def price_list(org, owner, submental="250.00", product=None, consultation="80.00"):
    with acting_for(org):
        return prices.save_version(
            owner,
            prices.NewPrices(
                currency="EUR",
                consultation=Decimal(consultation),
                numbing=None,
                areas={("submental", None): Decimal(submental)} if submental else {},
                products={"deoxycholic-10mg-2ml": Decimal(product)} if product else {},
                packages=[],
            ),
        )


@pytest.fixture
def signed(org, site, practitioner, patient, owner):
    lot = make_lot(org, site, owner)
    return session_in_status(org, patient, site, practitioner, lot, SessionStatus.SIGNED)


def draft(org, user, session):
    with acting_for(org):
        return invoicing.draft_for_session(user, session)


def issue(org, user, invoice):
    with acting_for(org):
        return invoicing.issue(user, invoice)


def lines_of(org, invoice):
    with acting_for(org):
        return list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))


def test_a_signed_session_is_drafted_from_the_price_list_by_area_and_vials(
    org, owner, reception, signed
):
    price_list(org, owner, product="95.50")
    drafted = draft(org, reception, signed)
    lines = lines_of(org, drafted.invoice)
    assert [(line.kind, line.description, line.quantity, line.unit_price) for line in lines] == [
        ("treatment", "Mesotherapy, Submental (under the chin)", Decimal(1), Decimal("250.00")),
        ("product", "Treatment product, per vial", Decimal(1), Decimal("95.50")),
    ]
    assert "10 mg" not in " ".join(line.description for line in lines)
    again = draft(org, reception, signed)
    assert again.invoice.pk == drafted.invoice.pk and not again.made_now


def test_what_has_no_price_is_said_not_invented(org, owner, reception, signed):
    price_list(org, owner, submental=None)
    drafted = draft(org, reception, signed)
    assert lines_of(org, drafted.invoice) == []
    assert drafted.unpriced == ["Submental (under the chin) (treatment)"]


def test_without_a_price_list_or_before_signing_there_is_no_draft(
    org, owner, reception, site, practitioner, patient, signed
):
    with pytest.raises(invoicing.InvoiceRefused, match="no price list"):
        draft(org, reception, signed)
    lot = make_lot(org, site, owner, number="DX-2402")
    open_session = session_in_status(
        org, patient, site, practitioner, lot, SessionStatus.IN_PROGRESS
    )
    price_list(org, owner)
    with pytest.raises(invoicing.InvoiceRefused, match="once it is signed"):
        draft(org, reception, open_session)


@pytest.mark.parametrize(
    "included,net,tax,gross",
    [(False, "250.00", "50.00", "300.00"), (True, "208.33", "41.67", "250.00")],
)
def test_totals_to_the_cent_with_tax_added_or_included(
    org, owner, reception, signed, included, net, tax, gross
):
    type(org).objects.filter(pk=org.pk).update(tax_rate=Decimal("20"), prices_include_tax=included)
    org.refresh_from_db()
    price_list(org, owner)
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    assert (invoice.total_net, invoice.total_tax, invoice.total_gross) == (
        Decimal(net),
        Decimal(tax),
        Decimal(gross),
    )


def test_a_discount_needs_a_reason_and_rounds_per_line(org, owner, reception, patient, site):
    with acting_for(org):
        invoice = invoicing.draft_for_patient(reception, patient, site)
        with pytest.raises(invoicing.InvoiceRefused, match="Say why"):
            invoicing.add_line(
                reception, invoice, kind="consultation", description="Consultation",
                quantity=Decimal(1), unit_price=Decimal("80"), discount=Decimal("10"),
            )  # fmt: skip
        line = invoicing.add_line(
            reception, invoice, kind="other", description="Aftercare cream",
            quantity=Decimal(3), unit_price=Decimal("3.335"), discount=Decimal("1"),
            discount_reason="Loyal patient",
        )  # fmt: skip
    assert line.gross == Decimal("9.01")  # 3 x 3.34 - 1, rounded half up once per line


def test_issued_numbers_follow_each_other_and_a_double_issue_keeps_its_number(
    org, owner, reception, patient, site
):
    numbers = []
    for _ in range(3):
        with acting_for(org):
            invoice = invoicing.draft_for_patient(reception, patient, site)
            invoicing.add_line(reception, invoice, kind="consultation", description="Consultation",
                               quantity=Decimal(1), unit_price=Decimal("80"))  # fmt: skip
        numbers.append(issue(org, reception, invoice).number)
        assert issue(org, reception, invoice).number == numbers[-1]
    assert numbers == [1, 2, 3]


def test_a_failed_issue_gives_its_number_back(org, owner, reception, patient, site):
    with acting_for(org):
        empty = invoicing.draft_for_patient(reception, patient, site)
        with pytest.raises(invoicing.InvoiceRefused, match="at least one line"):
            invoicing.issue(reception, empty)
        invoicing.add_line(reception, empty, kind="deposit", description="Deposit",
                           quantity=Decimal(1), unit_price=Decimal("100"))  # fmt: skip
    assert issue(org, reception, empty).number == 1


def test_the_database_refuses_to_change_an_issued_invoice_or_its_lines(
    org, owner, reception, signed
):
    price_list(org, owner)
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    with acting_for(org):
        for statement in (
            lambda: Invoice.objects.filter(pk=invoice.pk).update(total_gross=Decimal("1")),
            lambda: InvoiceLine.objects.filter(invoice=invoice).update(unit_price=Decimal("1")),
            lambda: InvoiceLine.objects.filter(invoice=invoice).delete(),
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                statement()
        with pytest.raises(invoicing.InvoiceRefused, match="credit note"):
            invoicing.add_line(reception, invoice, kind="other", description="x",
                               quantity=Decimal(1), unit_price=Decimal(1))  # fmt: skip


def test_a_credit_note_repeats_the_lines_and_takes_the_next_number(org, owner, reception, signed):
    price_list(org, owner)
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    with acting_for(org):
        with pytest.raises(invoicing.InvoiceRefused, match="Say why"):
            invoicing.credit(reception, invoice, "")
        note = invoicing.credit(reception, invoice, "Charged twice for the chin")
    assert note.kind == "credit_note" and note.number == invoice.number + 1
    assert note.total_gross == invoice.total_gross and note.credits_id == invoice.pk


@pytest.fixture
def flushable_invoices(monkeypatch):
    # Audit rows and issued invoices refuse DELETE, even the flush that ends a transactional
    # test on a SQLite file (PostgreSQL truncates): the rerun's throwaway file drops them.
    monkeypatch.setattr(AuditEvent.objects, "create", lambda **_fields: None)
    yield
    if connection.vendor == "sqlite" and not in_memory_sqlite():
        with connection.cursor() as cursor:
            for name in ("invoice_issued_no_delete", "invoiceline_issued_no_delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@pytest.mark.django_db(transaction=True)
def test_two_invoices_issued_at_once_get_consecutive_numbers(
    tmp_path, org, owner, reception, patient, site, flushable_invoices
):
    if in_memory_sqlite():  # threads need a database file: run this test again on one
        rerun_on_a_file(
            tmp_path, "test_two_invoices_issued_at_once_get_consecutive_numbers", __file__
        )
        return
    drafts = []
    for _ in range(4):
        with acting_for(org):
            invoice = invoicing.draft_for_patient(reception, patient, site)
            invoicing.add_line(reception, invoice, kind="consultation", description="Consultation",
                               quantity=Decimal(1), unit_price=Decimal("80"))  # fmt: skip
        drafts.append(invoice)
    barrier = threading.Barrier(len(drafts))
    got: list[object] = []

    def run(invoice):
        try:
            with acting_for(org):
                barrier.wait(timeout=20)
                got.append(invoicing.issue(reception, invoice).number)
        except Exception as error:  # surfaced below
            got.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == [1, 2, 3, 4], got


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,status", [("owner", 200), ("practitioner", 200), ("reception", 200), ("esthetician", 403)]
)
def test_the_invoice_pages_are_for_those_who_bill(personas, role, status, org, signed):
    price_list(org, personas["owner"])
    invoice = draft(org, personas["owner"], signed).invoice
    client = client_for(personas[role])
    assert client.get(reverse("invoice_list")).status_code == status
    assert client.get(reverse("invoice_detail", args=[invoice.public_id])).status_code == status


def test_another_clinic_gets_404_and_a_portal_patient_too(
    outsider, org, owner, signed, reception, patient
):
    price_list(org, owner)
    invoice = draft(org, owner, signed).invoice
    client = client_for(outsider)
    assert client.get(reverse("invoice_detail", args=[invoice.public_id])).status_code == 404
    assert client.post(reverse("session_invoice", args=[signed.public_id])).status_code == 404
    assert invoice.patient.last_name not in client.get(reverse("invoice_list")).content.decode()
    from tests.test_portal import portal_user

    me = client_for(portal_user(org, reception, patient))
    assert me.get(reverse("invoice_detail", args=[invoice.public_id])).status_code == 404


def test_reception_invoices_a_session_issues_it_and_prints_it(org, owner, reception, signed):
    price_list(org, owner)
    client = client_for(reception)
    made = client.post(reverse("session_invoice", args=[signed.public_id]))
    with acting_for(org):
        invoice = Invoice.objects.get()
    assert made["Location"] == reverse("invoice_detail", args=[invoice.public_id])
    page = client.get(made["Location"]).content.decode()
    assert "Draft invoice" in page and "250.00" in page and "Issue invoice" in page
    client.post(reverse("invoice_issue", args=[invoice.public_id]))
    page = client.get(made["Location"]).content.decode()
    assert "Invoice 1" in page and "Issue invoice" not in page
    pdf = client.get(reverse("invoice_pdf", args=[invoice.public_id]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(object_id=str(invoice.public_id), action="export").count() == 1


def test_a_credit_note_of_one_line_credits_that_line_only(org, owner, reception, signed):
    price_list(org, owner, product="95.50")
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    product = lines_of(org, invoice)[1]
    response = client_for(reception).post(
        reverse("invoice_credit", args=[invoice.public_id]),
        {"reason": "The vial was not opened", "line": [str(product.pk)]},
    )
    with acting_for(org):
        note = Invoice.objects.get(kind="credit_note")
    assert response["Location"] == reverse("invoice_detail", args=[note.public_id])
    assert note.total_gross == Decimal("95.50") and note.number == invoice.number + 1


def test_a_line_is_credited_once_however_often_the_credit_is_sent(org, owner, reception, signed):
    price_list(org, owner, product="95.50")
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    product = lines_of(org, invoice)[1]
    client, url = client_for(reception), reverse("invoice_credit", args=[invoice.public_id])
    form = {"reason": "The vial was not opened", "line": [str(product.pk)]}
    assert client.post(url, form).status_code == 302
    again = client.post(url, form)
    assert again.status_code == 400
    assert "already credited by Credit note" in html.unescape(again.content.decode())
    everything = client.post(url, {"reason": "Cancelled"})  # all lines: the product again
    assert everything.status_code == 400
    with acting_for(org):
        assert Invoice.objects.filter(kind="credit_note").count() == 1
        rest = [line.pk for line in lines_of(org, invoice) if line.pk != product.pk]
    # What is not yet credited still can be, once.
    assert (
        client.post(url, {"reason": "Cancelled", "line": [str(pk) for pk in rest]}).status_code
        == 302
    )
    assert client.post(url, {"reason": "Cancelled"}).status_code == 400
    with acting_for(org):
        notes = Invoice.objects.filter(kind="credit_note")
        assert notes.count() == 2
        assert sum(n.total_gross for n in notes) == invoice.total_gross


def test_no_more_is_credited_than_was_invoiced(org, owner, reception, signed):
    """A goodwill credit note with lines of its own (the demo writes one) counts too."""
    price_list(org, owner, product="95.50")  # 250.00 + 95.50 = 345.50
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    treatment, product = lines_of(org, invoice)
    with acting_for(org):
        goodwill = Invoice.objects.create(
            patient_id=invoice.patient_id, site_id=invoice.site_id, kind="credit_note",
            currency=invoice.currency, credits=invoice, note="Goodwill", changed_by=owner,
        )  # fmt: skip
        invoicing._add(goodwill, "discount", "Goodwill credit", Decimal(1), Decimal("200.00"))
        invoicing.issue(owner, goodwill)
        with pytest.raises(invoicing.InvoiceRefused, match="at most 145.50 is left"):
            invoicing.credit(reception, invoice, "Cancelled")
        note = invoicing.credit(reception, invoice, "Vial unused", [product.pk])
        assert note.total_gross == Decimal("95.50")
        with pytest.raises(invoicing.InvoiceRefused, match="at most 50.00 is left"):
            invoicing.credit(reception, invoice, "Cancelled", [treatment.pk])
        assert Invoice.objects.filter(kind="credit_note").count() == 2


def test_a_bad_line_keeps_what_was_typed_and_says_why(org, reception, patient, site):
    with acting_for(org):
        invoice = invoicing.draft_for_patient(reception, patient, site)
    response = client_for(reception).post(
        reverse("invoice_line_add", args=[invoice.public_id]),
        {"kind": "other", "description": "Cream", "quantity": "1", "unit_price": "20",
         "discount": "5", "discount_reason": ""},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400 and "Say why the discount is given" in page
    assert 'value="Cream"' in page


@pytest.mark.parametrize("count", [2, 30])
def test_the_invoice_list_costs_the_same_queries_whatever_the_count(
    count, org, reception, patient, site, django_assert_max_num_queries
):
    with acting_for(org):
        for _ in range(count):
            invoicing.draft_for_patient(reception, patient, site)
    client = client_for(reception)
    client.get(reverse("home"))
    with django_assert_max_num_queries(8):
        page = client.get(reverse("invoice_list")).content.decode()
    assert page.count("Draft invoice") == count


def test_every_read_is_audited(org, owner, reception, signed):
    price_list(org, owner)
    invoice = draft(org, owner, signed).invoice
    client_for(reception).get(reverse("invoice_detail", args=[invoice.public_id]))
    assert (
        AuditEvent.objects.filter(
            object_id=str(invoice.public_id), action="view", actor=reception
        ).count()
        == 1
    )
    assert uuid.UUID(str(invoice.public_id))
