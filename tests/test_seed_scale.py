"""`mesoclinic seed-scale`: a small chain, deterministic for a seed, scoped to its organization."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from mesoclinic.accounts.models import Organization, User
from mesoclinic.accounts.roles import STAFF_ROLES, Role
from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.plans.models import Consent, Plan, PlanProtocol, PlanStatus, PlanVersion
from mesoclinic.rules import load_reference, outcomes
from mesoclinic.scale.seed import CHART_PATIENTS, Seeder
from mesoclinic.scheduling.models import Appointment
from mesoclinic.tenancy import TenancyError, acting_for
from mesoclinic.treatments.models import (
    AdverseEvent,
    Lot,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)

TODAY = dt.date(2026, 11, 2)


def seed(name, patients=60, seed_value=7):
    seeder = Seeder(patients, seed_value, TODAY, "a long bench password", name=name)
    seeder.run(chunk=25)
    return seeder.o.org


def fingerprint(org):
    with acting_for(org):
        patients = list(
            pm.Patient.objects.order_by("id").values_list(
                "first_name", "last_name", "date_of_birth", "phone", "email"
            )
        )
        sessions = list(
            TreatmentSession.objects.order_by("id").values_list(
                "started_at", "status", "signed_at", "performed_by__full_name"
            )
        )
        areas = list(
            SessionArea.objects.order_by("id").values_list("area", "lot__lot_number", "points")
        )
        scores = list(
            Assessment.objects.order_by("id").values_list(
                "patient__first_name", "protocol", "instrument", "timepoint", "total", "taken_at"
            )
        )
    return patients, sessions, areas, scores


@pytest.mark.django_db
def test_counts_and_shape():
    org = seed("Chain A")
    with acting_for(org):
        assert pm.Patient.objects.count() == 60
        treated = Plan.objects.exclude(status="draft").count()
        assert 40 <= treated <= 60
        assert PlanVersion.objects.count() == treated == Consent.objects.count()
        sessions = TreatmentSession.objects.count()
        # About ten sessions per treated patient, and the benchmark's 30-session charts.
        assert sessions >= 6 * treated
        by_patient = TreatmentSession.objects.values("patient").distinct().count()
        assert by_patient == treated
        thirty = [
            p
            for p in pm.Patient.objects.all()
            if TreatmentSession.objects.filter(patient=p).count() == 30
        ]
        assert len(thirty) == min(CHART_PATIENTS, treated)
        assert not TreatmentSession.objects.filter(status=SessionStatus.IN_PROGRESS).exists()
        signed = TreatmentSession.objects.filter(status=SessionStatus.SIGNED)
        assert signed.filter(signed_at__isnull=False).count() == signed.count() > 0
        for area in SessionArea.objects.all()[:200]:
            assert 1 <= len(area.points) <= 200
            assert area.injections == len(area.points)
            assert area.lot.site_id is not None
        per_session = {}
        for sid, n in SessionArea.objects.values_list("session_id", "injections"):
            per_session[sid] = per_session.get(sid, 0) + n
        assert all(10 <= n <= 200 for n in per_session.values())
        assert Lot.objects.exists() and AdverseEvent.objects.exists()
        assert Appointment.objects.count() >= sessions
        assert pm.Concern.objects.count() == 60
    roles = set(User.objects.filter(organization=org).values_list("role", flat=True))
    assert roles == {r.value for r in STAFF_ROLES}  # patients have no staff account
    assert AuditEvent.objects.filter(organization=org).count() > sessions


@pytest.mark.django_db
def test_signed_sessions_stay_immutable():
    from django.db import DatabaseError, transaction

    org = seed("Chain B", patients=10)
    with acting_for(org):
        session = TreatmentSession.objects.filter(status=SessionStatus.SIGNED).first()
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            TreatmentSession.objects.filter(pk=session.pk).update(adhoc_reason="rewritten")


@pytest.mark.django_db
def test_same_seed_same_rows_other_seed_other_rows():
    # Public ids also depend on the organization's name, so both chains fit in one database.
    first, second = seed("Chain C"), seed("Chain D")
    assert fingerprint(first) == fingerprint(second)
    other = seed("Chain E", seed_value=8)
    assert fingerprint(other)[0] != fingerprint(first)[0]


@pytest.mark.django_db
def test_rows_belong_to_the_seeded_organization_only(org):
    seeded = seed("Chain F", patients=10)
    with pytest.raises(TenancyError):
        pm.Patient.objects.count()
    with acting_for(org):
        assert pm.Patient.objects.count() == 0
        assert TreatmentSession.objects.count() == 0
        assert Appointment.objects.count() == 0
    with acting_for(seeded):
        assert pm.Patient.objects.count() == 10
    assert pm.Patient.all_orgs.exclude(organization=seeded).count() == 0


def test_the_generator_is_installed_by_the_bench_settings_only():
    from django.conf import settings

    from mesoclinic import bench_settings

    assert "mesoclinic.scale" not in settings.INSTALLED_APPS
    assert "mesoclinic.scale" in bench_settings.INSTALLED_APPS


@pytest.mark.django_db
def test_command_prints_counts_and_refuses_a_second_run(settings, tmp_path):
    from mesoclinic import bench_settings

    settings.INSTALLED_APPS = bench_settings.INSTALLED_APPS  # as `make bench` runs it
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("seed-scale", patients=5, seed=3, no_progress=True, stdout=out)
    assert "patients: 5" in out.getvalue()
    assert Organization.objects.filter(name="Scale Clinic 5 s3").exists()
    assert (tmp_path / "bench_password").exists()
    with pytest.raises(CommandError, match="already exists"):
        call_command("seed-scale", patients=5, seed=3, no_progress=True, stdout=out)


@pytest.mark.django_db
def test_seeded_practitioners_hold_a_licence_in_force_and_the_owner_none():
    from mesoclinic.treatments import scope

    org = seed("Chain G", patients=10)
    today = dt.date.today()
    with acting_for(org):
        staff = User.objects.filter(organization=org)
        assert all(scope.valid_licence(u, today) for u in staff.filter(role=Role.PRACTITIONER))
        assert scope.valid_licence(staff.get(role=Role.OWNER), today) is None


@pytest.mark.django_db
def test_the_sessions_prepared_for_the_sign_off_benchmark_can_be_signed():
    """The benchmark measures a sign-off that passes every check over the history."""
    from mesoclinic.accounts.models import User
    from mesoclinic.accounts.roles import Role
    from mesoclinic.scale.prepare import prepare_signoffs
    from mesoclinic.treatments import sessions as services

    org = seed("Chain S")
    with acting_for(org):
        practitioner = User.objects.filter(organization=org, role=Role.PRACTITIONER).first()
        prepared = prepare_signoffs(org, practitioner, 5, seed=1)
        assert prepared
        for session in TreatmentSession.objects.filter(status=SessionStatus.IN_PROGRESS)[:5]:
            assert services.sign(practitioner, session) is True


def _courses(org):
    """Every seeded course, (plan, protocol) -> plan status, from the trigger's rows."""
    with acting_for(org):
        return {
            (plan, protocol): status
            for plan, protocol, status in PlanProtocol.objects.values_list(
                "plan_id", "protocol", "plan__status"
            )
        }


