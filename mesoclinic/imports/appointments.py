"""Import appointments from a clinic's CSV: future ones booked, past ones as they ended.

Each row goes through the booking services (`scheduling.services.book` and
`book_history`), so overlap, opening hours, working hours at the site and the
treatment's roles are the booking form's own checks. The dry run books every row in
one transaction and rolls it back, so rows of the file meet each other as a diary
would; the import does the same and keeps it only if no row was refused.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.imports import csvfile
from mesoclinic.imports.csvfile import MAX_ROWS, Row
from mesoclinic.patients.models import Patient, search_key
from mesoclinic.scheduling import services as booking
from mesoclinic.scheduling.models import Room, Status, TreatmentType

COLUMNS = (
    "patient_id",
    "first_name",
    "last_name",
    "date_of_birth",
    "practitioner_email",
    "site",
    "room",
    "treatment_type",
    "starts_at",
    "duration_minutes",
    "status",
    "cancel_reason",
)
REQUIRED = ("practitioner_email", "site", "starts_at")
REFUSAL = "Only an owner imports appointments."
STARTS_AT = "Write the start as YYYY-MM-DD HH:MM in the site's time, for example 2026-03-02 14:30."
STATUSES = {
    "": Status.BOOKED,
    "booked": Status.BOOKED,
    "completed": Status.COMPLETED,
    "no-show": Status.NO_SHOW,
    "no show": Status.NO_SHOW,
    "cancelled": Status.CANCELLED,
    "canceled": Status.CANCELLED,
}


@dataclass(frozen=True)
class Refusal:
    row: int
    column: str
    reason: str


@dataclass(frozen=True)
class Planned:
    row: int
    patient: str
    practitioner: str
    site: str
    starts: str  # in the site's time, as written
    status: str


@dataclass
class Report:
    planned: list[Planned] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.refused and bool(self.planned)

    @property
    def refused_rows(self) -> int:
        return len({r.row for r in self.refused})


class ImportRefused(Exception):
    def __init__(self, report: Report) -> None:
        super().__init__(f"{len(report.refused)} refusals")
        self.report = report


class _DryRun(Exception):
    """Raised at the end of a check so that its bookings roll back."""


def read(text: str) -> tuple[list[Row], list[str]]:
    """The appointments' rows and the columns this import does not know."""
    sheet = csvfile.read(
        text, required=REQUIRED, columns=COLUMNS, max_rows=MAX_ROWS, what="appointments"
    )
    return sheet.rows, sheet.ignored_columns


class _Lookups:
    """The clinic's sites, rooms, staff and treatment types, read once per file."""

    def __init__(self) -> None:
        self.sites = {s.name.casefold(): s for s in Site.objects.all()}
        self.rooms = {(r.site_id, r.name.casefold()): r for r in Room.objects.all()}
        self.staff = {u.email.casefold(): u for u in User.in_org.exclude(role=Role.PATIENT)}
        self.types = {t.name.casefold(): t for t in TreatmentType.objects.all()}


def _patient(cells: dict[str, str]) -> Patient:
    if cells["patient_id"]:
        try:
            found = Patient.objects.filter(public_id=uuid.UUID(cells["patient_id"])).first()
        except ValueError:
            found = None
        if found is None:
            raise booking.Refused("No patient of this clinic has this id.", "patient_id")
        return found
    try:
        dob = dt.date.fromisoformat(cells["date_of_birth"])
    except ValueError:
        raise booking.Refused(
            "Give the patient's id, or their name and date of birth (YYYY-MM-DD).",
            "date_of_birth",
        ) from None
    matches = list(
        Patient.objects.filter(
            search_first=search_key(cells["first_name"]),
            search_last=search_key(cells["last_name"]),
            date_of_birth=dob,
        )[:2]
    )
    if len(matches) != 1:
        why = "No patient" if not matches else "More than one patient"
        raise booking.Refused(
            f"{why} of this clinic has this name and date of birth: give the patient_id.",
            "last_name",
        )
    return matches[0]


