"""`make demo` gives the Demo Clinic a year of past: what a prospect sees on first start."""

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from mesoclinic.accounts.models import Organization
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.photos import landmarks
from mesoclinic.photos.models import Landmarks, Photo
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.rules import outcomes
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import AdverseEvent, Lot, SessionArea, TreatmentSession

MODELS = [
    pm.Patient, Plan, PlanVersion, TreatmentSession, SessionArea, Assessment, AdverseEvent,
    Photo, Landmarks,
]  # fmt: skip


@pytest.fixture
def demo(db, monkeypatch):
    monkeypatch.setenv("MESOCLINIC_DEMO_PASSWORD", "demo password 123")
    out = StringIO()
    call_command("demo", stdout=out)
    assert "past year" in out.getvalue()
    return Organization.objects.get(name="Demo Clinic")


def _courses(demo):
    """(plan, protocol) -> timepoints recorded, for completed plans."""
    found = defaultdict(set)
    with acting_for(demo):
        completed = Plan.objects.filter(status=PlanStatus.COMPLETED).values_list("pk", flat=True)
        rows = Assessment.objects.filter(plan_id__in=list(completed))
        for plan_id, protocol, timepoint in rows.values_list("plan_id", "protocol", "timepoint"):
            found[(plan_id, protocol)].add(timepoint)
    return found


def test_four_protocols_or_more_have_completed_courses_with_baseline_and_end(demo):
    courses = _courses(demo)
    measured = {p for (_, p), tps in courses.items() if {"baseline", "end"} <= tps}
    assert len(measured) >= 4, measured
    with acting_for(demo):
        assert pm.Patient.objects.count() >= 280
        assert Plan.objects.count() >= 180
        assert Plan.objects.filter(status=PlanStatus.CANCELLED).exists()
        assert Plan.objects.filter(status=PlanStatus.ACTIVE).exists()
        # One version each, holding the engine's result for the plan's own inputs.
        assert PlanVersion.objects.count() == Plan.objects.count()
        version = PlanVersion.objects.select_related("plan").first()
        assert version.inputs == version.plan.inputs
        assert not version.result["hard_stops"]


def test_some_courses_are_lost_to_follow_up(demo):
    courses = _courses(demo)
    lost = [key for key, tps in courses.items() if "baseline" in tps and "end" not in tps]
    assert lost
    assert len(lost) < len(courses) / 2


def test_every_score_is_in_range_and_scores_again_to_itself(demo):
    with acting_for(demo):
        rows = list(Assessment.objects.all())
    assert len(rows) > 300
    for row in rows:
        scale = outcomes.instrument(row.instrument)
        scored = outcomes.score(scale, row.answers)  # refuses a value out of range
        assert Decimal(str(scored.total)) == row.total, row
        assert (scored.code or "", scored.band or "", scored.display) == (
            row.code,
            row.band,
            row.display,
        )
        if scale.kind == "items":
            assert 0 <= row.total <= scale.max_total
        measures = outcomes.protocol_outcomes(row.protocol)
        assert row.instrument in measures.instruments
        assert row.timepoint in measures.timepoints
        assert row.rater == scale.rater


def test_baselines_come_before_the_first_session_and_nothing_is_in_the_future(demo):
    with acting_for(demo):
        sessions = {}
        for plan_id, started in TreatmentSession.objects.order_by("started_at").values_list(
            "plan_id", "started_at"
        ):
            sessions.setdefault(plan_id, started)
        for a in Assessment.objects.filter(timepoint="baseline"):
            assert a.taken_at < sessions[a.plan_id]
            assert not a.late_reason
        assert not Assessment.objects.filter(taken_at__gt=timezone.now()).exists()
        assert not TreatmentSession.objects.filter(signed_at__gt=timezone.now()).exists()


