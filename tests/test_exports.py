"""The owner's export of the whole organization: what is in it, who may have it."""

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing.models import Invoice
from mesoclinic.exports import crypto, services
from mesoclinic.exports.models import ExportJob, Status
from mesoclinic.photos.models import Photo
from mesoclinic.photos.storage import photo_storage
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import TreatmentSession
from tests.factories import (
    client_for,
    make_event,
    make_session,
    make_user,
    receive_lot,
    record_allergy,
    run_worker,
    take_baseline_photos,
)

PASSPHRASE = "correct horse battery staple"
LIST = reverse("export_list")


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def clinic(org, site, owner, practitioner, patient, signed_consent, make_patient):
    """A small clinic with one of every record an export carries, and a formula name."""
    tricky = make_patient(first_name="=HYPERLINK(1)", last_name="Formula")
    record_allergy(org, patient, practitioner, substance="lidocaine")
    lot = receive_lot(org, site, practitioner)
    session = make_session(org, patient, site, practitioner, lot=lot)
    TreatmentSession.all_orgs.filter(pk=session.pk).update(
        status="signed", signed_at=timezone.now(), signed_by=practitioner
    )
    take_baseline_photos(org, practitioner, session)
    make_event(org, patient, practitioner)
    with acting_for(org):
        invoice = Invoice.objects.create(
            patient=patient, site=site, kind="invoice", currency=org.currency,
            total_net=Decimal("120.00"), total_gross=Decimal("120.00"), changed_by=practitioner,
        )  # fmt: skip
    Invoice.all_orgs.filter(pk=invoice.pk).update(
        status="issued", number=1, issued_at=timezone.now(), issued_by=practitioner
    )
    return {"patient": patient, "tricky": tricky, "session": session}


@pytest.fixture
def their_patient(other_org, outsider):
    from mesoclinic.patients.models import Patient, Sex

    with acting_for(other_org):
        return Patient.objects.create(
            first_name="Zebedee", last_name="Elsewhere", date_of_birth="1970-01-01",
            sex=Sex.MALE, created_by=outsider,
        )  # fmt: skip


def _start(client, key=None, **changes):
    form = {
        "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE,
        "submission_key": str(key or uuid.uuid4()),
    }
    form.update(changes)
    return client.post(LIST, form)


