"""Outcome scores: entered on one screen per scale, refused next to the field when
impossible, a baseline only before the first session (or marked late), signed records
that are amended with a reason and that the database will not let anyone edit."""

import datetime as dt
import importlib
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes import courses, services
from mesoclinic.outcomes.models import Assessment
from mesoclinic.plans.models import PlanStatus
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import client_for, make_session, plan_with_result

triggers = importlib.import_module("mesoclinic.outcomes.migrations.0002_assessments_are_signed")
CELLULITE = [{"concern": "cellulite", "area": "thighs-outer"}]
HEXSEL = {"number": 2, "depth": 2, "morphology": 1, "laxity": 1, "nurnberger-muller": 2}


@pytest.fixture
def course(org, patient, practitioner):
    return plan_with_result(org, patient, practitioner, CELLULITE, timezone.localdate())


@pytest.fixture
def protocol(org, course):
    with acting_for(org):
        found = courses.courses_for(course.patient)
    assert found, "the cellulite plan has a course"
    return found[0].protocol


def new_url(patient, instrument="hexsel-css"):
    return reverse("assessment_new", args=[patient.public_id, instrument])


def post_score(client, course, protocol, answers=HEXSEL, timepoint="baseline", **extra):
    data = {
        "plan": str(course.public_id),
        "protocol": protocol,
        "timepoint": timepoint,
        "side": "",
        "submission_key": str(uuid.uuid4()),
        **{k: str(v) for k, v in answers.items()},
        **extra,
    }
    return client.post(new_url(course.patient, extra.pop("instrument", "hexsel-css")), data)


def scores(org, patient):
    with acting_for(org):
        return list(Assessment.objects.filter(patient=patient).order_by("id"))


def sign_a_session(org, patient, site, practitioner, plan):
    signed = timezone.now() - dt.timedelta(days=1)
    return make_session(
        org,
        patient,
        site,
        practitioner,
        days_ago=1,
        plan=plan,
        status=SessionStatus.SIGNED,
        signed_by=practitioner,
        signed_at=signed,
        ended_at=signed,
    )


# --- entering a score ------------------------------------------------------------


def test_a_baseline_hexsel_score_is_scored_and_saved(org, practitioner, course, protocol):
    client = client_for(practitioner)
    page = client.get(new_url(course.patient), {"plan": course.public_id, "protocol": protocol})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Depth of depressions" in html and "No earlier score" in html
    response = post_score(client, course, protocol)
    assert response.status_code == 302
    [saved] = scores(org, course.patient)
    assert saved.total == 8 and saved.band == "moderate" and saved.timepoint == "baseline"
    assert saved.created_by == practitioner and saved.instrument_version == 1
    assert AuditEvent.objects.filter(object_id=str(saved.public_id), action="create").count() == 1
    outcomes_page = client.get(reverse("patient_outcomes", args=[course.patient.public_id]))
    assert "8 of 15" in outcomes_page.content.decode()


def test_the_score_is_computed_as_you_tap(practitioner, course, protocol):
    client = client_for(practitioner)
    url = reverse("assessment_score", args=[course.patient.public_id, "hexsel-css"])
    partial = client.post(url, {"number": "3", "depth": "2"}, headers={"HX-Request": "true"})
    assert "3 still to answer" in partial.content.decode()
    full = client.post(url, {k: str(v) for k, v in HEXSEL.items()})
    assert "8 of 15" in full.content.decode() and "moderate" in full.content.decode()
    assert Assessment.objects.model.all_orgs.count() == 0  # nothing saved


def test_an_impossible_value_is_refused_next_to_its_item_and_nothing_is_lost(
    org, practitioner, course, protocol
):
    client = client_for(practitioner)
    response = post_score(client, course, protocol, answers={**HEXSEL, "depth": 4})
    assert response.status_code == 400
    html = response.content.decode()
    item = html.split('id="item-depth"')[1].split("</fieldset>")[0]
    assert 'class="error"' in item
    # The other answers are still ticked.
    laxity = html.split('id="item-laxity"')[1].split("</fieldset>")[0]
    assert 'value="1" checked' in laxity
    assert scores(org, course.patient) == []


