"""Photos for teaching or marketing: only those the patients consented to, nameless.

An export takes the screen image of every photo that is not voided, of every patient
whose consent of that purpose is live at the moment of the export: a photo whose
patient consented only to the clinical record is never in it, and a consent revoked a
minute ago takes the patient's photos out of the next export. Files and the manifest
carry a pseudonym drawn afresh for each export (patient 1, 2, ...), never a name, a date
of birth or an id; the one audit event lists the photos exported, so the clinic can
still say whose photo went where.

The archive is built in memory: decrypted photos never touch the disk. An export is
capped at `MAX_PHOTOS` photos (narrow it by view).
"""

import io
import random
import zipfile
from dataclasses import dataclass

from django.utils import timezone

from mesoclinic import spreadsheet
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.photos import catalogue, consent
from mesoclinic.photos.models import ConsentScope, Photo
from mesoclinic.photos.storage import photo_storage

PURPOSES = (ConsentScope.TEACHING, ConsentScope.MARKETING)
MAX_PHOTOS = 300
OWNERS_ONLY = "Only the clinic's owner exports photos."


class ExportRefused(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Selection:
    purpose: str
    view: str
    photos: list[Photo]  # in the export
    excluded: int  # photos of the view(s) left out: no live consent of this purpose
    patients: int

    @property
    def too_many(self) -> bool:
        return len(self.photos) > MAX_PHOTOS


def select(user: User, purpose: str, view: str = "") -> Selection:
    """What an export would hold now (two queries, whatever the number of photos)."""
    roles.check(user, roles.EXPORT_PHOTOS, OWNERS_ONLY)
    if purpose not in PURPOSES:
        raise ExportRefused("Choose teaching or marketing.", field="purpose")
    if view and view not in catalogue.BY_SLUG:
        raise ExportRefused("Choose a view from the list, or every view.", field="view")
    allowed = consent.consented_patient_ids(purpose)
    shown = Photo.objects.filter(voided_at__isnull=True)
    if view:
        shown = shown.filter(view=view)
    photos = list(shown.order_by("patient_id", "taken_at", "id"))
    included = [p for p in photos if p.patient_id in allowed]
    return Selection(
        purpose=purpose,
        view=view,
        photos=included,
        excluded=len(photos) - len(included),
        patients=len({p.patient_id for p in included}),
    )


def archive(user: User, purpose: str, view: str = "") -> tuple[bytes, Selection]:
    """The ZIP of the export and what it holds; one audit event names every photo."""
    selection = select(user, purpose, view)
    if not selection.photos:
        raise ExportRefused("No photo can be exported for this purpose: no patient consented.")
    if selection.too_many:
        raise ExportRefused(
            f"{len(selection.photos):,} photos: more than {MAX_PHOTOS} in one export. "
            "Choose one view.",
            field="view",
        )
    pseudonyms = _pseudonyms(selection.photos)
    ordered = sorted(selection.photos, key=lambda p: (pseudonyms[p.patient_id], p.taken_at))
    storage = photo_storage()
    manifest = io.StringIO()
    rows = spreadsheet.Writer(manifest)
    rows.writerow(["file", "patient", "view", "taken"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zipped:
        for number, photo in enumerate(ordered, start=1):
            taken = timezone.localtime(photo.taken_at)
            name = f"{purpose}/{number:04d}-{photo.view}-{taken:%Y-%m}.jpg"
            zipped.writestr(name, storage.read(photo.screen_name))
            rows.writerow(
                [
                    name,
                    f"Patient {pseudonyms[photo.patient_id]}",
                    photo.view_label,
                    f"{taken:%b %Y}",
                ]
            )
        zipped.writestr(f"{purpose}/manifest.csv", manifest.getvalue())
    record(
        user,
        Action.EXPORT,
        object_type="photo",
        fields=[str(p.public_id) for p in selection.photos],
        detail=(
            f"{purpose} export: {len(selection.photos)} photos of {selection.patients} patients"
        ),
    )
    return buffer.getvalue(), selection


def _pseudonyms(photos: list[Photo]) -> dict[int, int]:
    """Patient 1, 2, ... in an order drawn for this export, so numbers do not follow
    the order patients were registered in and differ from one export to the next."""
    patients = sorted({p.patient_id for p in photos})
    random.SystemRandom().shuffle(patients)
    return {patient: n for n, patient in enumerate(patients, start=1)}
