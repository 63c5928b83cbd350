"""Changes to patient records: each keeps who, when and the previous values, and is audited."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mesoclinic.audit.log import Action, record
from mesoclinic.patients import models as m

ENTRY_MODELS: dict[str, type[m.HistoryEntry]] = {
    "allergy": m.Allergy,
    "medication": m.Medication,
    "condition": m.Condition,
    "pregnancy": m.PregnancyStatus,
    "infection": m.SkinInfection,
    "lifestyle": m.LifestyleFactor,
    "concern": m.Concern,
}


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return str(getattr(value, "public_id", value.pk))
    return value


def _log(request, patient, obj, action, previous=None, reason=""):
    m.ChangeLog.objects.create(
        patient=patient,
        object_type=type(obj).__name__.lower(),
        object_id=obj.public_id,
        action=action,
        changed_by=request.user,
        previous=previous or {},
        reason=reason,
    )


@transaction.atomic
def create_patient(request, form) -> m.Patient:
    patient = form.save(commit=False)
    patient.created_by = request.user
    patient.save()
    _log(request, patient, patient, "create")
    record(request, Action.CREATE, patient, fields=form.changed_data)
    return patient


@transaction.atomic
def update_patient(request, patient: m.Patient, form) -> m.Patient:
    changed = list(form.changed_data)
    previous = {name: _plain(form.initial.get(name)) for name in changed}
    form.save()
    if changed:
        _log(request, patient, patient, "change", previous)
    record(request, Action.CHANGE, patient, fields=changed)
    return patient


@transaction.atomic
def add_entry(request, patient: m.Patient, form) -> m.HistoryEntry:
    entry = form.save(commit=False)
    entry.patient = patient
    entry.created_by = request.user
    entry.save()
    _log(request, patient, entry, "create")
    record(request, Action.CREATE, entry, fields=form.changed_data)
    return entry


@transaction.atomic
def void_entry(request, patient: m.Patient, entry: m.HistoryEntry, reason: str) -> None:
    entry.voided_at = timezone.now()
    entry.voided_by = request.user
    entry.void_reason = reason
    entry.save(update_fields=["voided_at", "voided_by", "void_reason"])
    _log(request, patient, entry, "void", reason=reason)
    record(request, Action.VOID, entry, fields=["voided_at", "void_reason"])


@dataclass
class Chart:
    """A patient's active history, read in one query per kind whatever its length."""

    allergies: list = field(default_factory=list)
    medications: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    pregnancy: list = field(default_factory=list)
    infections: list = field(default_factory=list)
    lifestyle: list = field(default_factory=list)
    concerns: list = field(default_factory=list)

    @property
    def current_pregnancy(self):
        return self.pregnancy[0] if self.pregnancy else None

    @property
    def bleeding_medications(self):
        return [med for med in self.medications if med.affects_bleeding]

    @property
    def active_infections(self):
        return [inf for inf in self.infections if inf.is_active]

    @property
    def alerts(self) -> list[tuple[str, str]]:
        alerts = [
            ("allergy", f"Allergy: {a.label} ({a.get_severity_display()})") for a in self.allergies
        ]
        alerts += [
            ("bleeding", f"{' / '.join(med.drug_classes).capitalize()}: {med.name}")
            for med in self.bleeding_medications
        ]
        alerts += [
            ("bleeding", f"Condition: {c.get_condition_display()}")
            for c in self.conditions
            if c.condition == "bleeding-disorder"
        ]
        if self.current_pregnancy and self.current_pregnancy.is_alert:
            status = self.current_pregnancy
            alerts.append(
                (
                    "pregnancy",
                    f"{status.get_status_display()} (confirmed {status.confirmed_on:%d %b %Y})",
                )
            )
        alerts += [
            ("infection", f"Active skin infection: {inf.get_area_display()}")
            for inf in self.active_infections
        ]
        return alerts


def chart_for(patient: m.Patient) -> Chart:
    def active(model, *order):
        return list(
            model.active.filter(patient=patient).select_related("created_by").order_by(*order)
        )

    return Chart(
        allergies=active(m.Allergy, "-recorded_on", "-id"),
        medications=active(m.Medication, "-recorded_on", "-id"),
        conditions=active(m.Condition, "-recorded_on", "-id"),
        pregnancy=active(m.PregnancyStatus, "-confirmed_on", "-id"),
        infections=active(
            m.SkinInfection, F("resolved_on").asc(nulls_first=True), "-recorded_on", "-id"
        ),
        lifestyle=active(m.LifestyleFactor, "-recorded_on", "-id"),
        concerns=active(m.Concern, "-recorded_on", "-id"),
    )
