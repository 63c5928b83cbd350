"""Booking services: the only code that creates, moves or cancels appointments."""

from django.db.models import QuerySet

from mesoclinic.scheduling.models import REMINDABLE, Appointment


def active_appointments(*, all_orgs: bool = False) -> QuerySet[Appointment]:
    """Booked or confirmed appointments: the ones reminders are for.

    ``all_orgs=True`` is for a worker running outside any request; otherwise the
    query is scoped to the current organization like every other.
    """
    manager = Appointment.all_orgs if all_orgs else Appointment.objects
    return manager.filter(status__in=REMINDABLE)
