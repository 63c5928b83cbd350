"""Invoices: drafted from a signed session or by hand, issued into the organization's one
gapless sequence, corrected by credit notes. Every act is audited and takes the actor.

- A session's draft has a line per charted area priced by the price list in force (the
  area's per-session price), a line per product billed by use (vials opened, the same
  count the sign-off took from stock) and numbing where the price list charges it. What
  has no price yet is listed, never invented: the draft may get a line by hand.
- Lines name the treatment and the area, never a dose, a product's strength or a note:
  reception issues and reads invoices.
- Issuing takes the next number inside the issuing transaction (the counter row is
  locked on PostgreSQL; SQLite's write lock serialises it), so two issues at once get
  consecutive numbers and a failed issue gives its number back. An issued invoice or
  credit note and its lines are refused UPDATE and DELETE by the database.
- A course package sold at the desk is invoiced and issued in the sale
  (`invoice_package`); a deposit or a consultation is a draft by hand with its line.
- A credit note copies the lines of the invoice it corrects (all of them, or the ones
  chosen), carries a reason, and is issued at once with the next number.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import record
from mesoclinic.audit.models import Action
from mesoclinic.billing import issuing, prices
from mesoclinic.billing.models import (
    ONE_INVOICE_PER_SESSION,
    ZERO,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from mesoclinic.billing.money import cents, line_amounts
from mesoclinic.patients.models import Patient
from mesoclinic.treatments.charting import vials_opened
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession

# Lines a person adds to a draft by hand (a session's treatment lines come from it).
MANUAL_KINDS = (LineKind.CONSULTATION, LineKind.DEPOSIT, LineKind.OTHER, LineKind.NUMBING)


class InvoiceRefused(Exception):
    """Refused, with why; `conflict` when the invoice has moved on (issued, a line added
    meanwhile, a line already credited) rather than the request being wrong."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message, self.field, self.conflict = message, field, conflict


@dataclass(frozen=True)
class Drafted:
    invoice: Invoice
    unpriced: list[str]  # what the price list has no price for, as people read it
    made_now: bool


def _check(user: User) -> None:
    roles.check(user, roles.BILLING, "Your role does not draft or issue invoices.")


def _add(invoice: Invoice, kind: str, description: str, quantity: Decimal, unit: Decimal,
         *, discount: Decimal = ZERO, discount_reason: str = "") -> InvoiceLine:  # fmt: skip
    org = invoice.organization
    amounts = line_amounts(
        quantity, unit, org.tax_rate, discount=discount, prices_include_tax=org.prices_include_tax
    )
    last = InvoiceLine.objects.filter(invoice=invoice).aggregate(p=Max("position"))["p"] or 0
    return InvoiceLine.objects.create(
        organization_id=invoice.organization_id,
        invoice=invoice,
        position=last + 1,
        kind=kind,
        description=description[:200],
        quantity=quantity,
        unit_price=cents(unit),
        tax_rate=org.tax_rate,
        discount=cents(discount),
        discount_reason=discount_reason[:200],
        net=amounts.net,
        tax=amounts.tax,
        gross=amounts.gross,
    )


def _session_lines(
    invoice: Invoice, session: TreatmentSession, book: prices.PriceBook
) -> list[str]:
    """Add the session's priced lines; what had no price, in people's words."""
    ref = rules.load_reference()
    rows = list(SessionArea.objects.filter(session=session).select_related("lot"))
    unpriced: list[str] = []
    for slug in dict.fromkeys(row.area for row in rows):
        name = ref.areas[slug].name if slug in ref.areas else slug
        price = book.area(slug)
        if price is None:
            unpriced.append(f"{name} (treatment)")
            continue
        _add(invoice, LineKind.TREATMENT, f"Mesotherapy, {name}", Decimal(1), price)
    by_product: dict[str, int] = {}
    lots = {row.lot_id: row.lot for row in rows}
    for lot_id, vials in vials_opened(rows).items():
        product = lots[lot_id].product
        by_product[product] = by_product.get(product, 0) + vials
    for slug, vials in by_product.items():
        price = book.product(slug)
        if price is not None:  # a product with no price is included in the area's price
            # The vials, not the product's name: names carry strengths, and reception reads it.
            _add(invoice, LineKind.PRODUCT, "Treatment product, per vial", Decimal(vials), price)
    if session.precheck.get("numbing") and book.price_list.numbing is not None:
        _add(invoice, LineKind.NUMBING, "Numbing", Decimal(1), book.price_list.numbing)
    return unpriced


