"""Scores over a course, placed by the sessions given before them: the protocol's time
course on the evidence page, and the patient's trajectory against it on the chart."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes import evidence, timecourse
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.plans.services import content_hash
from mesoclinic.rules import outcomes
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from tests.factories import client_for

PROTOCOL = "submental-deoxycholic"
SCALE = "cr-smfrs"
# Each course: a baseline, three weekly sessions with a score before the second and the
# third, and an end score a week after the last.
COURSE = [("baseline", 0, 3), ("each-session", 8, 3), ("each-session", 15, 2), ("end", 22, 1)]
SESSION_DAYS = (1, 9, 16)


def courses(org, site, user, n, *, course=COURSE, start_days_ago=100):
    """``n`` patients on the protocol, each with the same course of scores."""
    instrument = outcomes.instrument(SCALE)
    start = timezone.now() - dt.timedelta(days=start_days_ago)
    with acting_for(org):
        patients = pm.Patient.objects.bulk_create(
            [
                pm.Patient(
                    organization=org,
                    first_name=f"T{i}",
                    last_name="Course",
                    date_of_birth=dt.date(1980, 1, 1),
                    sex="F",
                    created_by=user,
                )
                for i in range(n)
            ]
        )
        plans = Plan.objects.bulk_create(
            [
                Plan(
                    organization=org,
                    patient=p,
                    created_by=user,
                    status=PlanStatus.COMPLETED,
                    inputs={"items": []},
                )
                for p in patients
            ]
        )
        result = {"areas": [{"protocol": PROTOCOL, "area": "submental", "sessions": 3}]}
        for plan in plans:
            PlanVersion.objects.create(
                organization=org,
                plan=plan,
                number=1,
                inputs={},
                result=result,
                approved_by=user,
                content_hash=content_hash({}, result),
            )
        sessions, rows = [], []
        for p, plan in zip(patients, plans, strict=True):
            for day in SESSION_DAYS:
                at = start + dt.timedelta(days=day)
                sessions.append(
                    TreatmentSession(
                        organization=org,
                        patient=p,
                        plan=plan,
                        site=site,
                        status=SessionStatus.SIGNED,
                        started_at=at,
                        ended_at=at + dt.timedelta(minutes=30),
                        signed_at=at + dt.timedelta(minutes=40),
                        signed_by=user,
                        performed_by=user,
                    )
                )
            for timepoint, day, value in course:
                scored = outcomes.score(instrument, {"value": value})
                rows.append(
                    Assessment(
                        organization=org,
                        patient=p,
                        plan=plan,
                        protocol=PROTOCOL,
                        instrument=SCALE,
                        instrument_version=instrument.version,
                        timepoint=timepoint,
                        rater=instrument.rater,
                        answers=dict(scored.answers),
                        total=Decimal(str(scored.total)),
                        code=scored.code or "",
                        display=scored.display,
                        taken_at=start + dt.timedelta(days=day),
                        submission_key=uuid.uuid4(),
                        created_by=user,
                    )
                )
        TreatmentSession.objects.bulk_create(sessions)
        Assessment.objects.bulk_create(rows)
    return patients


def described(bands):
    return [(b.place.described, b.n, b.median) for b in bands]


def test_the_time_course_is_placed_by_the_sessions_given(org, site, practitioner):
    courses(org, site, practitioner, 6)
    with acting_for(org):
        bands = timecourse.bands(PROTOCOL, SCALE)
    assert described(bands) == [
        ("Baseline", 6, 3.0),
        ("after 1 session", 6, 3.0),
        ("after 2 sessions", 6, 2.0),
        ("End", 6, 1.0),
    ]


def test_a_point_of_fewer_than_five_scores_is_left_out(org, site, practitioner):
    courses(org, site, practitioner, 4)
    # Two more patients scored before their third session only.
    courses(org, site, practitioner, 2, course=[("each-session", 15, 2)])
    with acting_for(org):
        bands = timecourse.bands(PROTOCOL, SCALE)
    assert described(bands) == [("after 2 sessions", 6, 2.0)]


def test_the_evidence_time_course_follows_the_filters(org, site, practitioner):
    courses(org, site, practitioner, 6)
    with acting_for(org):
        other = Site.objects.create(organization=org, name="Annexe", time_zone=site.time_zone)
        [everyone] = [p for p in evidence.evidence(evidence.Filters()) if p.slug == PROTOCOL]
        plot = next(o.plot for o in everyone.outcomes if o.instrument.slug == SCALE)
        assert plot is not None
        assert "after 2 sessions: median 2 (quartiles 2-2, 6 scores)" in plot["alt"]
        courses(org, other, practitioner, 6, course=[("baseline", 0, 4), ("end", 22, 4)])
        [there] = [
            p for p in evidence.evidence(evidence.Filters(site_id=other.pk)) if p.slug == PROTOCOL
        ]
    plot = next(o.plot for o in there.outcomes if o.instrument.slug == SCALE)
    assert plot is not None
    assert "Baseline: median 4" in plot["alt"] and "after 2 sessions" not in plot["alt"]


def test_a_patients_scores_are_placed_on_their_own_course(org, site, practitioner):
    [patient] = courses(org, site, practitioner, 1)
    with acting_for(org):
        rows = list(Assessment.objects.filter(patient=patient).order_by("taken_at"))
        places = timecourse.places_of(patient.pk, rows)
    assert [places[r.pk].described for r in rows] == [
        "Baseline",
        "after 1 session",
        "after 2 sessions",
        "End",
    ]


def trajectories(patient):
    return reverse("patient_trajectories", args=[patient.public_id])


def test_the_chart_shows_the_trajectory_against_the_typical_course(org, site, practitioner):
    [patient, *_] = courses(org, site, practitioner, 6)
    client = client_for(practitioner)
    chart = client.get(reverse("patient_detail", args=[patient.public_id])).content.decode()
    assert f'hx-get="{trajectories(patient)}"' in chart
    response = client.get(trajectories(patient), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Baseline Grade 3 → End Grade 1" in html
    assert "the shaded band is the middle half of this clinic" in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert "no-store" in response["Cache-Control"]


def test_a_chart_without_scores_loads_no_plot(org, practitioner, patient):
    chart = client_for(practitioner).get(reverse("patient_detail", args=[patient.public_id]))
    assert trajectories(patient) not in chart.content.decode()


def test_a_new_score_shows_at_once_though_the_plots_are_kept(org, site, practitioner):
    [patient] = courses(org, site, practitioner, 1, course=COURSE[:1])
    client = client_for(practitioner)
    assert "→" not in client.get(trajectories(patient)).content.decode()
    with acting_for(org):
        plan = Plan.objects.get(patient=patient)
    data = {
        "plan": str(plan.public_id),
        "protocol": PROTOCOL,
        "timepoint": "end",
        "side": "",
        "submission_key": str(uuid.uuid4()),
        "value": "1",
    }
    assert (
        client.post(reverse("assessment_new", args=[patient.public_id, SCALE]), data).status_code
        == 302
    )
    assert "→ End" in client.get(trajectories(patient)).content.decode()


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician"])
def test_clinical_roles_see_the_trajectory_and_each_read_is_audited(org, site, personas, role):
    [patient] = courses(org, site, personas["practitioner"], 1)
    client = client_for(personas[role])
    for _ in range(2):
        assert client.get(trajectories(patient)).status_code == 200
    audited = AuditEvent.objects.filter(
        object_id=str(patient.public_id), action="view", detail="outcome trajectories"
    )
    assert audited.count() == 2 and {e.actor_id for e in audited} == {personas[role].pk}


def test_reception_and_another_organization_never_see_it(
    org, site, practitioner, reception, outsider
):
    [patient] = courses(org, site, practitioner, 1)
    assert client_for(reception).get(trajectories(patient)).status_code == 403
    response = client_for(outsider).get(trajectories(patient))
    assert response.status_code == 404 and "Course" not in response.content.decode()
    reception_chart = client_for(reception).get(reverse("patient_detail", args=[patient.public_id]))
    assert trajectories(patient) not in reception_chart.content.decode()


def test_the_trajectories_run_a_bounded_number_of_queries(
    org, site, practitioner, django_assert_max_num_queries
):
    [patient] = courses(org, site, practitioner, 1)
    client = client_for(practitioner)
    with django_assert_max_num_queries(14):
        assert client.get(trajectories(patient)).status_code == 200
