"""The words of reminder emails. Email is not a private channel: no treatment,
area or product is named, only the time and place (and, after a session, the
signs every injection shares)."""

from dataclasses import dataclass

from django.template.loader import render_to_string

from mesoclinic.notifications.models import Kind, Reminder
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
    }
    body = render_to_string(f"notifications/email_{reminder.kind}.txt", context)
    return Message(subject=SUBJECTS[reminder.kind].format(start=signed), body=body)
