"""What the diary shows on pages that compose several apps (the patient chart, the day)."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling import access, visits
from mesoclinic.scheduling.models import HOLDS_SLOT, LONGEST, REMINDABLE, Appointment, Status
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

UPCOMING = 20


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:  # noqa: ARG001 - every section's signature
    """The patient's next appointments that still hold a slot."""
    appointments = (
        Appointment.objects.filter(
            patient=patient, starts_at__gte=timezone.now(), status__in=HOLDS_SLOT
        )
        .select_related("site", "practitioner", "room")
        .order_by("starts_at")[:UPCOMING]
    )
    return {"appointments": appointments}


# --- the day board (the "Today" home page in web/today.py) ---------------------------

# What a visit's chip says, by state: the appointment's status, moved on by the
# patient's arrival and by the session started from it.
STATE_LABELS = {
    "proposed": "Proposed",
    "booked": "Booked",
    "confirmed": "Confirmed",
    "arrived": "Arrived",
    "in_treatment": "In treatment",
    "signed": "Signed",
    "completed": "Completed",
    "no_show": "No-show",
    "cancelled": "Cancelled",
}


def state_of(appt: Appointment) -> str:
    """Where the visit is now: the chip the day shows (no query with `session` loaded)."""
    if appt.status in (Status.CANCELLED, Status.NO_SHOW):
        return appt.status
    session = appt.session if appt.session_id else None
    if session is not None and session.status == SessionStatus.SIGNED:
        return "signed"
    if session is not None and session.status == SessionStatus.IN_PROGRESS:
        return "in_treatment"
    if appt.status == Status.COMPLETED:
        return "completed"
    if appt.arrived_at is not None:
        return "arrived"
    return appt.status


@dataclass(frozen=True)
class Visit:
    """One line of the day: an appointment, or a session started today with none (a
    walk-in). `session` is the appointment's session, or the walk-in's."""

    appointment: Appointment | None
    session: TreatmentSession | None
    patient: Patient
    site: Site
    clinician: User
    starts_at: dt.datetime

    @property
    def state(self) -> str:
        if self.appointment is not None:
            return state_of(self.appointment)
        assert self.session is not None
        return "signed" if self.session.status == SessionStatus.SIGNED else "in_treatment"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(self.site.zone)

    @property
    def key(self) -> str:
        """The id of the visit's line on the page."""
        kept = self.appointment or self.session
        assert kept is not None
        return f"visit-{kept.public_id}"


def _today_in_its_zone(when: dt.datetime, site: Site, now: dt.datetime) -> bool:
    return when.astimezone(site.zone).date() == now.astimezone(site.zone).date()


def day_board(
    *,
    clinician: User | None = None,
    sites: Sequence[Site] | None = None,
    now: dt.datetime | None = None,
) -> list[Visit]:
    """Today's visits, each on its site's date, in time order: the appointments of
    `clinician` (or at `sites`) whatever their status, and the sessions started today
    with no appointment (walk-ins), not voided. Two queries whatever the count."""
    now = now or timezone.now()
    window = {"gt": now - LONGEST, "lt": now + LONGEST}
    appts = Appointment.objects.filter(
        starts_at__gt=window["gt"], starts_at__lt=window["lt"]
    ).select_related("site", "patient", "practitioner", "treatment_type", "session", "plan")
    walk_ins = (
        TreatmentSession.objects.filter(started_at__gt=window["gt"], started_at__lt=window["lt"])
        .exclude(status=SessionStatus.VOIDED)
        .exclude(Exists(Appointment.objects.filter(session=OuterRef("pk"))))
        .select_related("site", "patient", "performed_by")
    )
    if clinician is not None:
        appts = appts.filter(practitioner=clinician)
        walk_ins = walk_ins.filter(performed_by=clinician)
    if sites is not None:
        appts = appts.filter(site__in=sites)
        walk_ins = walk_ins.filter(site__in=sites)
    visits = [
        Visit(a, a.session, a.patient, a.site, a.practitioner, a.starts_at)
        for a in appts
        if _today_in_its_zone(a.starts_at, a.site, now)
    ] + [
        Visit(None, s, s.patient, s.site, s.performed_by, s.started_at)
        for s in walk_ins
        if _today_in_its_zone(s.started_at, s.site, now)
    ]
    return sorted(visits, key=lambda v: (v.starts_at, v.key))


def counts(visits: Sequence[Visit]) -> list[tuple[str, int]]:
    """How many visits are in each state, in the chips' order, the states present only."""
    found: dict[str, int] = {}
    for visit in visits:
        found[visit.state] = found.get(visit.state, 0) + 1
    return [(STATE_LABELS[s], found[s]) for s in STATE_LABELS if s in found]


@dataclass(frozen=True)
class Actions:
    """What the viewer may do about a visit from the day, each through the endpoint the
    appointment's page uses (scheduling.visit_views, views.appointment_status)."""

    check_in: bool
    no_show: bool
    start: bool


def actions_for(visit: Visit, user: User, now: dt.datetime | None = None) -> Actions:
    """No query: the refusals read the appointment and its loaded session."""
    appt = visit.appointment
    if appt is None:
        return Actions(False, False, False)
    now = now or timezone.now()
    book = roles.can(user, access.BOOK)
    waiting = appt.arrived_at is None and not visits.has_live_session(appt)
    return Actions(
        check_in=book and waiting and visits.check_in_refusal(appt) is None,
        # The service refuses a no-show before the start: the button waits for it too.
        no_show=book and waiting and appt.status in REMINDABLE and appt.starts_at <= now,
        start=roles.can(user, access.TREAT) and visits.start_refusal(appt) is None,
    )


def visit_of(appt: Appointment) -> Visit:
    """The day's line of one appointment (loaded with its site, patient and session)."""
    return Visit(appt, appt.session, appt.patient, appt.site, appt.practitioner, appt.starts_at)
