"""What a patient owes and holds, summed by the database (issue 17).

A patient's balance is what their issued invoices charged, less their issued credit
notes, less what they paid, plus what was given back: positive, they owe the clinic;
negative, the clinic holds their money. Each figure is one aggregate, whatever the
number of rows, so the account page runs the same few queries for one visit or a
thousand.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from mesoclinic.patients.models import Patient
from mesoclinic.payments import invoices
from mesoclinic.payments.models import PackageSale, Payment, Refund
from mesoclinic.payments.money import ZERO, cents
from mesoclinic.payments.sums import summed


@dataclass(frozen=True)
class Balance:
    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    refunded: Decimal

    @property
    def owed(self) -> Decimal:
        """Positive: the patient owes this; negative: the clinic holds it for them."""
        return cents(self.invoiced - self.credited - self.paid + self.refunded)


def _sum(rows: QuerySet, field: str = "amount") -> Decimal:
    return cents(rows.aggregate(total=Sum(field))["total"] or ZERO)


def balance(patient: Patient) -> Balance:
    invoiced, credited = invoices.issued_totals(patient)
    return Balance(
        invoiced=invoiced,
        credited=credited,
        paid=_sum(Payment.objects.filter(patient=patient)),
        refunded=_sum(Refund.objects.filter(payment__patient=patient)),
    )


def payments_of(patient: Patient) -> QuerySet[Payment]:
    """The patient's payments, newest first, each with what was refunded of it."""
    refunds = Refund.objects.filter(payment=OuterRef("pk"))
    return (
        Payment.objects.filter(patient=patient)
        .select_related("site", "taken_by", "package")
        .annotate(refunded=summed(refunds))
        .order_by("-taken_at", "-pk")
    )


def refunds_of(patient: Patient) -> QuerySet[Refund]:
    return (
        Refund.objects.filter(payment__patient=patient)
        .select_related("payment", "refunded_by", "site")
        .order_by("-refunded_at", "-pk")
    )


def live_draws() -> Q:
    """A draw counts while its session stands: a voided session gives it back."""
    return Q(draws__session__voided_at__isnull=True)


def packages_of(patient: Patient) -> QuerySet[PackageSale]:
    """The patient's packages, oldest first, each with the sessions drawn (voided sessions
    not counted) and the money spent from it by package credit payments."""
    return packages_of_all().filter(patient=patient).order_by("sold_at", "pk")


def packages_of_all() -> QuerySet[PackageSale]:
    """The organization's packages, each with `used` and `spent` as `packages_of` has,
    and who they are for, where and by whom they were sold, and their invoice."""
    spent = summed(Payment.objects.filter(package=OuterRef("pk")))
    given_back = summed(Refund.objects.filter(payment__package=OuterRef("pk")))
    return PackageSale.objects.select_related("patient", "site", "invoice", "sold_by").annotate(
        used=Count("draws", filter=live_draws()), spent=spent - given_back
    )


def sessions_left(package: PackageSale) -> int:
    used = (
        PackageSale.objects.filter(pk=package.pk)
        .annotate(used=Count("draws", filter=live_draws()))
        .values_list("used", flat=True)
        .get()
    )
    return package.sessions - used


def package_money_left(package: PackageSale) -> Decimal:
    """The package's price less what package credit payments spent of it, plus what was
    refunded of those (a refund of a package credit payment goes back to the package)."""
    spent = _sum(Payment.objects.filter(package=package))
    given_back = _sum(Refund.objects.filter(payment__package=package))
    return cents(package.price - spent + given_back)