def test_a_hair_count_out_of_range_is_refused_at_the_engine_and_the_database(
    org, practitioner, patient
):
    client = client_for(practitioner)
    response = client.post(
        new_url(patient, "hair-count"),
        {"value": "1500", "timepoint": "baseline", "submission_key": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert "1000" in response.content.decode() or "1,000" in response.content.decode()
    with acting_for(org), pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            patient=patient,
            instrument="hair-count",
            instrument_version=1,
            timepoint="baseline",
            rater="clinician",
            answers={"value": 1500},
            total=1500,
            display="1500 hairs/cm²",
            taken_at=timezone.now(),
            submission_key=uuid.uuid4(),
        )


def test_a_double_submit_records_one_score(org, practitioner, course, protocol):
    client = client_for(practitioner)
    key = str(uuid.uuid4())
    for _ in range(2):
        assert post_score(client, course, protocol, submission_key=key).status_code == 302
    assert len(scores(org, course.patient)) == 1


def test_a_scale_the_protocol_does_not_name_is_refused(practitioner, course, protocol):
    response = post_score(
        client_for(practitioner), course, protocol, answers={"value": 3}, instrument="pain-nrs"
    )
    assert response.status_code == 400
    assert "is not an outcome of this protocol" in response.content.decode()


# --- the baseline comes before the first session -----------------------------------


def test_a_baseline_after_the_first_signed_session_is_only_taken_marked_late(
    org, site, practitioner, course, protocol
):
    sign_a_session(org, course.patient, site, practitioner, course)
    client = client_for(practitioner)
    refused = post_score(client, course, protocol)
    assert refused.status_code == 400
    assert "a baseline now is late" in refused.content.decode()
    assert scores(org, course.patient) == []
    late = post_score(
        client, course, protocol, late_reason="Copied from the paper form taken before"
    )
    assert late.status_code == 302
    [saved] = scores(org, course.patient)
    assert saved.is_late and saved.late_reason.startswith("Copied from")


def test_the_chart_shows_what_is_due(org, site, practitioner, course, protocol):
    url = reverse("patient_detail", args=[course.patient.public_id])
    client = client_for(practitioner)
    page = client.get(url).content.decode()
    assert "Cellulite Severity Scale (Hexsel)</strong> due · Baseline" in page
    post_score(client, course, protocol)
    page = client.get(url).content.decode()
    assert "Cellulite Severity Scale (Hexsel)</strong> due" not in page


def test_several_patients_courses_cost_the_five_queries_of_one(
    org, practitioner, make_patient, django_assert_num_queries
):
    """The day lists many patients: their courses come in the same queries as one's, and
    with the scores read only for what is due, the same things are due."""
    patients = [make_patient(first_name=f"P{n}") for n in range(4)]
    start = timezone.localdate()
    plans = [plan_with_result(org, p, practitioner, CELLULITE, start) for p in patients[:3]]
    with acting_for(org):
        protocol = courses.courses_for(patients[1])[0].protocol
        entry = services.Entry("hexsel-css", "baseline", plan=plans[1], protocol=protocol)
        services.record_assessment(practitioner, patients[1], entry, HEXSEL, uuid.uuid4())
        with django_assert_num_queries(5):
            many = courses.courses_for_many(patients)
        for patient in patients:
            one = courses.courses_for(patient)
            shape = [(c.plan.pk, c.protocol, len(c.recorded)) for c in one]
            assert [
                (c.plan.pk, c.protocol, len(c.recorded)) for c in many.get(patient.pk, [])
            ] == shape
        with django_assert_num_queries(5):  # what is due reads no deferred field
            light = courses.courses_for_many(patients, scores_in_full=False)
            due = {pk: _due_keys(found) for pk, found in light.items()}
        assert due == {pk: _due_keys(found) for pk, found in many.items()}
    assert set(many) == {p.pk for p in patients[:3]}
    assert [len(c.recorded) for c in many[patients[1].pk]] == [1]


def _due_keys(found):
    return [(d.course.plan.pk, d.instrument.slug, d.timepoint) for d in courses.due_for(found)]


def test_the_end_and_follow_ups_fall_due_after_the_course(org, site, practitioner, course):
    with acting_for(org):
        found = courses.courses_for(course.patient)[0]
    found.signed_sessions = found.planned_sessions
    found.last_signed_at = timezone.now() - dt.timedelta(days=100)
    due = {(d.instrument.slug, d.timepoint) for d in courses.due_for([found])}
    assert ("hexsel-css", "end") in due and ("hexsel-css", "3-months") in due
    assert ("hexsel-css", "6-months") not in due and ("hexsel-css", "baseline") not in due


# --- signed records ----------------------------------------------------------------


def test_a_score_is_amended_with_a_reason_and_the_first_is_kept(
    org, practitioner, course, protocol
):
    client = client_for(practitioner)
    post_score(client, course, protocol)
    [first] = scores(org, course.patient)
    url = reverse("assessment_amend", args=[first.public_id])
    fix = {k: str(v) for k, v in {**HEXSEL, "depth": 3}.items()}
    lazy = client.post(url, {**fix, "reason": "typo", "submission_key": str(uuid.uuid4())})
    assert lazy.status_code == 400 and "at least three words" in lazy.content.decode()
    done = client.post(
        url, {**fix, "reason": "Depth was misread on the tablet", "submission_key": uuid.uuid4()}
    )
    assert done.status_code == 302
    old, new = scores(org, course.patient)
    assert old.voided_at is not None and old.void_reason.startswith("Amended: Depth")
    assert new.amends == old and new.total == 9 and new.voided_at is None
    page = client.get(reverse("assessment_detail", args=[old.public_id])).content.decode()
    assert "See the corrected score" in page


def test_the_database_refuses_to_edit_or_delete_a_score(org, practitioner, course, protocol):
    post_score(client_for(practitioner), course, protocol)
    [saved] = scores(org, course.patient)
    with acting_for(org):
        with pytest.raises(Exception, match="signed records"), transaction.atomic():
            Assessment.objects.filter(pk=saved.pk).update(total=2)
        with pytest.raises(Exception, match="signed records"), transaction.atomic():
            Assessment.objects.filter(pk=saved.pk).delete()
        Assessment.objects.filter(pk=saved.pk).update(
            voided_at=timezone.now(), void_reason="Entered in error"
        )
        with pytest.raises(Exception, match="signed records"), transaction.atomic():
            Assessment.objects.filter(pk=saved.pk).update(void_reason="Something else")


def test_every_assessment_trigger_exists_on_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {t.split(" ")[2] for t in triggers.SQLITE}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {"assessment_immutable", "chartv_outcomes_assessment"}
        present = {row[0] for row in cursor.fetchall()}
    assert expected <= present


# --- who may ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician"])
def test_clinical_roles_read_and_record_outcomes(personas, role, course, protocol):
    client = client_for(personas[role])
    page = client.get(reverse("patient_outcomes", args=[course.patient.public_id]))
    assert page.status_code == 200
    assert post_score(client, course, protocol).status_code == 302


def test_reception_never_sees_outcomes(org, practitioner, reception, course, protocol):
    post_score(client_for(practitioner), course, protocol)
    [saved] = scores(org, course.patient)
    client = client_for(reception)
    for url in (
        reverse("patient_outcomes", args=[course.patient.public_id]),
        reverse("assessment_detail", args=[saved.public_id]),
        new_url(course.patient),
    ):
        assert client.get(url).status_code == 403
    assert post_score(client, course, protocol).status_code == 403
    assert (
        "Hexsel"
        not in client.get(
            reverse("patient_detail", args=[course.patient.public_id])
        ).content.decode()
    )


def test_another_organization_gets_404(org, practitioner, outsider, course, protocol):
    post_score(client_for(practitioner), course, protocol)
    [saved] = scores(org, course.patient)
    client = client_for(outsider)
    for url in (
        reverse("patient_outcomes", args=[course.patient.public_id]),
        reverse("assessment_detail", args=[saved.public_id]),
        new_url(course.patient),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert course.patient.last_name not in response.content.decode()
    assert post_score(client, course, protocol).status_code == 404


def test_reading_a_score_is_audited(org, practitioner, course, protocol):
    client = client_for(practitioner)
    post_score(client, course, protocol)
    [saved] = scores(org, course.patient)
    client.get(reverse("assessment_detail", args=[saved.public_id]))
    assert AuditEvent.objects.filter(object_id=str(saved.public_id), action="view").count() == 1


def test_the_service_refuses_reception_below_the_views(org, reception, course, protocol):
    from django.core.exceptions import PermissionDenied

    entry = services.Entry(instrument="hexsel-css", timepoint="baseline", plan=course)
    with acting_for(org), pytest.raises(PermissionDenied):
        services.record_assessment(reception, course.patient, entry, HEXSEL, uuid.uuid4())


def test_the_outcomes_page_runs_a_bounded_number_of_queries(
    org, site, practitioner, course, protocol, django_assert_max_num_queries
):
    client = client_for(practitioner)
    for _ in range(3):
        post_score(client, course, protocol, timepoint="each-session")
    url = reverse("patient_outcomes", args=[course.patient.public_id])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_a_completed_plan_is_still_measured(org, course):
    with acting_for(org):
        type(course).objects.filter(pk=course.pk).update(status=PlanStatus.COMPLETED)
        [found] = courses.courses_for(course.patient)
    due = {d.timepoint for d in courses.due_for([found])}
    assert "end" in due and "baseline" not in due


def test_the_service_refuses_a_side_on_a_whole_patient_scale_and_anothers_plan(
    org, practitioner, course, make_patient
):
    other = make_patient()
    with acting_for(org):
        sided = services.Entry(instrument="norwood", timepoint="baseline", side="left")
        with pytest.raises(services.AssessmentRefused, match="not per side"):
            services.record_assessment(practitioner, other, sided, {"value": 3}, uuid.uuid4())
        theirs = services.Entry(instrument="hexsel-css", timepoint="baseline", plan=course)
        with pytest.raises(services.AssessmentRefused, match="not this patient's"):
            services.record_assessment(practitioner, other, theirs, HEXSEL, uuid.uuid4())
        later = services.Entry(
            instrument="hair-count",
            timepoint="end",
            taken_at=timezone.now() + dt.timedelta(days=1),
        )
        with pytest.raises(services.AssessmentRefused, match="future"):
            services.record_assessment(practitioner, other, later, {"value": 80}, uuid.uuid4())
        assert not Assessment.objects.filter(patient=other).exists()


def test_hair_loss_is_graded_on_the_scale_of_its_pattern(org, practitioner, make_patient):
    from mesoclinic.patients.models import Sex

    hair = [{"concern": "hair-loss", "area": "scalp"}]
    due = {}
    for sex in (Sex.FEMALE, Sex.MALE):
        patient = make_patient(sex=sex, first_name=f"Hair {sex}")
        plan_with_result(org, patient, practitioner, hair, timezone.localdate())
        with acting_for(org):
            due[sex] = {d.instrument.slug for d in courses.due_for(courses.courses_for(patient))}
    assert "ludwig" in due[Sex.FEMALE] and "norwood" not in due[Sex.FEMALE]
    assert "norwood" in due[Sex.MALE] and "ludwig" not in due[Sex.MALE]
    assert "hair-count" in due[Sex.FEMALE] & due[Sex.MALE]


def test_a_follow_up_due_offers_to_book_it(org, site, practitioner, course, protocol):
    signed = timezone.now() - dt.timedelta(days=95)
    make_session(org, course.patient, site, practitioner, days_ago=95, plan=course,
                 status=SessionStatus.SIGNED, signed_by=practitioner, signed_at=signed,
                 ended_at=signed)  # fmt: skip
    with acting_for(org):
        type(course).objects.filter(pk=course.pk).update(status=PlanStatus.COMPLETED)
    page = client_for(practitioner).get(reverse("patient_detail", args=[course.patient.public_id]))
    html = page.content.decode()
    due_on = (timezone.localtime(signed).date() + dt.timedelta(days=90)).isoformat()
    assert "3-month follow-up" in html
    assert f"date={due_on}" in html and "Book the follow-up" in html
