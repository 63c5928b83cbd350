"""What the diary shows on pages that compose several apps (the patient chart, the day)."""

import datetime as dt
from typing import Any

from django.utils import timezone

from mesoclinic.accounts.models import User
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import HOLDS_SLOT, LONGEST, Appointment

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


def day_of(practitioner: User, now: dt.datetime | None = None) -> list[Appointment]:
    """The practitioner's appointments that start today, each in its site's time zone, and
    still hold a slot (not cancelled, not a no-show), in time order: one query.

    Today in any zone began less than a day (25 hours on a DST day) before now and ends
    less than one after, so that window is read and each row kept if its own site's date
    is today; a practitioner working at sites in two zones has two todays.
    """
    now = now or timezone.now()
    rows = (
        Appointment.objects.filter(
            practitioner=practitioner,
            status__in=HOLDS_SLOT,
            starts_at__gt=now - LONGEST,
            starts_at__lt=now + LONGEST,
        )
        .select_related("site", "patient", "treatment_type")
        .order_by("starts_at")
    )
    return [a for a in rows if a.local_start().date() == now.astimezone(a.site.zone).date()]
