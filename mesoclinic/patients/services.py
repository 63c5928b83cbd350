"""Changes to patient records: each keeps who, when and the previous values, and is audited."""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import F, OrderBy
from django.utils import timezone

from mesoclinic import prepared
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import contact, forms, vocab
from mesoclinic.patients import models as m
from mesoclinic.prepared import Prepared

ENTRY_MODELS: dict[str, type[m.HistoryEntry]] = {
    "allergy": m.Allergy,
    "no-known-allergies": m.NoKnownAllergies,
    "medication": m.Medication,
    "condition": m.Condition,
    "pregnancy": m.PregnancyStatus,
    "infection": m.SkinInfection,
    "lifestyle": m.LifestyleFactor,
    "concern": m.Concern,
}


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return str(getattr(value, "public_id", value.pk))
    return value


def _log(
    user: User,
    patient: m.Patient,
    obj: m.Patient | m.HistoryEntry,
    action: str,
    previous: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    m.ChangeLog.objects.create(
        patient=patient,
        object_type=type(obj).__name__.lower(),
        object_id=obj.public_id,
        action=action,
        changed_by=user,
        previous=previous or {},
        reason=reason,
    )


@transaction.atomic
def create_patient(user: User, form: forms.PatientForm) -> m.Patient:
    patient = form.save(commit=False)
    patient.changed_by = user
    patient.save()
    _log(user, patient, patient, "create")
    record(user, Action.CREATE, patient, fields=form.changed_data)
    return patient


@transaction.atomic
def update_patient(user: User, patient: m.Patient, form: forms.PatientForm) -> m.Patient:
    changed = list(form.changed_data)
    previous = {name: _plain(form.initial.get(name)) for name in changed}
    form.instance.changed_by = user
    form.save()
    if changed:
        _log(user, patient, patient, "change", previous)
    record(user, Action.CHANGE, patient, fields=changed)
    return patient


@transaction.atomic
def add_entry(user: User, patient: m.Patient, form: forms.HistoryEntryForm) -> m.HistoryEntry:
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff record medical history.")
    entry = form.save(commit=False)
    entry.patient = patient
    entry.created_by = entry.changed_by = user
    entry.save()
    _log(user, patient, entry, "create")
    record(user, Action.CREATE, entry, fields=form.changed_data)
    if isinstance(entry, m.Allergy):
        # A real allergy supersedes an earlier "no known allergies" answer.
        for answer in m.NoKnownAllergies.active.filter(patient=patient):
            void_entry(user, patient, answer, f"Superseded: allergy to {entry.label} recorded")
    return entry


@transaction.atomic
def void_entry(user: User, patient: m.Patient, entry: m.HistoryEntry, reason: str) -> None:
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff void medical history.")
    entry.voided_at = timezone.now()
    entry.voided_by = user
    entry.void_reason = reason
    entry.changed_by = user
    entry.save(update_fields=["voided_at", "voided_by", "void_reason"])
    _log(user, patient, entry, "void", reason=reason)
    record(user, Action.VOID, entry, fields=["voided_at", "void_reason"], detail=reason)


class AllergyAlreadyDecided(Exception):
    """Only an allergy that needs coding is coded or set aside by hand."""


def _coding_state(allergy: m.Allergy) -> dict[str, str]:
    names = [vocab.allergen_name(slug) for slug in allergy.coded]
    return {"coding": allergy.get_coding_display(), "coded": ", ".join(names) or "nothing"}


@transaction.atomic
def _decide_allergy(
    user: User,
    patient: m.Patient,
    allergy: m.Allergy,
    coding: str,
    reason: str,
    allergens: Iterable[str] = (),
) -> None:
    roles.check(user, roles.SIGN_CLINICAL, "Only a practitioner codes an allergy.")
    locked = m.Allergy.active.select_for_update().get(pk=allergy.pk)
    if not locked.needs_coding:
        raise AllergyAlreadyDecided("This allergy was coded meanwhile; its coding is shown.")
    previous = _coding_state(locked)
    # Coding adds to what the text already matched (an anaphylaxis keeps stopping HA).
    locked.coded = list(dict.fromkeys([*locked.coded, *allergens]))
    locked.coding = coding
    locked.coding_reason = reason
    locked.coded_by = user
    locked.coded_at = timezone.now()
    locked.changed_by = user
    fields = ["coded", "coding", "coding_reason", "coded_by", "coded_at"]
    locked.save(update_fields=fields)
    _log(user, patient, locked, "change", previous, reason=reason)
    record(user, Action.CHANGE, locked, fields=fields)


def code_allergy(user: User, patient: m.Patient, allergy: m.Allergy, allergens: list[str]) -> None:
    """A practitioner names the allergens an unrecognised allergy text means."""
    names = ", ".join(vocab.allergen_name(slug) for slug in allergens)
    _decide_allergy(user, patient, allergy, m.AllergyCoding.CODED, f"Coded as {names}", allergens)


def set_allergy_aside(user: User, patient: m.Patient, allergy: m.Allergy, reason: str) -> None:
    """A practitioner records why an unrecognised allergy does not apply to treatment."""
    _decide_allergy(user, patient, allergy, m.AllergyCoding.NOT_APPLICABLE, reason)


class Alert(NamedTuple):
    """One line of the alert bar: ``kind`` picks its colour, ``text`` is for people."""

    kind: str
    text: str


@dataclass
class Chart:
    """A patient's active history, read in one query per kind whatever its length."""

    patient: m.Patient | None = None
    allergies: list[m.Allergy] = field(default_factory=list)
    no_known_allergies: list[m.NoKnownAllergies] = field(default_factory=list)
    medications: list[m.Medication] = field(default_factory=list)
    conditions: list[m.Condition] = field(default_factory=list)
    pregnancy: list[m.PregnancyStatus] = field(default_factory=list)
    infections: list[m.SkinInfection] = field(default_factory=list)
    lifestyle: list[m.LifestyleFactor] = field(default_factory=list)
    concerns: list[m.Concern] = field(default_factory=list)

    @property
    def current_pregnancy(self) -> m.PregnancyStatus | None:
        return self.pregnancy[0] if self.pregnancy else None

    @property
    def allergy_history_taken(self) -> bool:
        return bool(self.allergies or self.no_known_allergies)

    @property
    def no_known_allergies_answer(self) -> m.NoKnownAllergies | None:
        """The newest "no known allergies" answer, unless an allergy is recorded."""
        return None if self.allergies else next(iter(self.no_known_allergies), None)

    @property
    def uncoded_allergies(self) -> list[m.Allergy]:
        return [a for a in self.allergies if a.needs_coding]

    @property
    def bleeding_medications(self) -> list[m.Medication]:
        return [med for med in self.medications if med.affects_bleeding]

    @property
    def unrecognised_medications(self) -> list[m.Medication]:
        return [med for med in self.medications if not med.recognised]

    @property
    def active_infections(self) -> list[m.SkinInfection]:
        return [inf for inf in self.infections if inf.is_active]

    @property
    def alerts(self) -> list[Alert]:
        alerts = []
        if not self.allergy_history_taken:
            alerts.append(Alert("history", "Allergy history not taken"))
        alerts += [_allergy_alert(a) for a in self.allergies]
        alerts += [
            Alert("infection", f"Active skin infection: {inf.get_area_display()}")
            for inf in self.active_infections
        ]
        if self.current_pregnancy and self.current_pregnancy.is_alert:
            status = self.current_pregnancy
            alerts.append(
                Alert(
                    "pregnancy",
                    f"{status.get_status_display()} (confirmed {status.confirmed_on:%d %b %Y})",
                )
            )
        alerts += [
            Alert("bleeding", f"{_sentence(' / '.join(med.class_names))}: {med.name}")
            for med in self.bleeding_medications
        ]
        alerts += [
            Alert("bleeding", f"Condition: {c.get_condition_display()}")
            for c in self.conditions
            if c.condition == "bleeding-disorder"
        ]
        alerts += [
            Alert("review", f"Medicine not recognised: {med.name} (practitioner review)")
            for med in self.unrecognised_medications
        ]
        if self.patient is not None and self.patient.age_years < 18:
            alerts.append(Alert("age", f"Under 18: {self.patient.age_years} years old"))
        return alerts


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _allergy_alert(allergy: m.Allergy) -> Alert:
    severity = allergy.get_severity_display()
    if allergy.needs_coding:
        return Alert(
            "uncoded",
            f"Allergy not recognised: “{allergy.label}” ({severity}): no treatment until a "
            "practitioner codes it",
        )
    # "Xylocaine (anaphylaxis)" already says how severe: no "(Anaphylaxis)" after it.
    said = severity.lower() in allergy.label.lower()
    text = f"Allergy: {allergy.label}" + ("" if said else f" ({severity})")
    details = [", ".join(allergy.coded_names)] if allergy.coded_names else []
    if details or allergy.notes:
        text += ": " + "; ".join(details + allergy.notes)
    if allergy.does_not_apply:
        text += f"; does not apply to treatment ({allergy.coding_reason})"
    return Alert("allergy", text)


# Each history list, compiled once (prepared.py): the chart reads eight of them.
_LISTS: dict[Hashable, Prepared[Any]] = {}


def _active(model: type[m.HistoryEntry], patient: m.Patient, *order: str | OrderBy) -> list[Any]:
    query = prepared.cached(
        _LISTS,
        (model, order),
        model,
        lambda pk: model.active.filter(patient_id=pk).order_by(*order),
    )
    return query(patient.pk)


STAFF_FIELDS = ("created_by", "coded_by")


def _with_staff(entries: Iterable[Any]) -> None:
    """Attach the colleagues the entries name (who recorded or coded them): one query."""
    entries = list(entries)
    named = [(e, f) for e in entries for f in STAFF_FIELDS if getattr(e, f"{f}_id", None)]
    if not named:
        return
    ids = {getattr(e, f"{f}_id") for e, f in named}
    staff = {u.pk: u for u in User.objects.filter(pk__in=ids).only("id", "full_name")}
    for entry, f in named:
        setattr(entry, f, staff[getattr(entry, f"{f}_id")])


def _alerting(patient: m.Patient) -> dict[str, list[Any]]:
    return {
        "allergies": _active(m.Allergy, patient, "-recorded_on", "-id"),
        "no_known_allergies": _active(m.NoKnownAllergies, patient, "-recorded_on", "-id"),
        "medications": _active(m.Medication, patient, "-recorded_on", "-id"),
        "conditions": _active(m.Condition, patient, "-recorded_on", "-id"),
        "pregnancy": _active(m.PregnancyStatus, patient, "-confirmed_on", "-id"),
        "infections": _active(
            m.SkinInfection, patient, F("resolved_on").asc(nulls_first=True), "-recorded_on", "-id"
        ),
    }


def chart_for(patient: m.Patient) -> Chart:
    lists = {
        **_alerting(patient),
        "lifestyle": _active(m.LifestyleFactor, patient, "-recorded_on", "-id"),
        "concerns": _active(m.Concern, patient, "-recorded_on", "-id"),
    }
    _with_staff(e for entries in lists.values() for e in entries)
    return Chart(patient=patient, **lists)


def alerts_for(patient: m.Patient) -> list[Alert]:
    """The alert bar of any page about this patient: only the history that can alert."""
    return Chart(patient=patient, **_alerting(patient)).alerts


class ContactRefused(ValueError):
    """The choice cannot be kept as asked; the message says why, for the phone field."""


@transaction.atomic
def set_contact(
    user: User, patient: m.Patient, contact_by: str, phone: str, *, own_record: bool = False
) -> list[str]:
    """How the patient is messaged, and the number texts go to. Staff who edit
    demographics change it; so does the patient, on their own record only: the portal
    passes `own_record` once it has found the record from the signed-in account."""
    if not own_record:
        roles.check(user, roles.EDIT_DEMOGRAPHICS, "Only staff who edit details change this.")
    if contact.wants_sms(contact_by) and not contact.sms_number(phone):
        raise ContactRefused(contact.NUMBER_HELP)
    wanted = {"contact_by": contact_by, "phone": phone.strip()}
    changed = [name for name, value in wanted.items() if getattr(patient, name) != value]
    previous = {name: getattr(patient, name) for name in changed}
    if changed:
        for name in changed:
            setattr(patient, name, wanted[name])
        patient.changed_by = user
        patient.save(update_fields=changed)
        _log(user, patient, patient, "change", previous)
    record(user, Action.CHANGE, patient, fields=changed, detail="how the patient is messaged")
    return changed