def draft_for_session(user: User, session: TreatmentSession) -> Drafted:
    """The session's invoice: drafted now from the price list, or the one it already has."""
    _check(user)
    if existing := Invoice.objects.filter(session=session, kind=InvoiceKind.INVOICE).first():
        return Drafted(existing, [], False)
    if session.status != SessionStatus.SIGNED:
        raise InvoiceRefused("A session is invoiced once it is signed.")
    book = prices.current()
    if book is None:
        raise InvoiceRefused("The clinic has no price list yet: the owner sets it first.")
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                patient_id=session.patient_id,
                site_id=session.site_id,
                currency=book.currency,
                session=session,
                plan_id=session.plan_id,
                price_list=book.price_list,
                created_by=user,
                changed_by=user,
            )
            unpriced = _session_lines(invoice, session, book)
            record(user, Action.CREATE, invoice, detail=f"drafted from session {session.public_id}")
    except IntegrityError as error:
        if ONE_INVOICE_PER_SESSION not in str(error):
            raise
        # A second click drafted it a moment ago: that one is the session's invoice.
        return Drafted(Invoice.objects.get(session=session, kind=InvoiceKind.INVOICE), [], False)
    return Drafted(invoice, unpriced, True)


def _empty_draft(user: User, patient: Patient, site: Site) -> Invoice:
    """A draft in the current price list's currency (the clinic's without one)."""
    book = prices.current()
    return Invoice.objects.create(
        patient=patient,
        site=site,
        currency=book.currency if book else patient.organization.currency,
        price_list=book.price_list if book else None,
        created_by=user,
        changed_by=user,
    )


def draft_for_patient(user: User, patient: Patient, site: Site) -> Invoice:
    """An empty draft for a consultation, a deposit or anything else added by hand."""
    _check(user)
    with transaction.atomic():
        invoice = _empty_draft(user, patient, site)
        record(user, Action.CREATE, invoice, detail="drafted by hand")
    return invoice


def invoice_package(
    user: User, patient: Patient, site: Site, *, name: str, sessions: int, amount: Decimal
) -> Invoice:
    """The issued invoice for a course package sold at the desk: one package line at the
    price list's amount for the whole course, taxed like every line, numbered now so it is
    paid like any other invoice. Call it inside the sale's transaction: a sale that fails
    takes its invoice and its number back with it."""
    _check(user)
    with transaction.atomic():
        invoice = _empty_draft(user, patient, site)
        label = f"Course package: {name}, {sessions} session{'s' if sessions != 1 else ''}"
        _add(invoice, LineKind.PACKAGE, label, Decimal(1), amount)
        record(user, Action.CREATE, invoice, detail="drafted for a course package")
        return issue(user, invoice)