@pytest.mark.django_db
def test_every_seeded_plan_version_lists_its_protocols_by_trigger():
    org = seed("Chain P", patients=30)
    with acting_for(org):
        expected = {
            (v.pk, a["protocol"])
            for v in PlanVersion.objects.all()
            for a in v.result["areas"]
            if a.get("protocol")
        }
        found = set(PlanProtocol.objects.values_list("version_id", "protocol"))
        assert found == expected
        versions = set(PlanVersion.objects.values_list("id", flat=True))
        assert {v for v, _ in found} == versions and versions


@pytest.mark.django_db
def test_courses_have_baseline_and_end_scores_and_some_are_lost():
    org = seed("Chain Q", patients=80)
    courses = _courses(org)
    with acting_for(org):
        scores = list(Assessment.objects.all())
        first_session = {
            plan: min(s.started_at for s in TreatmentSession.objects.filter(plan_id=plan))
            for plan in {plan for plan, _ in courses}
        }
    by_course: dict = {}
    for a in scores:
        by_course.setdefault((a.plan_id, a.protocol), set()).add((a.instrument, a.timepoint))
    completed = {k for k, status in courses.items() if status == PlanStatus.COMPLETED}
    assert completed
    for protocol in {p for _, p in completed}:
        ours = [by_course.get(k, set()) for k in completed if k[1] == protocol]
        primary = outcomes.protocol_outcomes(protocol).primary
        ends = [k for k in ours if (primary, "end") in k]
        assert ends, f"{protocol}: no end scores"
        if outcomes.instrument(primary).relative_to is None:
            assert any((primary, "baseline") in k for k in ours), f"{protocol}: no baseline"
    # Lost to follow-up: completed courses with no end score; no end while under way.
    lost = [k for k in completed if not any(t == "end" for _, t in by_course.get(k, set()))]
    assert 0 < len(lost) < len(completed) / 2
    under_way = {k for k in courses if k not in completed}
    assert not any(t == "end" for k in under_way for _, t in by_course.get(k, set()))
    for a in scores:
        instrument = outcomes.instrument(a.instrument)
        assert a.instrument in outcomes.protocol_outcomes(a.protocol).instruments
        if a.timepoint == "baseline":
            assert instrument.relative_to is None
            assert a.taken_at < first_session[a.plan_id]
        assert a.rater == instrument.rater and a.instrument_version == instrument.version


