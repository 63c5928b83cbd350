"""`mesoclinic backup [--to FILE]`: the database, the photos and the keys in one archive."""

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from mesoclinic import backup
from mesoclinic.release import digest


def source() -> backup.Source:
    """The running installation, as settings describe it."""
    photos: dict[str, Any] = settings.STORAGES["photos"]["OPTIONS"]  # type: ignore[assignment]
    location = photos.get("inner_options", {}).get("location")
    files = photos.get("inner") == "django.core.files.storage.FileSystemStorage"
    return backup.Source(
        data_dir=Path(settings.DATA_DIR),
        database=dict(settings.DATABASES["default"]),
        photo_dir=Path(location) if files and location else None,
        keys={"secret_key": settings.SECRET_KEY, "photo_key": photos["key"]},
    )


class Command(BaseCommand):
    help = "Back up the database, the photos and the keys into one checked archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", help="archive to write (default: <data dir>/backups/mesoclinic-<time>.tar)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        default = Path(settings.DATA_DIR) / "backups" / f"mesoclinic-{stamp}.tar"
        archive = Path(options["to"]).resolve() if options["to"] else default
        connection.ensure_connection()
        try:
            manifest = backup.create(source(), connection.connection, archive, digest())
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        files = manifest["files"]
        photos = sum(1 for name in files if name.startswith("photos/"))
        self.stdout.write(
            f"Backed up to {archive}: the database, {photos:,} photo files and the keys "
            f"({archive.stat().st_size / 1e6:,.1f} MB). It holds the photo key: keep it as "
            "safe as the server."
        )
        if manifest["photos"] != "included":
            self.stdout.write("Photos are kept in external storage: back that store up too.")