def _draft(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.DRAFT:
        raise InvoiceRefused(
            f"{locked.description} is issued: correct it with a credit note.", conflict=True
        )
    return locked


def add_line(
    user: User,
    invoice: Invoice,
    *,
    kind: str,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    discount: Decimal = ZERO,
    discount_reason: str = "",
    expected_lines: int | None = None,
) -> InvoiceLine:
    """A line added by hand to a draft (discounts need a reason and keep the line >= 0).
    With `expected_lines`, the count of lines the caller saw: a line added since (or this
    one sent twice) is refused on the field `line_count`, under the draft's lock."""
    _check(user)
    if kind not in [*MANUAL_KINDS, LineKind.TREATMENT, LineKind.PRODUCT]:
        raise InvoiceRefused("Choose what the line is for.", "kind")
    if quantity <= 0:
        raise InvoiceRefused("The quantity must be above zero.", "quantity")
    if unit_price < 0:
        raise InvoiceRefused("A price cannot be below zero.", "unit_price")
    if discount < 0 or discount > cents(quantity * unit_price):
        raise InvoiceRefused("A discount is between zero and the line's amount.", "discount")
    if discount > 0 and len(discount_reason.strip()) < 3:
        raise InvoiceRefused("Say why the discount is given.", "discount_reason")
    with transaction.atomic():
        locked = _draft(invoice)
        if expected_lines is not None:
            now = InvoiceLine.objects.filter(invoice=locked).count()
            if now != expected_lines:
                raise InvoiceRefused(
                    f"The draft has {now} line{'s' if now != 1 else ''} now, not "
                    f"{expected_lines}: a line was added meanwhile (or this one was sent "
                    "twice). Read it again.",
                    "line_count",
                    conflict=True,
                )
        line = _add(locked, kind, description.strip(), quantity, unit_price,
                    discount=discount, discount_reason=discount_reason.strip())  # fmt: skip
        record(user, Action.CHANGE, locked, fields=["lines"], detail=f"line added: {kind}")
    return line


def remove_line(user: User, invoice: Invoice, line: InvoiceLine) -> None:
    _check(user)
    with transaction.atomic():
        locked = _draft(invoice)
        InvoiceLine.objects.filter(pk=line.pk, invoice=locked).delete()
        record(user, Action.CHANGE, locked, fields=["lines"], detail="line removed")


def draft_totals(lines: list[InvoiceLine]) -> dict[str, Decimal]:
    """A draft's totals as issuing will store them: the sums of its rounded lines."""
    return {
        "net": cents(sum((line.net for line in lines), ZERO)),
        "tax": cents(sum((line.tax for line in lines), ZERO)),
        "gross": cents(sum((line.gross for line in lines), ZERO)),
    }


def issue(user: User, invoice: Invoice) -> Invoice:
    """Give the draft the next number and freeze it (`issuing.issue`); again: unchanged."""
    try:
        return issuing.issue(user, invoice)
    except issuing.IssueRefused as refusal:
        raise InvoiceRefused(str(refusal)) from None


def _line_key(line: InvoiceLine) -> tuple[Any, ...]:
    return (line.kind, line.description, line.quantity, line.unit_price, line.discount)


def _refuse_credited_twice(invoice: Invoice, chosen: list[InvoiceLine]) -> None:
    """No line is credited twice. A credit note's lines copy the invoice's, and identical
    lines are interchangeable: of lines alike, no more are credited than were invoiced."""
    notes = InvoiceLine.objects.filter(invoice__credits=invoice).select_related("invoice")
    credited = Counter(_line_key(line) for line in notes)
    invoiced = Counter(_line_key(line) for line in InvoiceLine.objects.filter(invoice=invoice))
    wanted = Counter(_line_key(line) for line in chosen)
    already = sum((line.gross for line in notes), ZERO)
    if already + sum((line.gross for line in chosen), ZERO) > invoice.total_gross:
        left = invoice.total_gross - already
        raise InvoiceRefused(
            f"Credit notes already credit {already:.2f} of {invoice.description}'s "
            f"{invoice.total_gross:.2f}: at most {left:.2f} is left to credit.",
            "lines",
            conflict=True,
        )
    for key, count in wanted.items():
        if credited[key] + count > invoiced[key]:
            by = sorted({line.invoice.description for line in notes if _line_key(line) == key})
            raise InvoiceRefused(
                f"{key[1]} is already credited by {', '.join(by)}: a line is credited once.",
                "lines",
                conflict=True,
            )


def credit(user: User, invoice: Invoice, reason: str, line_ids: list[int] | None = None) -> Invoice:
    """A credit note for the issued invoice (its chosen lines, default all), issued now."""
    _check(user)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.ISSUED:
        raise InvoiceRefused("Only an issued invoice is corrected by a credit note.")
    if len(reason.strip()) < 3:
        raise InvoiceRefused("Say why the invoice is corrected.", "reason")
    lines = list(InvoiceLine.objects.filter(invoice=invoice))
    if line_ids is not None:
        lines = [line for line in lines if line.pk in set(line_ids)]
    if not lines:
        raise InvoiceRefused("Choose at least one line to credit.", "lines")
    with transaction.atomic():
        # Credits of one invoice take turns, so a second click finds the first's note.
        Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
        _refuse_credited_twice(invoice, lines)
        note = Invoice.objects.create(
            patient_id=invoice.patient_id,
            site_id=invoice.site_id,
            kind=InvoiceKind.CREDIT_NOTE,
            currency=invoice.currency,
            credits=invoice,
            plan_id=invoice.plan_id,
            price_list_id=invoice.price_list_id,
            note=reason.strip()[:2000],
            created_by=user,
            changed_by=user,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                organization_id=note.organization_id, invoice=note, position=n,
                kind=line.kind, description=line.description, quantity=line.quantity,
                unit_price=line.unit_price, tax_rate=line.tax_rate, discount=line.discount,
                discount_reason=line.discount_reason, net=line.net, tax=line.tax,
                gross=line.gross,
            )
            for n, line in enumerate(lines, start=1)
        )  # fmt: skip
        record(user, Action.CREATE, note, detail=f"credit note for {invoice.description}")
        return issue(user, note)
