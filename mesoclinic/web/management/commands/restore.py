"""`mesoclinic restore ARCHIVE [--force]`: a backup back into the configured installation."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from mesoclinic import backup
from mesoclinic.web.management.commands.backup import source


class Command(BaseCommand):
    help = "Restore a backup made by `mesoclinic backup`, after checking every checksum."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the .tar file `mesoclinic backup` wrote")
        parser.add_argument(
            "--force", action="store_true", help="replace a database or photos already there"
        )
        parser.add_argument(
            "--check", action="store_true", help="only verify the archive; restore nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"]).resolve()
        try:
            if options["check"]:
                manifest = backup.verify(archive)
                self.stdout.write(f"{archive} is intact ({len(manifest['files']):,} files).")
                return
            empty = not connection.introspection.table_names()
            connection.close()
            manifest = backup.restore(
                archive, source(), database_empty=empty, force=options["force"]
            )
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} ({len(manifest['files']):,} "
            "files checked). Restart the server so it reads the restored keys."
        )
