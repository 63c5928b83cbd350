"""Import patients and their allergies, medications and conditions from a clinic's CSV.

Every row goes through the clinic's own forms (`patients.forms`), so the rules are the
pages' rules, and is created through `patients.services`, so history and audit are
written as for a patient typed in by hand. Nothing is half-imported: the whole file is
one transaction, and a row refused at that point rolls everything back.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms as django_forms
from django.db import DatabaseError, transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Organization, Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.imports.csvfile import COLUMNS, PATIENT_COLUMNS, Row, Sheet
from mesoclinic.patients import forms, vocab
from mesoclinic.patients import models as m
from mesoclinic.patients import services as patients

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATE_MESSAGE = "Write the date as YYYY-MM-DD, for example 1985-04-01."
REFUSAL = "Only an owner imports patients."


@dataclass(frozen=True)
class Refusal:
    row: int
    column: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    row: int
    name: str
    date_of_birth: date
    same_as: str  # "an existing patient" or "row 3"


@dataclass
class Planned:
    row: int
    form: forms.PatientForm
    entries: list[tuple[str, forms.HistoryEntryForm]]

    @property
    def name(self) -> str:
        data = self.form.cleaned_data
        return f"{data['first_name']} {data['last_name']}"

    def count(self, column: str) -> int:
        return sum(1 for kind, _form in self.entries if kind == column)


@dataclass
class Report:
    planned: list[Planned] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Only a file with no refused row is imported: fix it and upload it again."""
        return not self.refused and bool(self.planned)

    @property
    def refused_rows(self) -> int:
        return len({r.row for r in self.refused})

    def total(self, column: str) -> int:
        return sum(p.count(column) for p in self.planned)


class ImportRefused(Exception):
    def __init__(self, report: Report) -> None:
        super().__init__(f"{len(report.refused)} refusals")
        self.report = report


def _choice(text: str, choices: list[tuple[str, str]]) -> str | None:
    folded = text.casefold()
    return next((v for v, label in choices if folded in (v.casefold(), label.casefold())), None)


def _sex(text: str) -> str:
    return _choice(text, m.Sex.choices) or text


def _items(text: str) -> list[tuple[str, str]]:
    """ "a: b; c" -> [("a", "b"), ("c", "")]."""
    items = []
    for part in text.split(";"):
        name, _colon, detail = part.partition(":")
        if name.strip() or detail.strip():
            items.append((name.strip(), detail.strip()))
    return items


def _unchecked(model: type[Any]) -> Any:
    """A new row whose check constraints the form leaves to the database.

    The forms' fields refuse what the models' check constraints refuse (weight and
    height ranges, choices), and the database enforces them at insert, where a refusal
    rolls the whole import back. Django would otherwise ask the database once per
    constraint and row: some 20,000 round trips to check a file of 5,000 patients.
    """
    instance = model()
    instance.validate_constraints = lambda exclude=None: None  # noqa: ARG005 - Django's call
    return instance


def _allergy(name: str, reaction: str, today: date) -> forms.HistoryEntryForm:
    substance = _choice(name, vocab.ingredient_choices())
    data = {
        "substance": substance or "",
        "substance_text": "" if substance else name,
        "reaction": reaction,
        "severity": m.Severity.MODERATE,
        "recorded_on": today,
    }
    return forms.AllergyForm(data, instance=_unchecked(m.Allergy))


def _medication(name: str, dose: str, today: date) -> forms.HistoryEntryForm:
    data = {"name": name, "dose": dose, "recorded_on": today}
    return forms.MedicationForm(data, instance=_unchecked(m.Medication))


def _condition(name: str, detail: str, today: date) -> forms.HistoryEntryForm:
    text = f"{name}: {detail}" if detail else name
    value = _choice(text, vocab.condition_choices()) or text
    data = {"condition": value, "recorded_on": today}
    return forms.ConditionForm(data, instance=_unchecked(m.Condition))


ENTRY_FORMS = {"allergies": _allergy, "medications": _medication, "conditions": _condition}


def _form_errors(form: django_forms.BaseForm) -> list[str]:
    return [str(message) for messages in form.errors.values() for message in messages]


