"""The clinic's tables as CSV: one file each, columns named for people, rows named by
their public ids (never the database's own numbers), every cell through `spreadsheet`."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from django.db import models

from mesoclinic.billing.models import Invoice, InvoiceLine
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.payments.models import Payment
from mesoclinic.photos.models import Photo
from mesoclinic.plans.models import Consent, Plan, PlanVersion
from mesoclinic.scheduling.models import Appointment
from mesoclinic.spreadsheet import Writer
from mesoclinic.treatments.models import AdverseEvent, Lot, SessionArea, TreatmentSession

# Bookkeeping a person has no use for (search keys, cache counters, form tokens).
SKIPPED = {
    "id",
    "organization",
    "chart_version",
    "search_last",
    "search_first",
    "phone_digits",
    "email_lower",
    "submission_key",
    "lock_version",
    "patient_signature",
}


@dataclass(frozen=True)
class Table:
    name: str
    model: type[models.Model]


TABLES = (
    Table("patients", pm.Patient),
    Table("allergies", pm.Allergy),
    Table("no-known-allergies", pm.NoKnownAllergies),
    Table("medications", pm.Medication),
    Table("conditions", pm.Condition),
    Table("pregnancy-status", pm.PregnancyStatus),
    Table("skin-infections", pm.SkinInfection),
    Table("lifestyle-factors", pm.LifestyleFactor),
    Table("concerns", pm.Concern),
    Table("plans", Plan),
    Table("plan-versions", PlanVersion),
    Table("consents", Consent),
    Table("sessions", TreatmentSession),
    Table("charted-areas", SessionArea),
    Table("lots", Lot),
    Table("adverse-events", AdverseEvent),
    Table("appointments", Appointment),
    Table("outcome-scores", Assessment),
    Table("invoices", Invoice),
    Table("invoice-lines", InvoiceLine),
    Table("payments", Payment),
    Table("photos", Photo),
)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in SKIPPED]


def _header(field: models.Field[Any, Any]) -> str:
    if field.name == "public_id":
        return "Id"
    label = str(field.verbose_name)
    label = label[:1].upper() + label[1:]
    return f"{label} (id)" if _names_by_id(field) else label


def _names_by_id(field: models.Field[Any, Any]) -> bool:
    return field.is_relation and any(
        f.name == "public_id"
        for f in field.related_model._meta.concrete_fields  # type: ignore[union-attr]
    )


def _value(row: models.Model, field: models.Field[Any, Any]) -> Any:
    if field.is_relation:
        related = getattr(row, field.name)
        if related is None:
            return ""
        return str(getattr(related, "public_id", related))
    if field.choices:
        return getattr(row, f"get_{field.name}_display")()
    value = getattr(row, field.attname)
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "" if value is None else value


def rows(table: Table) -> Iterator[list[Any]]:
    fields = _fields(table.model)
    related = [f.name for f in fields if f.is_relation]
    queryset = table.model.objects.select_related(*related).order_by("pk")  # type: ignore[attr-defined]
    for row in queryset.iterator(chunk_size=500):
        yield [_value(row, f) for f in fields]


def write(table: Table, out: TextIO) -> int:
    """Write the table to `out`; the number of rows written."""
    writer = Writer(out)
    writer.writerow(_header(f) for f in _fields(table.model))
    count = 0
    for row in rows(table):
        writer.writerow(row)
        count += 1
    return count
