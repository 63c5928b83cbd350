"""`mesoclinic backup` and `restore`: a backup restored into a fresh data directory holds
every table row, every photo file and the keys, and a damaged archive is refused."""

import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mesoclinic import backup
from mesoclinic.photos.storage import EncryptedStorage
from mesoclinic.web.management.commands.backup import source

# pg_dump reads from its own session, which sees committed rows only; SQLite's backup
# API copies through the test's own connection, uncommitted rows included.
pytestmark = pytest.mark.django_db(transaction=connection.vendor != "sqlite")


@pytest.fixture
def clinic(org, practitioner, patient, consented_plan):
    """A clinic with a patient, a consented plan and two encrypted photo files."""
    photos = storages["photos"]
    photos.save("p/one.jpg", ContentFile(b"\xff\xd8 first photo"))
    photos.save("p/two/thumb.jpg", ContentFile(b"\xff\xd8 second photo"))
    return patient


def _rows(cursor, table):
    cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
    # As text, so Django's converters (datetimes, booleans) and raw SQLite compare alike.
    return sorted(
        tuple(str(int(v) if isinstance(v, bool) else v) for v in row) for row in cursor.fetchall()
    )


def _tables():
    return sorted(t for t in connection.introspection.table_names())


def _restore_target(tmp_path) -> tuple[backup.Source, object]:
    """A fresh installation: its own data dir and an empty database of the same kind."""
    data_dir = tmp_path / "restored"
    database = dict(settings.DATABASES["default"])
    if connection.vendor == "sqlite":
        database["NAME"] = str(data_dir / "mesoclinic.sqlite3")
        target_db = database["NAME"]
    else:
        name = f"{connection.settings_dict['NAME']}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        database["NAME"] = name
        target_db = name
    target = backup.Source(
        data_dir=data_dir, database=database, photo_dir=data_dir / "photos", keys={}
    )
    return target, target_db


def _restored_rows(target_db, tables):
    if connection.vendor == "sqlite":
        import sqlite3

        db = sqlite3.connect(target_db)
        try:
            return {t: _rows(db.cursor(), t) for t in tables}
        finally:
            db.close()
    import psycopg

    params = connection.get_connection_params()
    params["dbname"] = target_db
    params.pop("cursor_factory", None)
    params.pop("context", None)
    from psycopg.types.string import TextLoader

    params["options"] = "-c TimeZone=UTC"  # as Django's own connection reads times
    with psycopg.connect(**params) as db:
        for json_type in ("json", "jsonb"):  # Django reads JSON columns as text
            db.adapters.register_loader(json_type, TextLoader)
        return {t: _rows(db.cursor(), t) for t in tables}


def test_a_backup_restored_into_a_fresh_data_dir_holds_every_row_file_and_key(
    clinic, tmp_path, capsys
):
    archive = tmp_path / "out" / "clinic.tar"
    call_command("backup", "--to", str(archive))
    assert "2 photo files" in capsys.readouterr().out
    assert (archive.stat().st_mode & 0o777) == 0o600
    assert Path(str(archive) + ".sha256").read_text().split()[0] == backup.sha256_of(archive)

    target, target_db = _restore_target(tmp_path)
    backup.restore(archive, target, database_empty=True)

    tables = _tables()
    with connection.cursor() as cursor:
        ours = {t: _rows(cursor, t) for t in tables}
    restored = _restored_rows(target_db, tables)
    assert ours["patients_patient"] and ours == restored

    photo_dir = Path(source().photo_dir)
    originals = sorted(p.relative_to(photo_dir) for p in photo_dir.rglob("*") if p.is_file())
    copies = sorted(
        p.relative_to(target.photo_dir) for p in target.photo_dir.rglob("*") if p.is_file()
    )
    assert originals == copies and len(copies) == 2
    for name in originals:
        assert (photo_dir / name).read_bytes() == (target.photo_dir / name).read_bytes()
    assert (target.data_dir / "secret_key").read_text() == settings.SECRET_KEY
    key = (target.data_dir / "photo_key").read_text()
    reopened = EncryptedStorage(
        key=key,
        inner="django.core.files.storage.FileSystemStorage",
        inner_options={"location": str(target.photo_dir)},
    )
    assert reopened.open("p/one.jpg").read() == b"\xff\xd8 first photo"


def test_a_damaged_backup_is_refused_before_anything_is_written(clinic, tmp_path):
    archive = tmp_path / "clinic.tar"
    call_command("backup", "--to", str(archive))
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    target, _ = _restore_target(tmp_path)
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore(archive, target, database_empty=True)
    assert not (target.data_dir / "photo_key").exists()


def test_a_member_changed_inside_the_archive_is_refused(clinic, tmp_path):
    archive = tmp_path / "clinic.tar"
    call_command("backup", "--to", str(archive))
    Path(str(archive) + ".sha256").unlink()  # the sidecar lost: the manifest still checks
    rebuilt = tmp_path / "rebuilt.tar"
    with tarfile.open(archive) as old, tarfile.open(rebuilt, "w") as new:
        for member in old.getmembers():
            body = old.extractfile(member).read()
            if member.name == "keys/photo_key":
                body = b"not the key"
                member.size = len(body)
            import io

            new.addfile(member, io.BytesIO(body))
    with pytest.raises(CommandError, match="keys/photo_key does not match"):
        call_command("restore", str(rebuilt), "--check")


def test_restoring_over_a_database_that_holds_data_needs_force(clinic, tmp_path):
    archive = tmp_path / "clinic.tar"
    call_command("backup", "--to", str(archive))
    with pytest.raises(CommandError, match="already holds data; add --force"):
        call_command("restore", str(archive))
