"""Correlated sums for annotations: one query for a list, whatever its length."""

from django.db.models import DecimalField, F, Func, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from mesoclinic.payments.money import ZERO

MONEY = DecimalField(max_digits=14, decimal_places=2)


def summed(rows: QuerySet, field: str = "amount") -> Coalesce:
    """A correlated `SUM(field)` of `rows` (already filtered on an OuterRef), 0 when none.
    `Func` rather than `Sum`: an aggregate would add a GROUP BY to the subquery."""
    total = Func(F(field), function="SUM", output_field=MONEY)
    return Coalesce(
        Subquery(rows.order_by().annotate(total=total).values("total")[:1], output_field=MONEY),
        Value(ZERO),
        output_field=MONEY,
    )
