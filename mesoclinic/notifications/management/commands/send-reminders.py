"""`mesoclinic send-reminders [--inline]`: one reminder scan.

The worker runs this scan every minute by itself; the command is for a cron
job, for a clinic that runs no worker (`--inline` sends at once), and for
looking at what is due.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mesoclinic.notifications import services, tasks


class Command(BaseCommand):
    help = "Create the reminder emails that have come due and queue them (or send them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inline", action="store_true", help="send now in this process, without the worker"
        )

    def handle(self, *args: Any, inline: bool, **options: Any) -> None:
        if not inline:
            count = tasks.enqueue_due()
            self.stdout.write(f"{count} reminder(s) queued for the worker.")
            return
        outcomes: dict[str, int] = {}
        for reminder_id in services.scan():
            outcome = services.send(reminder_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        summary = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "nothing due"
        self.stdout.write(f"Reminders: {summary}.")
