"""The words of text messages. Shorter than the emails and as discreet: a text is read
on a lock screen, so it names the clinic, the day and the time, never a treatment,
area, product or dose; a portal link when the clinic has a public address."""

from mesoclinic.notifications import emails
from mesoclinic.notifications.models import Kind, Reminder
from mesoclinic.scheduling.models import Appointment
from mesoclinic.treatments.models import TreatmentSession


def _call(phone: str) -> str:
    return f"call {phone}" if phone else "contact the clinic"


def _with_link(text: str, link: str) -> str:
    return f"{text} {link}" if link else text


def for_appointment(reminder: Reminder, appointment: Appointment) -> str:
    site = appointment.site
    start = appointment.starts_at.astimezone(site.zone)
    when = f"{start:%a} {start.day} {start:%b} at {start:%H:%M}"
    clinic = reminder.organization.name
    if reminder.kind == Kind.REMINDER:
        text = (
            f"{clinic}: reminder of your appointment on {when}, {site.name}. "
            f"To change it, {_call(site.phone)}."
        )
        return _with_link(text, emails.portal_link(appointment.patient, "portal_appointments"))
    day = f"{start:%a} {start.day} {start:%b}"
    text = (
        f"{clinic}: how are you after your visit on {day}? "
        f"If anything worries you, {_call(site.phone)}."
    )
    return _with_link(text, emails.portal_link(appointment.patient, "portal_checkin"))


def after_session(reminder: Reminder, session: TreatmentSession) -> str:
    assert session.signed_at is not None  # advice follows a signed session only
    signed = session.signed_at.astimezone(session.site.zone)
    day = f"{signed:%a} {signed.day} {signed:%b}"
    text = (
        f"{reminder.organization.name}: three weeks after your visit on {day}, "
        f"if you notice anything new where you were treated, {_call(session.site.phone)}."
    )
    return _with_link(text, emails.portal_link(session.patient, "portal_checkin"))