def _export(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _start(client_for(owner)).status_code == 302
    run_worker()
    return ExportJob.all_orgs.get()


def _open(job, passphrase=PASSPHRASE) -> zipfile.ZipFile:
    plain = io.BytesIO()
    with services.file_of(job).open("rb") as sealed:
        crypto.decrypt(sealed, plain, passphrase)
    return zipfile.ZipFile(plain)


@pytest.fixture
def exported(clinic, their_patient, owner, django_capture_on_commit_callbacks):
    job = _export(owner, django_capture_on_commit_callbacks)
    return job, _open(job)


def test_the_export_decrypts_with_the_passphrase_and_not_another(exported):
    job, archive = exported
    assert job.status == Status.DONE
    assert {"manifest.json", "README.txt"} <= set(archive.namelist())
    with pytest.raises(crypto.WrongPassphrase):
        _open(job, "not the passphrase at all")
    assert b"Anna" not in services.file_of(job).read_bytes()


def test_it_holds_every_record_type_with_its_count(exported, org):
    _job, archive = exported
    manifest = json.loads(archive.read("manifest.json"))
    counts = manifest["counts"]
    assert counts["fhir"]["Patient"] == 2
    assert counts["fhir"]["AllergyIntolerance"] == 1
    # The signed treatment consent, and the photo consent the baseline photos were taken under.
    assert counts["fhir"]["Consent"] == 2
    assert counts["fhir"]["Procedure"] == 1
    assert counts["fhir"]["MedicationAdministration"] == 1
    assert counts["fhir"]["AdverseEvent"] == 1
    for table in ("patients", "allergies", "consents", "sessions", "charted-areas", "lots"):
        assert counts["csv"][table] == (2 if table == "patients" else 1), table
    assert counts["csv"]["adverse-events"] == 1
    assert counts["csv"]["invoices"] == 1
    assert counts["pdf"] == {"consents": 1, "invoices": 1}
    with acting_for(org):
        assert counts["photos"] == Photo.objects.count() > 0
    assert (
        archive.read(next(n for n in archive.namelist() if n.startswith("pdf/consents/")))[:4]
        == b"%PDF"
    )
    for name, member in manifest["files"].items():
        assert len(archive.read(name)) == member["size"], name


def test_csv_cells_are_neutralised_and_name_rows_by_public_id(exported, clinic):
    _job, archive = exported
    text = archive.read("csv/patients.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    firsts = {row["First name"] for row in rows}
    assert "'=HYPERLINK(1)" in firsts and "=HYPERLINK(1)" not in firsts
    assert {row["Id"] for row in rows} == {
        str(clinic["patient"].public_id),
        str(clinic["tricky"].public_id),
    }
    assert "ID" not in rows[0] and "Organization" not in rows[0]


def test_photos_are_the_decrypted_originals(exported, org):
    _job, archive = exported
    storage = photo_storage()
    with acting_for(org):
        photos = list(Photo.objects.select_related("patient"))
    for photo in photos:
        name = f"photos/{photo.patient.public_id}/{photo.public_id}.jpg"
        assert archive.read(name) == storage.read(photo.original_name)


def test_every_fhir_line_validates(exported):
    _job, archive = exported
    names = [n for n in archive.namelist() if n.startswith("fhir/")]
    assert "fhir/Patient.ndjson" in names and "fhir/Consent.ndjson" in names
    for name in names:
        kind = name.removeprefix("fhir/").removesuffix(".ndjson")
        for line in archive.read(name).decode().splitlines():
            resource = get_fhir_model_class(kind).model_validate_json(line)
            assert resource.get_resource_type() == kind


def test_another_organizations_data_is_never_in_it(exported):
    _job, archive = exported
    for name in archive.namelist():
        assert b"Zebedee" not in archive.read(name), name
        assert b"Other Clinic" not in archive.read(name), name


def test_request_download_and_task_are_each_audited(exported, owner):
    job, _archive = exported
    client_for(owner).get(reverse("export_download", args=[job.public_id]))
    events = AuditEvent.objects.filter(object_type="exportjob", object_id=str(job.public_id))
    details = list(events.order_by("pk").values_list("detail", flat=True))
    assert details[0] == "export requested"
    assert "FHIR resources" in details[1] and "photos" in details[1]
    assert details[2] == "export downloaded"
    assert len(details) == 3


def test_the_download_streams_the_file_unstored(exported, owner):
    job, _archive = exported
    response = client_for(owner).get(reverse("export_download", args=[job.public_id]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content) == services.file_of(job).read_bytes()
    job.refresh_from_db()
    assert job.downloads == 1


def test_a_deleted_export_cannot_be_downloaded(exported, owner):
    job, _archive = exported
    client = client_for(owner)
    client.post(reverse("export_delete", args=[job.public_id]))
    assert not services.file_of(job).exists() or job.path == ""
    assert client.get(reverse("export_download", args=[job.public_id])).status_code == 404


def test_an_expired_export_cannot_be_downloaded(exported, owner):
    job, _archive = exported
    ExportJob.all_orgs.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    response = client_for(owner).get(reverse("export_download", args=[job.public_id]))
    assert response.status_code == 404


def test_the_daily_purge_deletes_expired_files_only_and_audits_it(exported, owner):
    from django.core.management import call_command

    from mesoclinic.notifications.management.commands import worker

    job, _archive = exported
    path = services.file_of(job)
    call_command("purge-exports", verbosity=0)
    assert path.exists()  # still within its seven days
    ExportJob.all_orgs.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    worker.prune_once()  # what the worker runs once a day
    job.refresh_from_db()
    assert not path.exists() and job.status == "deleted" and job.path == ""
    event = AuditEvent.objects.filter(object_id=str(job.public_id)).latest("id")
    assert event.detail == "export file deleted: expired" and event.actor is None
    page = client_for(owner).get(reverse("export_list")).content.decode()
    assert "File deleted" in page


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_the_owner_opens_the_export_pages(role, personas, org, owner):
    with acting_for(org):
        job = ExportJob.objects.create(requested_by=owner, submission_key=uuid.uuid4())
    client = client_for(personas[role])
    for name in ("export_progress", "export_download"):
        assert client.get(reverse(name, args=[job.public_id])).status_code == 403
    assert client.get(LIST).status_code == 403
    assert _start(client).status_code == 403
    assert client.post(reverse("export_delete", args=[job.public_id])).status_code == 403
    assert ExportJob.all_orgs.count() == 1


def test_another_organizations_owner_finds_no_job(org, owner, outsider):
    with acting_for(org):
        job = ExportJob.objects.create(requested_by=owner, submission_key=uuid.uuid4())
    client = client_for(outsider)
    for name in ("export_progress", "export_download"):
        assert client.get(reverse(name, args=[job.public_id])).status_code == 404
    assert client.post(reverse("export_delete", args=[job.public_id])).status_code == 404
    assert str(job.public_id) not in client.get(LIST).content.decode()


def test_a_portal_patient_gets_404(org, patient, owner):
    from mesoclinic.accounts.roles import Role

    me = make_user(org, Role.PATIENT, "anna@example.com", "Anna García")
    assert client_for(me).get(LIST).status_code == 404


def test_the_passphrase_must_be_long_and_typed_twice(owner):
    client = client_for(owner)
    short = _start(client, passphrase="short", passphrase_again="short")
    assert short.status_code == 400
    assert "at least 12" in short.content.decode()
    differ = _start(client, passphrase_again=PASSPHRASE + "x")
    assert differ.status_code == 400
    assert "passphrases differ" in differ.content.decode()
    assert ExportJob.all_orgs.count() == 0


def test_the_queue_never_holds_the_passphrase(owner, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        _start(client_for(owner))
    queued = DBTaskResult.objects.get()
    assert PASSPHRASE not in json.dumps(queued.args_kwargs)


def test_a_double_submit_creates_one_job(owner, django_capture_on_commit_callbacks):
    client, key = client_for(owner), uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, key)
        _start(client, key)
    assert ExportJob.all_orgs.count() == 1


def test_progress_partial_polls_while_running(org, owner):
    with acting_for(org):
        job = ExportJob.objects.create(
            requested_by=owner, submission_key=uuid.uuid4(), status=Status.RUNNING,
            step="Photos", steps_done=3, steps_total=12,
        )  # fmt: skip
    response = client_for(owner).get(reverse("export_progress", args=[job.public_id]))
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "25%" in html and "Photos" in html
    ExportJob.all_orgs.filter(pk=job.pk).update(status=Status.DONE)
    done = client_for(owner).get(reverse("export_progress", args=[job.public_id]))
    assert "hx-trigger" not in done.content.decode()


def test_a_failed_export_shows_its_error(owner, monkeypatch, django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.archive, "build", broken)
    with django_capture_on_commit_callbacks(execute=True):
        _start(client_for(owner))
    job = ExportJob.all_orgs.get()
    with pytest.raises(RuntimeError):
        services.run(job.pk, PASSPHRASE)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    page = client_for(owner).get(LIST).content.decode()
    assert "disk full" in page


@pytest.mark.parametrize("jobs", [1, 30])
def test_the_list_runs_a_bounded_number_of_queries(jobs, org, owner, django_assert_max_num_queries):
    with acting_for(org):
        for _ in range(jobs):
            ExportJob.objects.create(requested_by=owner, submission_key=uuid.uuid4())
    client = client_for(owner)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200


def test_the_command_writes_an_export(clinic, org, tmp_path):
    from django.core.management import call_command

    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    out = tmp_path / "out.enc"
    call_command("export", org=str(org.pk), passphrase_file=secret, out=out)
    plain = tmp_path / "out.zip"
    call_command("export-decrypt", str(out), str(plain), passphrase_file=secret)
    manifest = json.loads(zipfile.ZipFile(plain).read("manifest.json"))
    assert manifest["counts"]["fhir"]["Patient"] == 2