@pytest.mark.django_db
def test_seeded_scores_score_again_to_themselves():
    from django.db.models import Max

    org = seed("Chain R", patients=30)
    with acting_for(org):
        scores = list(Assessment.objects.all())
        last_session = dict(
            TreatmentSession.objects.values("plan_id")
            .annotate(last=Max("started_at"))
            .values_list("plan_id", "last")
        )
    assert len({a.submission_key for a in scores}) == len(scores) > 0
    for a in scores:
        again = outcomes.score(outcomes.instrument(a.instrument), a.answers)
        assert float(a.total) == round(float(again.total), 2), a
        assert (a.display, a.band, a.code) == (again.display, again.band or "", again.code or "")
    assert {a.timepoint for a in scores} == {"baseline", "end", "3-months"}
    for a in scores:
        if a.timepoint == "3-months":  # 90 days after the last session, before --today
            assert (a.taken_at.date() - last_session[a.plan_id].date()).days >= 90
            assert a.taken_at.date() < TODAY


@pytest.mark.django_db
def test_the_evidence_page_shows_the_seeded_protocols():
    from django.urls import reverse
    from django.utils.html import escape

    from tests.factories import client_for

    org = seed("Chain T")
    owner = User.objects.get(organization=org, role=Role.OWNER)
    page = client_for(owner).get(reverse("evidence"))
    assert page.status_code == 200
    html = page.content.decode()
    ref = load_reference()
    protocols = {p for _, p in _courses(org)}
    assert len(protocols) >= 5
    for slug in protocols:
        assert escape(ref.protocols[slug].name) in html
    # The benchmark's second path: the protocol with the most courses (bench/pages.py).
    from collections import Counter

    from mesoclinic.scale.prepare import handles

    chosen = handles(org, 0)["evidence_protocol"]
    courses = Counter(p for _, p in _courses(org))
    assert courses[chosen] == max(courses.values())
    page = client_for(owner).get(reverse("evidence"), {"protocol": chosen})
    assert page.status_code == 200
    assert escape(ref.protocols[chosen].name) in page.content.decode()
