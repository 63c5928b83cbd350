"""The demo clinic's money (issue 17): a price list with course packages, accepted quotes,
an invoice for each of the latest signed sessions, payments by every method (some in
part, some not yet), a refund, a credit note and a package partly used.

Written as the demo's past is: rows with their own dates, straight to the tables (the
services stamp "now"), issued invoices written as drafts with their lines and then
issued with the next numbers of the clinic's one sequence. Call inside
`acting_for(org)`; it does nothing when the clinic already has payments, so loading the
demo twice changes nothing.
"""

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import F

from mesoclinic import rules
from mesoclinic.accounts.models import Organization, User
from mesoclinic.accounts.roles import Role
from mesoclinic.billing import prices
from mesoclinic.billing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    QuoteAcceptance,
)
from mesoclinic.payments import packages
from mesoclinic.payments.models import Method, PackageDraw, PackageSale, Payment, Refund
from mesoclinic.payments.money import cents
from mesoclinic.plans.models import PlanProtocol
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession

INVOICED_SESSIONS = 30
AREA_PRICE = Decimal("180.00")
CREDIT = Decimal("40.00")
METHODS = [Method.CARD, Method.CASH, Method.BANK_TRANSFER, Method.CARD, Method.VOUCHER]


def create_money(org: Organization, seed: int = 2026) -> dict[str, int]:
    if Payment.objects.exists():
        return {}
    rng = random.Random(f"{seed}:money")
    owner = User.in_org.get(role=Role.OWNER)
    desk = User.in_org.get(role=Role.RECEPTION)
    book = prices.current() or _price_list(owner, org)
    sessions = list(
        TreatmentSession.objects.filter(status=SessionStatus.SIGNED)
        .select_related("patient", "site")
        .order_by("-signed_at")[:INVOICED_SESSIONS]
    )
    quotes = _quotes(desk, book, sessions)
    sale = _package(desk, book)
    drawn = dict(PackageDraw.objects.values_list("session_id", "package_id"))
    bills = [_invoice(desk, session, book) for session in reversed(sessions)]
    paid = [
        _from_package(desk, bill, sale)
        if bill.session_id in drawn and sale
        else _pay(desk, bill, i, rng)
        for i, bill in enumerate(bills)
    ]
    credits = _credit_note(owner, bills)
    # The credit note's amount goes back to the patient who had paid the invoice in full.
    refunds = _refund(desk, [p for p in paid if p is not None and p.invoice in credits])
    return {
        "invoices": len(bills),
        "payments": Payment.objects.count(),
        "refunds": refunds,
        "credit_notes": len(credits),
        "quotes": quotes,
        "packages": 0 if sale is None else 1,
    }


def _price_list(owner: User, org: Organization) -> prices.PriceBook:
    """Areas at one price per session, the two protocols most used as courses of three."""
    areas = set(SessionArea.objects.values_list("area", flat=True).distinct())
    used = PlanProtocol.objects.values_list("protocol", flat=True).order_by("protocol").distinct()
    ref = rules.load_reference()
    courses = [
        prices.Package(
            f"{ref.protocols[slug].name if slug in ref.protocols else slug}: course of 3",
            slug,
            3,
            Decimal("450.00"),
        )
        for slug in list(used)[:2]
    ]
    prices.save_version(
        owner,
        prices.NewPrices(
            currency=org.currency,
            consultation=Decimal("60.00"),
            numbing=Decimal("15.00"),
            areas={(slug, None): AREA_PRICE for slug in sorted(areas)},
            products={},
            packages=courses,
        ),
    )
    book = prices.current()
    assert book is not None
    return book


def _quotes(desk: User, book: prices.PriceBook, sessions: Sequence[TreatmentSession]) -> int:
    plans = {s.plan_id: s for s in sessions if s.plan_id is not None}
    for session in list(plans.values())[:6]:
        assert session.plan_id is not None
        QuoteAcceptance.objects.create(
            patient=session.patient,
            plan_id=session.plan_id,
            plan_version_id=session.plan_version_id,
            price_list=book.price_list,
            currency=book.currency,
            amount_low=Decimal("540.00"),
            amount_high=Decimal("720.00"),
            accepted_at=session.started_at - dt.timedelta(days=14),
            accepted_by=desk,
            at_desk=True,
            changed_by=desk,
        )
    return min(len(plans), 6)


def _next_number() -> int:
    counter, _ = InvoiceCounter.objects.get_or_create()
    InvoiceCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
    counter.refresh_from_db()
    return counter.last_number


def _issue(doc: Invoice, lines: Sequence[tuple[str, str, Decimal]], user: User, at: Any) -> Invoice:
    """Write `lines` [(kind, description, net)] on the draft `doc`, then issue it."""
    total = Decimal("0.00")
    for position, (kind, text, net) in enumerate(lines, start=1):
        InvoiceLine.objects.create(
            invoice=doc,
            position=position,
            kind=kind,
            description=text,
            unit_price=net,
            net=net,
            gross=net,
        )
        total += net
    Invoice.objects.filter(pk=doc.pk).update(
        total_net=total, total_gross=total, changed_by=user, changed_at=at
    )
    Invoice.objects.filter(pk=doc.pk).update(
        status=InvoiceStatus.ISSUED, number=_next_number(), issued_at=at, issued_by=user
    )
    doc.refresh_from_db()
    return doc


