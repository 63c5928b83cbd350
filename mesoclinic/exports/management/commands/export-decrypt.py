"""`mesoclinic export-decrypt IN OUT --passphrase-file F`: the export's zip, decrypted."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesoclinic.exports import crypto


class Command(BaseCommand):
    help = "Decrypt an export file into its zip archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path)
        parser.add_argument("out", type=Path)
        parser.add_argument("--passphrase-file", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        passphrase = options["passphrase_file"].read_text().strip("\n")
        out: Path = options["out"]
        try:
            with options["source"].open("rb") as src, out.open("wb") as dst:
                crypto.decrypt(src, dst, passphrase)
        except crypto.WrongPassphrase as error:
            out.unlink(missing_ok=True)
            raise CommandError(str(error)) from None
        self.stdout.write(f"Wrote {out}.")
