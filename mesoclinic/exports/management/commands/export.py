"""`mesoclinic export --org SLUG --passphrase-file F --out PATH`: the owner's export for scripts."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesoclinic.accounts.models import Organization
from mesoclinic.exports import services


class Command(BaseCommand):
    help = "Export an organization's records, PDFs and photos into one encrypted file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organization's name or number.")
        parser.add_argument("--passphrase-file", required=True, type=Path)
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        org = options["org"]
        found = Organization.objects.filter(name=org).first()
        if found is None and org.isdigit():
            found = Organization.objects.filter(pk=int(org)).first()
        if found is None:
            raise CommandError(f"No organization {org!r}.")
        passphrase = options["passphrase_file"].read_text().strip("\n")
        if len(passphrase) < services.MIN_PASSPHRASE:
            raise CommandError(
                f"The passphrase needs at least {services.MIN_PASSPHRASE} characters."
            )
        counts = services.export_now(found, passphrase, options["out"])
        self.stdout.write(f"Wrote {options['out']}: {counts.summary()}.")
