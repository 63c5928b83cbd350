"""Takings and revenue (issue 17), summed by the database.

- The end of a day at one site: what was taken by each method, what was given back,
  the invoices and credit notes issued, and the site's issued invoices still unpaid.
  The day is the site's own calendar day (its time zone), from midnight to midnight.
- A month's revenue by treatment, practitioner and site: the net and gross of the lines
  of the invoices issued that month, less those of the credit notes. Each site's month
  runs in the site's zone.

Each figure is one grouped query, whatever the number of rows; the lists of unpaid
invoices are one query with their sums correlated.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Abs, Coalesce

from mesoclinic.accounts.models import Site
from mesoclinic.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from mesoclinic.payments import invoices
from mesoclinic.payments.models import Method, Payment, Refund
from mesoclinic.payments.money import ZERO, cents
from mesoclinic.payments.sums import MONEY

UNPAID_SHOWN = 200


def day_bounds(site: Site, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight of `day` in the site's zone (a DST day is 23 or 25 hours)."""
    zone = site.zone
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def month_bounds(site: Site, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return day_bounds(site, first)[0], day_bounds(site, after)[0]


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    count: int
    amount: Decimal


def _by_method(rows: QuerySet[Any]) -> list[MethodTotal]:
    found = {
        row["method"]: row
        for row in rows.order_by().values("method").annotate(n=Count("pk"), total=Sum("amount"))
    }
    return [
        MethodTotal(m.value, m.label, found[m]["n"], cents(found[m]["total"]))
        for m in Method
        if m.value in found
    ]


@dataclass
class EndOfDay:
    site: Site
    day: dt.date
    takings: list[MethodTotal]
    refunds: list[MethodTotal]
    issued: dict[str, dict[str, Any]]
    unpaid: list[tuple[Invoice, invoices.InvoiceDue]]
    unpaid_count: int
    currency: str
    taken: Decimal = field(init=False)
    given_back: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.taken = cents(sum((t.amount for t in self.takings), ZERO))
        self.given_back = cents(sum((r.amount for r in self.refunds), ZERO))

    @property
    def net(self) -> Decimal:
        return cents(self.taken - self.given_back)


def _due_sql() -> Any:
    return F("total_gross") - Abs(F("credited")) - F("paid_in") + F("paid_back")


def unpaid_at(site: Site, until: dt.datetime) -> QuerySet[Invoice]:
    """The site's invoices issued before `until` with something still due today."""
    return unpaid_before(until).filter(site=site)


def unpaid_before(until: dt.datetime) -> QuerySet[Invoice]:
    """Invoices issued before `until` with something still due today, oldest first."""
    rows = invoices.issued().filter(kind=InvoiceKind.INVOICE, issued_at__lt=until)
    return (
        invoices.with_dues(rows)
        .annotate(due_now=_due_sql())
        .filter(due_now__gt=0)
        .select_related("patient", "site")
        .order_by("issued_at", "pk")
    )


def end_of_day(
    site: Site, day: dt.date, currency: str, limit: int | None = UNPAID_SHOWN
) -> EndOfDay:
    start, end = day_bounds(site, day)
    taken = Payment.objects.filter(site=site, taken_at__gte=start, taken_at__lt=end)
    given = Refund.objects.filter(site=site, refunded_at__gte=start, refunded_at__lt=end)
    issued: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in invoices.issued()
        .filter(site=site, issued_at__gte=start, issued_at__lt=end)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"), total=Sum(Abs("total_gross")))
    }
    unpaid = unpaid_at(site, end)
    rows = list(unpaid[:limit] if limit is not None else unpaid)
    count = len(rows) if limit is None or len(rows) < limit else unpaid.count()
    return EndOfDay(
        site=site,
        day=day,
        takings=_by_method(taken),
        refunds=_by_method(given),
        issued={
            kind.label: {
                "count": issued.get(kind.value, {}).get("n", 0),
                "total": cents(issued.get(kind.value, {}).get("total") or ZERO),
            }
            for kind in InvoiceKind
        },
        unpaid=[(row, invoices.due_of(row)) for row in rows],
        unpaid_count=count,
        currency=currency,
    )


def end_of_day_csv(report: EndOfDay) -> Iterable[list[str]]:
    yield ["Section", "Item", "Count", f"Amount ({report.currency})"]
    for t in report.takings:
        yield ["Takings", t.label, str(t.count), f"{t.amount:.2f}"]
    yield ["Takings", "Total", "", f"{report.taken:.2f}"]
    for r in report.refunds:
        yield ["Refunds", r.label, str(r.count), f"{r.amount:.2f}"]
    yield ["Refunds", "Total", "", f"{report.given_back:.2f}"]
    yield ["Net takings", "", "", f"{report.net:.2f}"]
    for label, row in report.issued.items():
        yield ["Issued", label, str(row["count"]), f"{row['total']:.2f}"]
    for invoice, due in report.unpaid:
        who = invoice.patient.full_name
        yield ["Unpaid", f"{invoice.description}, {who}", "", f"{due.due:.2f}"]


# --- A month's revenue ----------------------------------------------------------


REVENUE_BY = {
    "treatment": "Treatment or item",
    "practitioner": "Practitioner",
    "site": "Site",
}


@dataclass(frozen=True)
class RevenueRow:
    label: str
    net: Decimal
    gross: Decimal


def _issued_in(month: dt.date, sites: Iterable[Site]) -> Q:
    """Lines of documents issued in `month`, each site's month in its own zone."""
    when = Q(pk__in=[])
    for site in sites:
        start, end = month_bounds(site, month)
        when |= Q(invoice__site=site, invoice__issued_at__gte=start, invoice__issued_at__lt=end)
    return when & Q(invoice__status=InvoiceStatus.ISSUED)


def _signed(column: str) -> Any:
    """A line's amount, negative on a credit note (whichever sign billing stores)."""
    return Case(
        When(invoice__kind=InvoiceKind.CREDIT_NOTE, then=-Abs(F(column))),
        default=Abs(F(column)),
        output_field=MONEY,
    )


_GROUP = {
    "treatment": ("description", None),
    # A credit note counts against the practitioner of the invoice it credits.
    "practitioner": (
        "who",
        Coalesce(
            "invoice__session__performed_by__full_name",
            "invoice__credits__session__performed_by__full_name",
            Value("No session"),
        ),
    ),
    "site": ("invoice__site__name", None),
}


def revenue(month: dt.date, by: str, sites: Iterable[Site]) -> list[RevenueRow]:
    """The month's revenue grouped `by` one of REVENUE_BY, largest first."""
    column, expression = _GROUP[by]
    lines = InvoiceLine.objects.filter(_issued_in(month, sites))
    if expression is not None:
        lines = lines.annotate(**{column: expression})
    rows = (
        lines.order_by()
        .values(column)
        .annotate(net=Sum(_signed("net")), gross=Sum(_signed("gross")))
        .order_by("-net", column)
    )
    return [RevenueRow(str(row[column]), cents(row["net"]), cents(row["gross"])) for row in rows]


def revenue_csv(rows: list[RevenueRow], by: str, currency: str) -> Iterable[list[str]]:
    yield [REVENUE_BY[by], f"Net ({currency})", f"Gross ({currency})"]
    for row in rows:
        yield [row.label, f"{row.net:.2f}", f"{row.gross:.2f}"]
    yield [
        "Total",
        f"{sum((r.net for r in rows), ZERO):.2f}",
        f"{sum((r.gross for r in rows), ZERO):.2f}",
    ]
