"""Guards the database keeps whatever the code does: one session in progress per patient,
one consent per plan version, one adverse event per submitted form.

The races run with real threads and real transactions on whichever database the suite
uses. SQLite's in-memory test database cannot show writers queueing, so on it each
race test re-runs itself in a subprocess against a SQLite file (as the scheduling race
test does).
"""

import os
import threading
import time
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Consent, Plan, second_consent_violation
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import (
    AdverseEvent,
    SessionStatus,
    TreatmentSession,
    one_open_session_violation,
    resubmitted_event_violation,
)
from tests.factories import client_for, in_memory_sqlite, plan_in_status, rerun_on_a_file

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREADS = 10
SIGNATURE = "M10 10 L20 25 L30 12 L45 40 M50 50 L80 60"


def _on_a_file_instead(tmp_path, name: str) -> bool:
    """On in-memory SQLite, run test `name` again on a file and report that it passed."""
    if not in_memory_sqlite():
        return False
    rerun_on_a_file(tmp_path, name, __file__)
    return True


@pytest.fixture
def no_audit(monkeypatch):
    # Audit rows are append-only, even for the flush that ends a transactional test on SQLite.
    monkeypatch.setattr(AuditEvent.objects, "create", lambda **_fields: None)


@pytest.fixture
def flushable_signed_records():
    yield
    # Signed consents and plan versions refuse DELETE, even the flush that ends a
    # transactional test on SQLite (PostgreSQL truncates): the throwaway file database
    # of the rerun drops those triggers first.
    if connection.vendor == "sqlite" and not in_memory_sqlite():
        with connection.cursor() as cursor:
            for name in ("planversion_no_delete", "consent_signed_no_delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _all_at_once(org, work):
    """Run work(n) in THREADS threads released together; return what each returned or raised."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[object] = [None] * THREADS

    def run(n: int) -> None:
        try:
            with acting_for(org):
                barrier.wait(timeout=20)
                outcomes[n] = work(n)
        except Exception as error:  # surfaced by the caller's assertions
            outcomes[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _open_session(patient, site, user, **fields) -> TreatmentSession:
    return TreatmentSession.objects.create(
        patient=patient,
        site=site,
        adhoc_reason="Walk-in touch-up",
        started_at=timezone.now(),
        performed_by=user,
        **fields,
    )


# One session in progress per patient


@pytest.mark.django_db(transaction=True)
def test_ten_desks_starting_a_session_for_one_patient_make_one(
    tmp_path, org, site, practitioner, patient, no_audit
):
    if _on_a_file_instead(tmp_path, "test_ten_desks_starting_a_session_for_one_patient_make_one"):
        return

    def start(n):
        try:
            with transaction.atomic():
                session = _open_session(patient, site, practitioner)
                time.sleep(0.2)  # hold the row: the others queue behind the unique index
                return session
        except IntegrityError as error:
            return "refused" if one_open_session_violation(error) else error

    outcomes = _all_at_once(org, start)
    assert sum(isinstance(o, TreatmentSession) for o in outcomes) == 1, outcomes
    assert outcomes.count("refused") == THREADS - 1, outcomes
    with acting_for(org):
        assert TreatmentSession.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_start_posts_make_one_session(
    tmp_path, org, site, practitioner, patient, no_audit
):
    """The attack: ten POSTs of the session start form at once created ten sessions."""
    name = "test_ten_simultaneous_start_posts_make_one_session"
    if _on_a_file_instead(tmp_path, name):
        return
    url = reverse("session_start_adhoc", args=[patient.public_id])
    form = {
        "reason": "Touch-up agreed at the last visit", "concern": "localized-fat",
        "areas": ["submental"], "pregnancy": "no", "weight_kg": "64", "site": site.pk,
    }  # fmt: skip

    def post(n):
        return client_for(practitioner).post(url, form).status_code

    codes = _all_at_once(org, post)
    assert sorted(codes) == [302] + [400] * (THREADS - 1), codes
    with acting_for(org):
        assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_a_signed_or_voided_session_leaves_room_for_a_new_one(org, site, practitioner, patient):
    with acting_for(org):
        first = _open_session(patient, site, practitioner)
        first.status, first.voided_at, first.void_reason = SessionStatus.VOIDED, timezone.now(), "x"
        first.save()
        second = _open_session(patient, site, practitioner)
        second.status, second.signed_at = SessionStatus.SIGNED, timezone.now()
        second.save()
        assert _open_session(patient, site, practitioner).status == SessionStatus.IN_PROGRESS


def test_two_patients_may_each_have_a_session_in_progress(
    org, site, practitioner, patient, make_patient
):
    with acting_for(org):
        _open_session(patient, site, practitioner)
        _open_session(make_patient(first_name="Bea"), site, practitioner)
        assert TreatmentSession.objects.filter(status="in_progress").count() == 2


def test_a_second_open_session_is_told_apart_from_other_integrity_errors(
    org, site, practitioner, patient
):
    with acting_for(org):
        _open_session(patient, site, practitioner)
        with pytest.raises(IntegrityError) as second, transaction.atomic():
            _open_session(patient, site, practitioner)
        assert one_open_session_violation(second.value)
        # No plan and no reason breaks another constraint: not a second open session.
        session = TreatmentSession(
            patient=patient, site=site, started_at=timezone.now(), performed_by=practitioner
        )
        session.status = SessionStatus.VOIDED
        with pytest.raises(IntegrityError) as other, transaction.atomic():
            session.save()
        assert not one_open_session_violation(other.value)


# One consent per plan version


def _approve(org, practitioner, patient) -> Plan:
    plan = plan_in_status(org, patient, practitioner)
    with acting_for(org):
        plans.approve(practitioner, plan, patient, plan.lock_version)
    return plan


def _sign(org, practitioner, plan) -> Consent:
    with acting_for(org):
        version = plans.latest_version(plan)
        template = consents.template_for()
        text = consents.document_text(version, plan.patient, template, org)
        return consents.sign(practitioner, plan, version, text, template, "Anna García", SIGNATURE)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service_looks_first", [True, False])
def test_ten_tablets_signing_one_plan_version_make_one_consent(
    service_looks_first,
    tmp_path,
    monkeypatch,
    org,
    practitioner,
    patient,
    no_audit,
    flushable_signed_records,
):
    name = "test_ten_tablets_signing_one_plan_version_make_one_consent"
    if _on_a_file_instead(tmp_path, f"{name}[{service_looks_first}]"):
        return
    plan = _approve(org, practitioner, patient)
    with acting_for(org):
        consents.template_for()  # the clinic's first template, made once
    if not service_looks_first:
        # Every tablet passes the service's own look and reaches the database's constraint.
        monkeypatch.setattr(consents, "signed_consent", lambda _version: None)
    outcomes = _all_at_once(org, lambda _n: _sign(org, practitioner, plan))
    assert all(isinstance(o, Consent) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1
    with acting_for(org):
        assert Consent.objects.filter(plan=plan).count() == 1


def test_a_second_unrevoked_consent_for_one_version_is_refused_by_the_database(
    org, practitioner, patient
):
    plan = _approve(org, practitioner, patient)
    first = _sign(org, practitioner, plan)
    with acting_for(org):
        fields = {
            f.attname: getattr(first, f.attname)
            for f in Consent._meta.concrete_fields
            if f.attname not in ("id", "public_id")
        }
        with pytest.raises(IntegrityError) as caught, transaction.atomic():
            Consent.objects.create(**fields)
        assert second_consent_violation(caught.value)
        Consent.objects.filter(pk=first.pk).update(voided_at=timezone.now(), void_reason="x")
        assert Consent.objects.create(**fields).pk != first.pk  # a revoked one makes room


def _inserts(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(f'INSERT INTO "{table}"')]


def test_signing_an_already_signed_version_returns_that_consent_without_writing(
    org, practitioner, patient
):
    plan = _approve(org, practitioner, patient)
    first = _sign(org, practitioner, plan)
    with CaptureQueriesContext(connection) as queries:
        assert _sign(org, practitioner, plan) == first
    assert not _inserts(queries, "plans_consent")
    with acting_for(org):
        assert Consent.objects.count() == 1


def test_the_signing_page_of_a_signed_version_shows_the_consent_instead(org, practitioner, patient):
    plan = _approve(org, practitioner, patient)
    consent = _sign(org, practitioner, plan)
    client = client_for(practitioner)
    url = reverse("consent_new", args=[plan.public_id])
    for response in (client.get(url), client.post(url, {"typed_name": "Anna García"})):
        assert response.status_code == 302
        assert response["Location"] == reverse("consent_detail", args=[consent.public_id])
    page = client.get(reverse("consent_detail", args=[consent.public_id]))
    assert "This plan version is already signed" in page.content.decode()


# One adverse event per submitted form


def _event_data(**changes):
    data = {
        "session": None,
        "event_type": "bruising",
        "area": "submental",
        "onset_on": timezone.localdate(),
        "grade": 1,
        "description": "Bruise at two points",
        "action_taken": "",
        "outcome": "",
        "resolved_on": None,
    }
    return {**data, **changes}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service_looks_first", [True, False])
def test_ten_submissions_of_one_adverse_event_form_record_one_event(
    service_looks_first, tmp_path, monkeypatch, org, practitioner, patient, no_audit
):
    name = "test_ten_submissions_of_one_adverse_event_form_record_one_event"
    if _on_a_file_instead(tmp_path, f"{name}[{service_looks_first}]"):
        return
    if not service_looks_first:
        monkeypatch.setattr(safety, "submitted_event", lambda _patient, _key: None)
    key = uuid.uuid4()
    outcomes = _all_at_once(
        org,
        lambda _n: safety.record_event(
            practitioner, patient, _event_data(), [], submission_key=key
        ),
    )
    assert all(isinstance(o, AdverseEvent) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1
    with acting_for(org):
        assert AdverseEvent.objects.filter(patient=patient).count() == 1


def test_recording_a_submitted_form_again_returns_its_event_without_writing(
    org, practitioner, patient
):
    key = uuid.uuid4()
    with acting_for(org):
        first = safety.record_event(practitioner, patient, _event_data(), [], submission_key=key)
        with CaptureQueriesContext(connection) as queries:
            again = safety.record_event(
                practitioner, patient, _event_data(), [], submission_key=key
            )
    assert again == first
    assert not _inserts(queries, "treatments_adverseevent")


def test_a_reused_submission_key_is_refused_by_the_database(org, practitioner, patient):
    key = uuid.uuid4()
    with acting_for(org):
        AdverseEvent.objects.create(
            patient=patient, reported_by=practitioner, submission_key=key, **_event_data()
        )
        with pytest.raises(IntegrityError) as caught, transaction.atomic():
            AdverseEvent.objects.create(
                patient=patient, reported_by=practitioner, submission_key=key, **_event_data()
            )
        assert resubmitted_event_violation(caught.value)
        assert not one_open_session_violation(caught.value)
        # Events recorded without a key (older forms, imports) do not collide.
        for _ in range(2):
            AdverseEvent.objects.create(patient=patient, reported_by=practitioner, **_event_data())


def _form_post(client, patient, key):
    data = {
        "submission_key": key,
        "event_type": "bruising",
        "grade": "1",
        "onset_on": timezone.localdate().isoformat(),
        "area": "submental",
        "description": "Bruise at two points",
    }
    return client.post(reverse("adverse_event_new", args=[patient.public_id]), data)


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician"])
def test_a_double_submitted_adverse_event_form_records_one_event(org, personas, patient, role):
    client = client_for(personas[role])
    page = client.get(reverse("adverse_event_new", args=[patient.public_id]))
    key = page.context["form"]["submission_key"].value()
    assert f'name="submission_key" value="{key}"' in page.content.decode()
    first, second = _form_post(client, patient, key), _form_post(client, patient, key)
    with acting_for(org):
        event = AdverseEvent.objects.get()
    url = reverse("adverse_event_detail", args=[event.public_id])
    assert first["Location"] == second["Location"] == url
    assert event.submission_key == uuid.UUID(str(key))
    assert "This adverse event was already recorded" in client.get(url).content.decode()


def test_each_rendering_of_the_form_gets_its_own_key_and_a_rerendered_one_keeps_it(
    practitioner, patient
):
    client = client_for(practitioner)
    url = reverse("adverse_event_new", args=[patient.public_id])
    keys = {str(client.get(url).context["form"]["submission_key"].value()) for _ in range(2)}
    assert len(keys) == 2
    key = str(uuid.uuid4())
    invalid = client.post(url, {"submission_key": key, "event_type": "bruising"})
    assert invalid.status_code == 400
    assert f'name="submission_key" value="{key}"' in invalid.content.decode()


def test_reception_cannot_submit_an_adverse_event(org, reception, patient):
    response = _form_post(client_for(reception), patient, str(uuid.uuid4()))
    assert response.status_code == 403
    with acting_for(org):
        assert not AdverseEvent.objects.exists()


def test_another_clinic_cannot_replay_a_submission_key(org, practitioner, outsider, patient):
    key = str(uuid.uuid4())
    _form_post(client_for(practitioner), patient, key)
    assert _form_post(client_for(outsider), patient, key).status_code == 404


@pytest.mark.parametrize(
    "role,status",
    [("owner", 302), ("practitioner", 302), ("esthetician", 302), ("reception", 403)]
    + [("outsider", 404)],
)
def test_each_role_on_the_signing_page_of_a_signed_version(org, personas, patient, role, status):
    plan = _approve(org, personas["practitioner"], patient)
    _sign(org, personas["practitioner"], plan)
    response = client_for(personas[role]).get(reverse("consent_new", args=[plan.public_id]))
    assert response.status_code == status
    with acting_for(org):
        assert Consent.objects.count() == 1
