"""The export archive: one zip, written straight through the encryption (`crypto.Sealer`)
onto disk, member by member, so memory stays bounded by a chunk of rows or one photo.

Members: ``fhir/<Type>.ndjson`` (FHIR R4B, one resource a line, every type the FHIR
layer serves), ``csv/<table>.csv``, ``pdf/consents/<id>.pdf`` and
``pdf/invoices/<id>.pdf`` (one per signed consent and issued invoice or credit note),
``photos/<patient id>/<photo id>.<ext>`` (the decrypted originals), ``manifest.json``
and ``README.txt``. Runs inside `acting_for(organization)`: the scoped managers read this
organization's rows and no other's.
"""

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.utils import timezone

from mesoclinic.accounts.models import Organization
from mesoclinic.billing import invoice_document
from mesoclinic.billing.models import Invoice, InvoiceStatus
from mesoclinic.exports import crypto, tables
from mesoclinic.fhir.kinds import KINDS, Kind
from mesoclinic.photos.models import Photo
from mesoclinic.photos.storage import photo_storage
from mesoclinic.plans import consent_document
from mesoclinic.plans.models import Consent
from mesoclinic.release import digest

BATCH = 200
# What the task reports after each step: the step's name, steps done, steps in all.
Progress = Callable[[str, int, int], None]

README = """\
This is every record {organization} keeps in mesoclinic, exported on {generated_at}.

fhir/        One file per FHIR R4 resource type, one resource per line (NDJSON).
csv/         One spreadsheet per table; "(id)" columns name another row by its Id.
pdf/         The signed consents and the issued invoices and credit notes.
photos/      The clinical photographs as taken, one folder per patient (by Id).
manifest.json  How many records of each kind, and the SHA-256 of every file here.

It holds health data: keep it encrypted, and delete it when it has served.
"""


@dataclass
class Counts:
    fhir: dict[str, int] = field(default_factory=dict)
    csv: dict[str, int] = field(default_factory=dict)
    pdf: dict[str, int] = field(default_factory=dict)
    photos: int = 0

    def summary(self) -> str:
        resources = sum(self.fhir.values())
        rows = sum(self.csv.values())
        pdfs = sum(self.pdf.values())
        return f"{resources} FHIR resources, {rows} table rows, {pdfs} PDFs, {self.photos} photos"


class _Archive:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.members: dict[str, dict[str, Any]] = {}

    def write(self, name: str, chunks: Iterable[bytes]) -> None:
        digest, size = hashlib.sha256(), 0
        with self.zf.open(name, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.members[name] = {"sha256": digest.hexdigest(), "size": size}


def _batches(kind: Kind) -> Iterator[list[Any]]:
    for queryset in kind.sources():
        batch: list[Any] = []
        for row in queryset.iterator(chunk_size=BATCH):
            batch.append(row)
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _ndjson(kind: Kind, counts: Counts) -> Iterator[bytes]:
    counts.fhir[kind.name] = 0
    for batch in _batches(kind):
        lines = [resource.model_dump_json() for resource in kind.resources(batch)]
        counts.fhir[kind.name] += len(lines)
        yield ("\n".join(lines) + "\n").encode()


def _csv(table: tables.Table, counts: Counts) -> Iterator[bytes]:
    text = io.StringIO()
    counts.csv[table.name] = tables.write(table, text)
    # A table's CSV is held once as text; the largest (charted areas) stays a few MB.
    yield text.getvalue().encode("utf-8-sig")


def _consents() -> Iterator[Consent]:
    rows = Consent.objects.select_related("patient", "template", "countersigned_by")
    yield from rows.filter(patient_signed_at__isnull=False).order_by("pk").iterator(BATCH)


def _invoices() -> Iterator[Invoice]:
    rows = Invoice.objects.select_related("patient", "site", "issued_by", "credits", "session")
    yield from rows.filter(status=InvoiceStatus.ISSUED).order_by("pk").iterator(BATCH)


def _photo_name(photo: Photo) -> str:
    ext = "png" if photo.mime == "image/png" else "jpg"
    return f"photos/{photo.patient.public_id}/{photo.public_id}.{ext}"


def _fhir_step(archive: _Archive, kind: Kind, counts: Counts) -> None:
    archive.write(f"fhir/{kind.name}.ndjson", _ndjson(kind, counts))


def _csv_step(archive: _Archive, table: tables.Table, counts: Counts) -> None:
    archive.write(f"csv/{table.name}.csv", _csv(table, counts))


def _write_all(archive: _Archive, organization: Organization, progress: Progress) -> Counts:
    counts = Counts()
    steps: list[tuple[str, Callable[[], None]]] = []
    for kind in KINDS.values():
        steps.append((f"FHIR {kind.name}", partial(_fhir_step, archive, kind, counts)))
    for table in tables.TABLES:
        steps.append((f"Table of {table.name}", partial(_csv_step, archive, table, counts)))

    def consents() -> None:
        counts.pdf["consents"] = 0
        for consent in _consents():
            pdf = consent_document.pdf(consent, organization)
            archive.write(f"pdf/consents/{consent.public_id}.pdf", [pdf])
            counts.pdf["consents"] += 1

    def invoices() -> None:
        counts.pdf["invoices"] = 0
        for invoice in _invoices():
            pdf = invoice_document.pdf(invoice, organization)
            archive.write(f"pdf/invoices/{invoice.public_id}.pdf", [pdf])
            counts.pdf["invoices"] += 1

    def photos() -> None:
        storage = photo_storage()
        rows = Photo.objects.select_related("patient").order_by("pk")
        for photo in rows.iterator(BATCH):
            archive.write(_photo_name(photo), [storage.read(photo.original_name)])
            counts.photos += 1

    steps += [("Consent PDFs", consents), ("Invoice PDFs", invoices), ("Photos", photos)]
    for done, (label, run) in enumerate(steps):
        progress(label, done, len(steps) + 1)
        run()
    progress("Encrypting and finishing", len(steps), len(steps) + 1)
    return counts


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{version('mesoclinic')} ({digest()})"
    except PackageNotFoundError:
        return digest()


def build(organization: Organization, out: Path, passphrase: str, progress: Progress) -> Counts:
    """Write the encrypted archive of `organization` to `out` (in its `acting_for`)."""
    generated_at = timezone.now().isoformat(timespec="seconds")
    with out.open("wb") as raw:
        sealer = crypto.Sealer(raw, passphrase)
        with zipfile.ZipFile(sealer, "w", zipfile.ZIP_DEFLATED) as zf:
            archive = _Archive(zf)
            counts = _write_all(archive, organization, progress)
            readme = README.format(organization=organization.name, generated_at=generated_at)
            archive.write("README.txt", [readme.encode()])
            manifest = {
                "organization": organization.name,
                "generated_at": generated_at,
                "app_version": _version(),
                "counts": {
                    "fhir": counts.fhir,
                    "csv": counts.csv,
                    "pdf": counts.pdf,
                    "photos": counts.photos,
                },
                "files": archive.members,
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        sealer.close()
    return counts
