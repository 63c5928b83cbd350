"""The words of reminder emails. Email is not a private channel: no treatment,
area or product is named, only the time and place (and, after a session, the
signs every injection shares)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse

from mesoclinic.notifications.models import Kind, Reminder
from mesoclinic.outcomes import courses
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import Appointment
from mesoclinic.treatments.models import TreatmentSession

SUBJECTS: dict[str, str] = {
    Kind.REMINDER: "Reminder: your appointment on {start:%A %d %B at %H:%M}",
    Kind.CHECK_IN: "How are you after your visit on {start:%A %d %B}?",
    Kind.LATE_INFECTION: "After your visit on {start:%A %d %B}: signs to look out for",
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def compose(reminder: Reminder, appointment: Appointment) -> Message:
    site = appointment.site
    tz = site.zone
    start = appointment.starts_at.astimezone(tz)
    context = {
        "patient": appointment.patient,
        "clinic": reminder.organization.name,
        "site": site,
        # Formatted here: the template engine would turn aware times back into
        # the server's zone, and the patient needs the site's wall-clock time.
        "day": f"{start:%A} {start.day} {start:%B %Y}",
        "start": f"{start:%H:%M}",
        "end": f"{appointment.ends_at.astimezone(tz):%H:%M}",
        "time_zone": tz.key,
        "portal_link": portal_link(appointment.patient, "portal_appointments"),
        "ratings_link": ratings_link(appointment.patient),
    }
    body = render_to_string(f"notifications/email_{reminder.kind}.txt", context)
    return Message(subject=SUBJECTS[reminder.kind].format(start=start), body=body)


def compose_after_session(reminder: Reminder, session: TreatmentSession) -> Message:
    site = session.site
    assert session.signed_at is not None  # advice follows a signed session only
    signed = session.signed_at.astimezone(site.zone)
    context = {
        "patient": session.patient,
        "clinic": reminder.organization.name,
        "out_of_hours": reminder.organization.out_of_hours,
        "site": site,
        "day": f"{signed:%A} {signed.day} {signed:%B %Y}",
        "portal_link": portal_link(session.patient, "portal_checkin"),
        "ratings_link": ratings_link(session.patient),
    }
    body = render_to_string(f"notifications/email_{reminder.kind}.txt", context)
    return Message(subject=SUBJECTS[reminder.kind].format(start=signed), body=body)


def portal_link(patient: object, name: str) -> str:
    """The portal page an email points a patient with a portal account to (the
    appointments, to confirm, cancel or move; the check-in, to say how they are), when
    the clinic has set MESOCLINIC_PUBLIC_URL; empty otherwise."""
    if not settings.PUBLIC_URL or not _has_account(patient):
        return ""
    return settings.PUBLIC_URL + reverse(name)


def _has_account(patient: object) -> bool:
    # The portal's account row, by its reverse relation: notifications sit below it.
    try:
        return getattr(patient, "portal_account", None) is not None
    except ObjectDoesNotExist:
        return False


def ratings_link(patient: Patient) -> str:
    """The portal's ratings page, when the patient has a rating of their own due (patient
    GAIS, PR-SMFRS, pain, satisfaction at the times the protocol sets)."""
    link = portal_link(patient, "portal_scores")
    if not link:
        return ""
    due = courses.due_for(courses.courses_for(patient))
    return link if any(d.instrument.rater == "patient" and not d.late for d in due) else ""
