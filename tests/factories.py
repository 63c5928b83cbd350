"""Helpers the test modules share: records made the way the application makes them,
clients signed in as a persona, and requests posted through the pages.

Fixtures stay in conftest.py; a test module imports helpers from here, never from
another test module.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import ClinicalLicence, LicenceType, User
from mesoclinic.patients import models as pm
from mesoclinic.photos import consent as photo_consent
from mesoclinic.plans import services as plan_services
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Room, SiteHours, TreatmentType
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import (
    AdverseEvent,
    Lot,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)
from tests import live


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def give_licence(user, licence_type=LicenceType.PHYSICIAN, expires_on=None, **fields):
    """Record a clinical licence for `user`, in force for a year unless told otherwise."""
    with acting_for(user.organization_id):
        return ClinicalLicence.objects.create(
            user=user,
            licence_type=licence_type,
            number=fields.pop("number", f"REG-{user.pk:05d}"),
            jurisdiction=fields.pop("jurisdiction", "Medical Council"),
            expires_on=expires_on or date.today() + timedelta(days=365),
            recorded_by=fields.pop("recorded_by", user),
            **fields,
        )


def make_user(org, role, email, name):
    return User.objects.create_user(
        email=email, password="correct horse battery", full_name=name, organization=org, role=role
    )


# Staff roles: all of them, and those who see clinical records.
ALL = ["owner", "practitioner", "esthetician", "reception"]
CLINICAL = ["owner", "practitioner", "esthetician"]


def today() -> date:
    return timezone.localdate()


def make_event(org, patient, user, lots=(), **fields) -> AdverseEvent:
    values = {
        "event_type": "infection",
        "grade": 3,
        "onset_on": today() - timedelta(days=2),
        "description": "Tender nodules with discharge",
    }
    values.update(fields)
    with acting_for(org):
        event = AdverseEvent.objects.create(patient=patient, reported_by=user, **values)
        event.lots.set(lots)
    return event


def alerts_html(response) -> str:
    body = response.content.decode()
    start = body.index('id="alerts"')
    return body[start : body.index("</div>", start)]


def record_allergy(org, patient, practitioner, text="", substance="", severity="moderate"):
    with acting_for(org):
        return pm.Allergy.objects.create(
            patient=patient,
            substance=substance,
            substance_text=text,
            severity=severity,
            recorded_on=date(2026, 11, 1),
            created_by=practitioner,
        )


def record_no_known_allergies(org, patient, practitioner):
    with acting_for(org):
        return pm.NoKnownAllergies.objects.create(
            patient=patient, recorded_on=date(2026, 11, 1), created_by=practitioner
        )


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


def grow_history(org, patient, user, n):
    rows = dict(patient=patient, created_by=user, recorded_on="2026-01-01", organization=org)
    with acting_for(org):
        pm.Allergy.objects.bulk_create(
            [pm.Allergy(substance_text=f"Substance {i}", **rows) for i in range(n)]
            + [
                pm.Allergy(
                    substance_text=f"Coded {i}",
                    coded=["latex"],
                    coding=pm.AllergyCoding.CODED,
                    coded_by=user,
                    coded_at="2026-01-02T10:00:00Z",
                    **rows,
                )
                for i in range(n)
            ]
        )
        pm.Medication.objects.bulk_create(
            [
                pm.Medication(name=f"Warfarin {i}", drug_classes=["anticoagulant"], **rows)
                for i in range(n)
            ]
        )
        pm.Condition.objects.bulk_create(
            [pm.Condition(condition="diabetes", **rows) for _ in range(n)]
        )
        pm.Concern.objects.bulk_create(
            [pm.Concern(concern="cellulite", areas=["thighs-outer"], **rows) for _ in range(n)]
        )


SIGNATURE = "M10 10 L20 25 L30 12 L45 40 M50 50 L80 60"


def consent_to(org, practitioner, patient, items) -> Plan:
    """A plan of these items, approved, signed by the patient and countersigned."""
    with acting_for(org):
        plan = Plan.objects.create(
            patient=patient,
            created_by=practitioner,
            inputs={"items": items, "overrides": [], "start": date.today().isoformat()},
        )
    client = client_for(practitioner)
    client.post(reverse("plan_approve", args=[plan.public_id]), {"lock_version": 0})
    page = client.get(reverse("consent_new", args=[plan.public_id]))
    client.post(
        reverse("consent_new", args=[plan.public_id]),
        {
            "typed_name": "Anna García",
            "signature": SIGNATURE,
            "understood": "on",
            "text_hash": page.context["text_hash"],
        },
    )
    with acting_for(org):
        from mesoclinic.plans.models import Consent

        consent = Consent.objects.get(plan=plan)
    client.post(reverse("consent_countersign", args=[consent.public_id]))
    with acting_for(org):
        plan.refresh_from_db()
    assert plan.status == PlanStatus.CONSENTED
    return plan


def receive_lot(
    org, site, user, number="DCA-001", product="deoxycholic-10mg-2ml", vials=10, **extra
):
    with acting_for(org):
        return Lot.objects.create(
            site=site,
            product=product,
            lot_number=number,
            received_by=user,
            expires_on=extra.pop("expires_on", date.today() + timedelta(days=200)),
            received_on=date.today() - timedelta(days=3),
            vials_received=vials,
            **extra,
        )


PRECHECK = {
    "pregnancy": "no",
    "weight_kg": "64",
    "numbing_product": "emla-cream-5g",
    "numbing_amount_g": "2",
    "photos_taken": "on",
}


def post_start(client, plan, site, **changes):
    return client.post(
        reverse("session_start", args=[plan.public_id]), {**PRECHECK, "site": site.pk, **changes}
    )


def only_session(org):
    with acting_for(org):
        return TreatmentSession.objects.get()


def post_chart(client, session, lot, **changes):
    data = {
        "area": "submental",
        "technique": "hypodermic",
        "lot": str(lot.public_id),
        "volume_ml": "4",
        "injections": "20",
        "depth_mm": "6",
        "needle_length_mm": "13",
        "needle_angle_deg": "90",
        "lock_version": session.lock_version,
        **changes,
    }
    return client.post(reverse("session_chart", args=[session.public_id]), data)


ADHOC = {
    **PRECHECK,
    "reason": "Touch-up agreed at the last visit",
    "concern": "localized-fat",
    "areas": ["submental"],
}


def post_start_adhoc(client, patient, site, **changes):
    return client.post(
        reverse("session_start_adhoc", args=[patient.public_id]),
        {**ADHOC, "site": site.pk, **changes},
    )


def draft_plan(org, patient, user, items, **inputs):
    with acting_for(org):
        return Plan.objects.create(
            patient=patient,
            created_by=user,
            inputs={"items": items, "overrides": [], "start": "2026-12-01", **inputs},
        )


def reload_plan(org, plan):
    with acting_for(org):
        return Plan.objects.get(pk=plan.pk)


LONDON = zoneinfo.ZoneInfo("Europe/London")


DCA = [{"concern": "localized-fat", "area": "submental"}]


HAIR = [{"concern": "hair-loss", "area": "scalp", "protocol": "hair-minoxidil"}]


def next_weekday(weekday: int, after: dt.date | None = None) -> dt.date:
    day = (after or dt.date.today()) + dt.timedelta(days=1)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def open_clinic(org, site):
    """The site opens 09:00-18:00 every day in London, with two rooms and a 45-minute treatment."""
    site.time_zone = "Europe/London"
    site.save()
    with acting_for(org):
        for weekday in range(7):
            SiteHours.objects.create(
                site=site, weekday=weekday, opens=dt.time(9), closes=dt.time(18)
            )
        rooms = [Room.objects.create(site=site, name=f"Room {n}") for n in (1, 2)]
        treatment = TreatmentType.objects.create(
            name="Mesotherapy", duration_minutes=45, roles=["practitioner"], needs_room=True
        )
    return {"site": site, "rooms": rooms, "treatment": treatment}


def plan_with_result(
    org, patient, practitioner, items, start: dt.date, status=PlanStatus.CONSENTED
):
    """An approved (by default consented) plan whose version holds the engine's result."""
    inputs = {"items": items, "overrides": [], "start": start.isoformat()}
    with acting_for(org):
        plan = Plan.objects.create(patient=patient, created_by=practitioner, inputs=inputs)
        result = plan_services.evaluate(patient, inputs).result
        assert result is not None and not result["hard_stops"], result and result["hard_stops"]
        PlanVersion.objects.create(
            plan=plan,
            number=1,
            inputs=inputs,
            result=result,
            approved_by=practitioner,
            content_hash=plan_services.content_hash(inputs, result),
        )
        plan.status = status
        plan.save()
    return plan


