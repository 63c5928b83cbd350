"""`mesoclinic purge-exports`: delete the files of exports past their expiry.

`mesoclinic worker` runs it once a day; a server without the worker can run it from cron.
"""

from typing import Any

from django.core.management.base import BaseCommand

from mesoclinic.exports import services


class Command(BaseCommand):
    help = "Delete the files of organization exports past their expiry (7 days)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.purge_expired()
        if options["verbosity"]:
            self.stdout.write(f"{count} expired export file(s) deleted.")
