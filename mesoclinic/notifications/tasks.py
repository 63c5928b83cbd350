"""Background tasks, run by `mesoclinic worker` (django-tasks, database backend)."""

from datetime import datetime

from django_tasks import task

from mesoclinic.notifications import services


@task()
def send_reminder(reminder_id: int) -> str:
    return services.send(reminder_id)


def enqueue_due(now: datetime | None = None) -> int:
    """Create the reminders that have come due and queue one task each."""
    ids = services.scan(now)
    for reminder_id in ids:
        send_reminder.enqueue(reminder_id)
    return len(ids)