def _fields(cells: dict[str, str], found: _Lookups) -> dict[str, Any]:
    site = found.sites.get(cells["site"].casefold())
    if site is None:
        raise booking.Refused(f"No site of this clinic is called “{cells['site']}”.", "site")
    practitioner = found.staff.get(cells["practitioner_email"].casefold())
    if practitioner is None:
        raise booking.Refused("No colleague has this email address.", "practitioner_email")
    room = None
    if cells["room"]:
        room = found.rooms.get((site.pk, cells["room"].casefold()))
        if room is None:
            raise booking.Refused(f"{site} has no room called “{cells['room']}”.", "room")
    treatment = None
    if cells["treatment_type"]:
        treatment = found.types.get(cells["treatment_type"].casefold())
        if treatment is None:
            raise booking.Refused("No treatment type has this name.", "treatment_type")
    try:
        naive = dt.datetime.strptime(cells["starts_at"], "%Y-%m-%d %H:%M")
    except ValueError:
        raise booking.Refused(STARTS_AT, "starts_at") from None
    minutes_text = cells["duration_minutes"]
    default = treatment.duration_minutes if treatment else 45
    if minutes_text and not minutes_text.isdigit():
        raise booking.Refused("Write the duration in whole minutes, as 45.", "duration_minutes")
    minutes = int(minutes_text or default)
    if not 5 <= minutes <= 480:
        raise booking.Refused("A duration is 5 to 480 minutes.", "duration_minutes")
    starts_at = timezone.make_aware(naive, site.zone)
    return {
        "site": site,
        "room": room,
        "practitioner": practitioner,
        "treatment_type": treatment,
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(minutes=minutes),
    }


def _book(user: User, row: Row, found: _Lookups) -> Planned:
    cells = row.cells
    status = STATUSES.get(cells["status"].casefold())
    if status is None:
        raise booking.Refused("The status is booked, completed, no-show or cancelled.", "status")
    patient = _patient(cells)
    fields = _fields(cells, found)
    if status == Status.BOOKED:
        booking.book(user, patient=patient, **fields)
    else:
        booking.book_history(
            user, status=status, cancel_reason=cells["cancel_reason"], patient=patient, **fields
        )
    starts = fields["starts_at"].astimezone(fields["site"].zone)
    return Planned(
        row.number, patient.full_name, fields["practitioner"].full_name, fields["site"].name,
        f"{starts:%-d %b %Y %H:%M}", Status(status).label,
    )  # fmt: skip


def _run(user: User, rows: list[Row]) -> Report:
    """Book every row, each in its own savepoint; a refused row is reported."""
    report = Report()
    found = _Lookups()
    for row in rows:
        try:
            with transaction.atomic():
                report.planned.append(_book(user, row, found))
        except booking.Refused as refused:
            column = refused.field if refused.field in COLUMNS else "starts_at"
            report.refused.append(Refusal(row.number, column, refused.message))
        except DatabaseError:
            report.refused.append(Refusal(row.number, "row", "The database refused this row."))
    return report


def _lock(user: User) -> None:
    # One import at a time per clinic: a second submit waits, then meets the first's rows.
    Organization.objects.select_for_update().filter(pk=user.organization_id).first()


def preview(user: User, rows: list[Row], ignored: list[str]) -> Report:
    """The dry run: every row booked and rolled back; one audit event of the check."""
    roles.check(user, roles.MANAGE_STAFF, REFUSAL)
    report = Report()
    try:
        with transaction.atomic():
            _lock(user)
            report = _run(user, rows)
            raise _DryRun
    except _DryRun:
        pass
    report.ignored_columns = ignored
    record(
        user,
        Action.VIEW,
        object_type="appointment",
        detail=f"appointment import preview: {len(rows)} rows, {len(report.planned)} to create",
    )
    return report


@transaction.atomic
def import_appointments(user: User, rows: list[Row]) -> Report:
    """Book every row, or nothing (`ImportRefused`); each booking is audited."""
    roles.check(user, roles.MANAGE_STAFF, REFUSAL)
    _lock(user)
    report = _run(user, rows)
    if not report.ready:
        transaction.set_rollback(True)
        raise ImportRefused(report)
    return report