def book(org, user, clinic, patient, practitioner, start, minutes=45, room=0, **extra):
    with acting_for(org):
        return services.book(
            user,
            site=clinic["site"],
            room=clinic["rooms"][room] if room is not None else None,
            practitioner=practitioner,
            patient=patient,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=minutes),
            **extra,
        )


# The checkout: where pytest runs a test again in a subprocess.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def rerun_on_a_file(tmp_path, name: str, path: str) -> None:
    """Run test `name` of the test file `path` again on a SQLite file (threads need one)."""
    database = tmp_path / "race.sqlite3"
    env = {**os.environ, "MESOCLINIC_TEST_SQLITE": str(database)}
    env.pop("MESOCLINIC_DATABASE_URL", None)
    # A copy of this run's migrated test database saves the subprocess migrating its own;
    # --reuse-db makes pytest-django keep the file it finds instead of creating one.
    reuse = ["--reuse-db"] if live.start_from_migrated(database) else []
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *reuse, f"{path}::{name}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout


DEOXY = "deoxycholic-10mg-2ml"


def make_lot(org, site, user, number="DX-2401", product=DEOXY) -> Lot:
    with acting_for(org):
        return Lot.objects.create(
            site=site,
            product=product,
            lot_number=number,
            expires_on=today() + timedelta(days=300),
            received_on=today() - timedelta(days=60),
            vials_received=10,
            received_by=user,
        )