def _check_row(row: Row, today: date) -> tuple[Planned | None, list[Refusal]]:
    data: dict[str, Any] = {name: row.cells[name] for name in PATIENT_COLUMNS}
    data["sex"] = _sex(data["sex"])
    form = forms.PatientForm(data, instance=_unchecked(m.Patient), sites=Site.objects.none())
    refused = []
    if not form.is_valid():
        for name, messages in form.errors.items():
            column = name if name in PATIENT_COLUMNS else "row"
            refused += [Refusal(row.number, column, str(message)) for message in messages]
    dob = row.cells["date_of_birth"]
    if dob and not ISO_DATE.fullmatch(dob):
        refused = [r for r in refused if r.column != "date_of_birth"]
        refused.append(Refusal(row.number, "date_of_birth", ISO_DATE_MESSAGE))
    entries = []
    for column, make in ENTRY_FORMS.items():
        for name, detail in _items(row.cells[column]):
            entry = make(name, detail, today)
            entries.append((column, entry))
            if not entry.is_valid():
                item = f"{name}: {detail}" if detail else name
                refused += [
                    Refusal(row.number, column, f"“{item}”: {message}")
                    for message in _form_errors(entry)
                ]
    if refused:
        order = {name: i for i, name in enumerate(("row", *COLUMNS))}
        return None, sorted(refused, key=lambda r: order.get(r.column, 0))
    return Planned(row.number, form, entries), []


def _key(first: str, last: str, dob: date) -> tuple[str, str, date]:
    return (m.search_key(first), m.search_key(last), dob)


def _existing(planned: list[Planned]) -> set[tuple[str, str, date]]:
    """This clinic's patients with a date of birth of the file: one query for any size."""
    dobs = {p.form.cleaned_data["date_of_birth"] for p in planned}
    if not dobs:
        return set()
    rows = m.Patient.objects.filter(date_of_birth__in=dobs).values_list(
        "search_first", "search_last", "date_of_birth"
    )
    return set(rows)


def check(sheet: Sheet) -> Report:
    """What importing `sheet` would do, reading nothing but the duplicate lookup."""
    today = timezone.localdate()
    report = Report(ignored_columns=sheet.ignored_columns)
    valid = []
    for row in sheet.rows:
        planned, refused = _check_row(row, today)
        report.refused += refused
        if planned is not None:
            valid.append(planned)
    existing = _existing(valid)
    seen: dict[tuple[str, str, date], int] = {}
    for planned in valid:
        data = planned.form.cleaned_data
        key = _key(data["first_name"], data["last_name"], data["date_of_birth"])
        if key in existing or key in seen:
            same_as = "an existing patient" if key in existing else f"row {seen[key]}"
            report.duplicates.append(
                Duplicate(planned.row, planned.name, data["date_of_birth"], same_as)
            )
            continue
        seen[key] = planned.row
        report.planned.append(planned)
    return report


def preview(user: User, sheet: Sheet) -> Report:
    """The dry run: nothing is written but the audit event of the duplicate lookup."""
    roles.check(user, roles.MANAGE_STAFF, REFUSAL)
    report = check(sheet)
    record(
        user,
        Action.VIEW,
        object_type="patient",
        detail=f"import preview: {len(sheet.rows)} rows, {len(report.planned)} to create",
    )
    return report


@transaction.atomic
def import_patients(user: User, sheet: Sheet) -> Report:
    """Create every planned patient with their lists, or nothing (`ImportRefused`)."""
    roles.check(user, roles.MANAGE_STAFF, REFUSAL)
    # One import at a time per clinic, so two submits of one file meet as duplicates.
    Organization.objects.select_for_update().filter(pk=user.organization_id).first()
    report = check(sheet)
    if not report.ready:
        raise ImportRefused(report)
    for planned in report.planned:
        try:
            with transaction.atomic():
                patient = patients.create_patient(user, planned.form)
                for _column, entry in planned.entries:
                    patients.add_entry(user, patient, entry)
        except DatabaseError:
            refusal = Refusal(planned.row, "row", "The database refused this row.")
            raise ImportRefused(Report(refused=[refusal])) from None
    return report