def test_signed_sessions_chart_their_areas_from_lots(demo):
    with acting_for(demo):
        sessions = TreatmentSession.objects.all()
        assert sessions.count() >= 500
        assert not sessions.exclude(status="signed").exists()
        assert not sessions.filter(signed_at__isnull=True).exists()
        assert not sessions.filter(plan__isnull=True).exists()
        # Each under its version's consent, signed and countersigned before the session.
        for session in sessions.select_related("consent")[:200]:
            assert session.consent.plan_version_id == session.plan_version_id
            assert session.consent.is_valid
            assert session.consent.patient_signed_at < session.started_at
        charted = set(SessionArea.objects.values_list("session_id", flat=True))
        assert charted == set(sessions.values_list("pk", flat=True))
        # A recall finds many sessions behind one lot.
        busiest = (
            SessionArea.objects.values("lot_id")
            .annotate(n=Count("session_id", distinct=True))
            .order_by("-n")
            .first()
        )
        assert busiest["n"] >= 30
        for lot in Lot.objects.all():
            assert lot.vials_used <= lot.vials_received
        # Never more than the plan's volume for an area.
        for row in SessionArea.objects.select_related("session__plan_version")[:300]:
            planned = [
                a
                for a in row.session.plan_version.result["areas"]
                if a["area"] == row.area and (a["side"] or "") == row.side
            ]
            assert planned and row.volume_ml <= Decimal(str(planned[0]["total_volume_ml"]))


def test_adverse_events_come_at_a_realistic_rate(demo):
    with acting_for(demo):
        sessions = TreatmentSession.objects.count()
        events = AdverseEvent.objects.all()
        rate = 100 * events.count() / sessions
        assert 5 <= rate <= 40, rate
        assert 1 <= events.filter(serious=True).count() <= 3
        assert not events.filter(session__isnull=True).exists()
        assert all(e.lots.exists() for e in events.prefetch_related("lots"))
        kinds = set(events.values_list("event_type", flat=True))
        assert {"bruising", "swelling"} <= kinds
        assert Lot.objects.filter(recalled_at__isnull=False).exists()


def test_a_second_run_adds_nothing(demo):
    with acting_for(demo):
        before = {m: m.objects.count() for m in MODELS}
    call_command("demo", stdout=StringIO())
    with acting_for(demo):
        assert {m: m.objects.count() for m in MODELS} == before


def test_facial_courses_have_synthetic_photos_to_compare_and_measure(demo):
    """Baseline and last-session face photos, with landmarks: comparison and symmetry
    show content on the first start, and the later photo is the more symmetric."""
    with acting_for(demo):
        photos = list(Photo.objects.select_related("session").order_by("taken_at"))
        placed = landmarks.current(photos)
        by_plan = defaultdict(list)
        for photo in photos:
            assert photo.session is not None and photo.taken_at == photo.session.started_at
            by_plan[photo.session.plan_id].append(photo)
        pairs = [p for p in by_plan.values() if len(p) == 2]
        assert len(pairs) >= 10 and len(placed) == len(photos)
        better = sum(
            landmarks.measure(placed[after.pk], after).index
            > landmarks.measure(placed[before.pk], before).index
            for before, after in pairs
        )
    assert better == len(pairs)


def test_the_demo_patients_sign_in_to_a_portal_with_a_course_in_progress(demo):
    from django.test import Client
    from django.urls import reverse

    for email in ("patient@demo.clinic", "patient2@demo.clinic"):
        client = Client()
        signed_in = client.post(
            reverse("login"), {"username": email, "password": "demo password 123"}
        )
        assert signed_in["Location"] == reverse("portal_home")
        home = client.get(reverse("portal_home")).content.decode()
        assert "No appointment booked." not in home and "No treatment yet." not in home
        documents = client.get(reverse("portal_documents")).content.decode()
        assert "Consent signed" in documents and "Download (PDF)" in documents


def test_today_has_a_course_visit_whose_session_can_be_started(demo):
    """The first start shows a whole treatment day: a course in progress booked today with
    the practitioner, which reception checks in and the practitioner starts and signs."""
    from mesoclinic.scheduling import visits
    from mesoclinic.scheduling.demo import plain_precheck
    from mesoclinic.scheduling.models import Appointment
    from mesoclinic.treatments import sessions

    with acting_for(demo):
        [visit] = Appointment.objects.filter(plan__isnull=False, course_session__isnull=False)
        assert visits.is_today(visit) and visit.practitioner.email == "practitioner@demo.clinic"
        assert visits.check_in_refusal(visit) is None and visits.start_refusal(visit) is None
        signed = TreatmentSession.objects.filter(plan=visit.plan, status="signed").count()
        assert visit.course_session == signed + 1 and visit.course_areas
        check = plain_precheck(visit.patient)
        session = sessions.start(visit.practitioner, visit.plan, visit.site, check)
        assert session.plan_version_id == visit.plan_version_id