def make_session(
    org, patient, site, performed_by, lot=None, days_ago=10, **fields
) -> TreatmentSession:
    started = timezone.make_aware(
        datetime.combine(today() - timedelta(days=days_ago), datetime.min.time())
    )
    with acting_for(org):
        session = TreatmentSession.objects.create(
            patient=patient,
            site=site,
            adhoc_reason="Touch-up",
            started_at=started.replace(hour=10),
            performed_by=performed_by,
            **fields,
        )
        if lot is not None:
            SessionArea.objects.create(
                session=session,
                area="submental",
                technique="hypodermic",
                lot=lot,
                volume_ml=Decimal("2.0"),
            )
    return session


def post_consent(client, plan, **changes):
    page = client.get(reverse("consent_new", args=[plan.public_id]))
    data = {
        "typed_name": "Anna García",
        "signature": SIGNATURE,
        "understood": "on",
        "text_hash": page.context["text_hash"],
        **changes,
    }
    return client.post(reverse("consent_new", args=[plan.public_id]), data)


def plan_in_status(org, patient, practitioner, status=PlanStatus.DRAFT) -> Plan:
    """A submental deoxycholic-acid plan starting today, put straight into `status`."""
    items = [{"concern": "localized-fat", "area": "submental"}]
    plan = draft_plan(org, patient, practitioner, items, start=date.today().isoformat())
    with acting_for(org):
        Plan.objects.filter(pk=plan.pk).update(status=status)
        plan.refresh_from_db()
    return plan


def session_in_status(org, patient, site, practitioner, lot, status) -> TreatmentSession:
    session = make_session(org, patient, site, practitioner, lot, days_ago=0)
    with acting_for(org):
        signed = {"signed_at": timezone.now(), "signed_by": practitioner}
        TreatmentSession.objects.filter(pk=session.pk).update(
            status=status, **(signed if status == SessionStatus.SIGNED else {})
        )
        session.refresh_from_db()
    return session


def run_worker() -> None:
    """Run every queued task as `mesoclinic worker` does (the worker's own `run_task`),
    without its polling loop, which closes database connections between polls and so
    would end the test's transaction on PostgreSQL. A task that fails fails the test."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    for result in DBTaskResult.objects.ready():
        result.claim("test-worker")
        worker.run_task(result)
        result.refresh_from_db()
        assert result.status == "SUCCESSFUL", (result.task_path, result.exception_class_path)


def give_photo_consent(org, user, patient, scope="clinical", how="paper"):
    """The patient's consent to photos for `scope`: no photo is taken without the
    clinical-record one (photos.consent)."""
    with acting_for(org):
        return photo_consent.give(user, patient, scope, how=how, submission_key=uuid.uuid4())


def take_baseline_photos(org, user, session) -> None:
    """A photo of each standard view of the session's areas, taken at the session: what a
    course whose protocol needs a baseline waits for before its first sign-off."""
    import io
    import uuid

    from PIL import Image

    from mesoclinic.photos import capture, services
    from mesoclinic.rules import photography

    with acting_for(org):
        if not photo_consent.has_live(session.patient, "clinical"):
            give_photo_consent(org, user, session.patient)
        for view in photography.views_for(capture.session_areas(session)):
            jpeg = io.BytesIO()
            Image.new("RGB", (160, 120), (200, 200, 200)).save(jpeg, format="JPEG")
            services.add_photo(
                user,
                session.patient,
                io.BytesIO(jpeg.getvalue()),
                view=view.slug,
                area="",
                side="",
                device="Clinic camera",
                session=session,
                submission_key=uuid.uuid4(),
            )
