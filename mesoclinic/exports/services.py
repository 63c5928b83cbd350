"""Requesting, running, downloading and deleting an organization's export.

Owners only (the view checks the role; these take the acting user and audit). The
passphrase is handed to the task and never stored: a lost passphrase is a lost export.
"""

import base64
import hashlib
import uuid
from datetime import datetime
from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from mesoclinic.accounts.models import Organization, User
from mesoclinic.audit.log import Action, record, record_system
from mesoclinic.backup import sha256_of
from mesoclinic.exports import archive
from mesoclinic.exports.models import KEEP_FOR, ExportJob, Status
from mesoclinic.tenancy import acting_for

MIN_PASSPHRASE = 12


def _fernet() -> Fernet:
    # The queue keeps a task's arguments in the database until the worker runs it: the
    # passphrase travels sealed with a key from SECRET_KEY, so a copy of the database
    # alone does not hold it.
    digest = hashlib.sha256(b"mesoclinic-export:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_passphrase(passphrase: str) -> str:
    return _fernet().encrypt(passphrase.encode()).decode()


def open_passphrase(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()


def export_dir() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_export(user: User, passphrase: str, submission_key: uuid.UUID) -> ExportJob:
    """A new job, queued once the transaction commits; the same form twice: the same job."""
    from mesoclinic.exports.tasks import build_export

    existing = ExportJob.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                organization_id=user.organization_id,
                requested_by=user,
                submission_key=submission_key,
            )
            record(user, Action.EXPORT, job, object_type="exportjob", detail="export requested")
    except IntegrityError:
        return ExportJob.objects.get(submission_key=submission_key)
    sealed = seal_passphrase(passphrase)
    transaction.on_commit(lambda: build_export.enqueue(job.pk, sealed))
    return job


def run(job_id: int, passphrase: str) -> ExportJob:
    """Build the job's archive (the task's body), recording progress as it goes."""
    job = ExportJob.all_orgs.select_related("organization").get(pk=job_id)
    if job.status != Status.QUEUED:
        return job
    with acting_for(job.organization_id):
        return _build(job, passphrase)


def _progress(job: ExportJob) -> archive.Progress:
    def report(step: str, done: int, total: int) -> None:
        job.step, job.steps_done, job.steps_total = step, done, total
        job.save(update_fields=["step", "steps_done", "steps_total"])

    return report


def _build(job: ExportJob, passphrase: str) -> ExportJob:
    job.status, job.started_at = Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    out = export_dir() / f"{job.public_id}.zip.enc"
    try:
        counts = archive.build(job.organization, out, passphrase, _progress(job))
    except Exception as error:
        out.unlink(missing_ok=True)
        job.status, job.finished_at = Status.FAILED, timezone.now()
        job.error = f"The export stopped: {error}"[:2000]
        job.save(update_fields=["status", "finished_at", "error"])
        raise
    job.status, job.finished_at = Status.DONE, timezone.now()
    job.expires_at = job.finished_at + KEEP_FOR
    job.path = str(out.relative_to(Path(settings.DATA_DIR)))
    job.size, job.sha256 = out.stat().st_size, sha256_of(out)
    job.step, job.steps_done = "Finished", job.steps_total
    job.save()
    record_system(
        job.organization_id,
        Action.EXPORT,
        object_type="exportjob",
        object_id=str(job.public_id),
        detail=counts.summary(),
    )
    return job


def file_of(job: ExportJob) -> Path:
    return Path(settings.DATA_DIR) / job.path


def downloaded(user: User, job: ExportJob) -> Path:
    """The file to send; counted and audited."""
    ExportJob.objects.filter(pk=job.pk).update(downloads=job.downloads + 1)
    record(user, Action.EXPORT, job, object_type="exportjob", detail="export downloaded")
    return file_of(job)


def delete_file(user: User, job: ExportJob) -> None:
    if job.path:
        file_of(job).unlink(missing_ok=True)
    job.status, job.path = Status.DELETED, ""
    job.save(update_fields=["status", "path"])
    record(user, Action.CHANGE, job, object_type="exportjob", detail="export file deleted")


def purge_expired(now: datetime | None = None) -> int:
    """Delete the files of finished exports past their expiry (every organization's):
    decrypted or not, a whole clinic's records do not stay on the server longer than
    the page says. The worker runs this once a day; returns how many were deleted."""
    now = now or timezone.now()
    expired = ExportJob.all_orgs.filter(status=Status.DONE, expires_at__lte=now)
    count = 0
    for job in expired:
        if job.path:
            file_of(job).unlink(missing_ok=True)
        changed = ExportJob.all_orgs.filter(pk=job.pk, status=Status.DONE).update(
            status=Status.DELETED, path=""
        )
        if changed:
            count += 1
            record_system(
                job.organization_id,
                Action.CHANGE,
                object_type="exportjob",
                object_id=str(job.public_id),
                detail="export file deleted: expired",
            )
    return count


def export_now(organization: Organization, passphrase: str, out: Path) -> archive.Counts:
    """The command's export: no job, no queue, the file where the caller says."""
    with acting_for(organization):
        counts = archive.build(organization, out, passphrase, lambda *_: None)
    record_system(
        organization.pk,
        Action.EXPORT,
        object_type="organization",
        object_id=str(organization.public_id),
        detail=f"command export: {counts.summary()}",
    )
    return counts