def _invoice(desk: User, session: TreatmentSession, book: prices.PriceBook) -> Invoice:
    ref = rules.load_reference()
    areas = sorted(set(SessionArea.objects.filter(session=session).values_list("area", flat=True)))
    lines = [
        (
            LineKind.TREATMENT,
            ref.areas[a].name if a in ref.areas else a,
            book.area(a) or AREA_PRICE,
        )
        for a in areas
    ] or [(LineKind.TREATMENT, "Treatment session", AREA_PRICE)]
    doc = Invoice.objects.create(
        patient=session.patient,
        site=session.site,
        currency=book.currency,
        session=session,
        plan_id=session.plan_id,
        changed_by=desk,
    )
    assert session.signed_at is not None
    return _issue(doc, lines, desk, session.signed_at + dt.timedelta(minutes=5))


def _pay(desk: User, bill: Invoice, index: int, rng: random.Random) -> Payment | None:
    """Most invoices paid in full at the desk, every seventh in part, every ninth not yet."""
    if index % 9 == 4:
        return None
    method = METHODS[index % len(METHODS)]
    amount = bill.total_gross if index % 7 != 3 else cents(bill.total_gross / 2)
    reference = {
        Method.CARD: f"TID {rng.randrange(10000, 99999)} AUTH {rng.randrange(100000, 999999)}",
        Method.BANK_TRANSFER: f"BANK-{rng.randrange(100000, 999999)}",
        Method.VOUCHER: f"GIFT-{rng.randrange(1000, 9999)}",
    }.get(method, "")
    assert bill.issued_at is not None
    return Payment.objects.create(
        patient=bill.patient,
        site=bill.site,
        invoice=bill,
        method=method,
        amount=amount,
        currency=bill.currency,
        reference=reference,
        taken_by=desk,
        taken_at=bill.issued_at + dt.timedelta(minutes=3),
        submission_key=uuid.uuid4(),
        changed_by=desk,
    )


def _refund(desk: User, paid: Sequence[Payment]) -> int:
    full = [p for p in paid if p.invoice is not None and p.amount == p.invoice.total_gross]
    if not full:
        return 0
    payment = full[0]
    Refund.objects.create(
        payment=payment,
        site=payment.site,
        method=payment.method if payment.method != Method.VOUCHER else Method.CASH,
        amount=CREDIT,
        reason="Goodwill credit: the session ran late",
        refunded_by=desk,
        refunded_at=payment.taken_at + dt.timedelta(days=2, minutes=5),
        submission_key=uuid.uuid4(),
        changed_by=desk,
    )
    return 1


def _credit_note(owner: User, bills: Sequence[Invoice]) -> list[Invoice]:
    """A goodwill credit on a fully paid invoice (every seventh is paid in part and
    every ninth not yet, so the middle ones are paid in full)."""
    if not bills:
        return []
    credited = bills[len(bills) // 2]
    assert credited.issued_at is not None
    note = Invoice.objects.create(
        patient=credited.patient,
        site=credited.site,
        kind=InvoiceKind.CREDIT_NOTE,
        currency=credited.currency,
        credits=credited,
        note="Goodwill: the session ran late",
        changed_by=owner,
    )
    line = [(LineKind.DISCOUNT, "Goodwill credit", CREDIT)]
    _issue(note, line, owner, credited.issued_at + dt.timedelta(days=2))
    return [credited]


def _package(desk: User, book: prices.PriceBook) -> PackageSale | None:
    """A course package sold before a patient's course, two of its three sessions used."""
    for course in book.packages:
        version_ids = PlanProtocol.objects.filter(protocol=course.protocol).values("version")
        signed = list(
            TreatmentSession.objects.filter(
                status=SessionStatus.SIGNED, plan_version__in=version_ids
            )
            .select_related("patient", "site")
            .order_by("patient_id", "signed_at")[:2]
        )
        if not signed or PackageSale.objects.filter(patient=signed[0].patient).exists():
            continue
        first = signed[0]
        sold_at = first.started_at - dt.timedelta(days=1)
        draft = Invoice.objects.create(
            patient=first.patient, site=first.site, currency=book.currency, changed_by=desk
        )
        bill = _issue(draft, [(LineKind.PACKAGE, course.name, course.amount)], desk, sold_at)
        sale = PackageSale.objects.create(
            invoice=bill,
            patient=first.patient,
            site=first.site,
            name=course.name,
            protocol=course.protocol,
            sessions=course.sessions,
            price=course.amount,
            currency=book.currency,
            sold_by=desk,
            sold_at=sold_at,
            submission_key=uuid.uuid4(),
            changed_by=desk,
        )
        for session in signed:
            if session.patient_id == first.patient_id and packages.protocols_of(session):
                assert session.signed_at is not None
                PackageDraw.objects.get_or_create(
                    session=session, defaults={"package": sale, "drawn_at": session.signed_at}
                )
        Payment.objects.create(
            patient=first.patient,
            site=first.site,
            invoice=bill,
            method=Method.CARD,
            amount=course.amount,
            currency=book.currency,
            reference="TID 40021 AUTH 773120",
            taken_by=desk,
            taken_at=sale.sold_at,
            submission_key=uuid.uuid4(),
            changed_by=desk,
        )
        return sale
    return None


def _from_package(desk: User, bill: Invoice, sale: PackageSale) -> Payment:
    """A session the package covers is paid from the package: its share of the price."""
    assert bill.issued_at is not None
    return Payment.objects.create(
        patient=bill.patient,
        site=bill.site,
        invoice=bill,
        package=sale,
        method=Method.PACKAGE_CREDIT,
        amount=min(bill.total_gross, sale.session_price),
        currency=bill.currency,
        taken_by=desk,
        taken_at=bill.issued_at + dt.timedelta(minutes=1),
        submission_key=uuid.uuid4(),
        changed_by=desk,
    )
