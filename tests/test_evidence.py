"""The evidence page: counts from the records, intervals from the statistics library,
lost to follow-up shown, small cells suppressed, comparisons labelled observational."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes import evidence
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.plans.models import Plan, PlanProtocol, PlanStatus, PlanVersion
from mesoclinic.plans.services import content_hash
from mesoclinic.rules import outcomes
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import AdverseEvent, SessionStatus, TreatmentSession
from tests.factories import client_for

DCA = "submental-deoxycholic"
PCDC = "body-lipolysis-pcdc"


def cohort(
    org, site, user, protocol, n, *, improved, scale, baseline, better, lost=0, events=0, sex="F"
):
    """``n`` courses of ``protocol``, each with one signed session; ``improved`` of them
    score ``better`` at the end on ``scale`` (the rest stay at ``baseline``), ``lost``
    have no end score, and ``events`` adverse events are charted on the first sessions."""
    instrument = outcomes.instrument(scale)
    now = timezone.now()
    with acting_for(org):
        patients = pm.Patient.objects.bulk_create(
            [
                pm.Patient(
                    organization=org,
                    first_name=f"P{i}",
                    last_name=protocol,
                    date_of_birth=dt.date(1980, 1, 1),
                    sex=sex,
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
        result = {"areas": [{"protocol": protocol, "area": "submental", "sessions": 1}]}
        for plan in plans:  # one by one: the database's trigger lists each one's protocols
            PlanVersion.objects.create(
                organization=org,
                plan=plan,
                number=1,
                inputs={},
                result=result,
                approved_by=user,
                content_hash=content_hash({}, result),
            )
        sessions = TreatmentSession.objects.bulk_create(
            [
                TreatmentSession(
                    organization=org,
                    patient=p,
                    plan=plan,
                    site=site,
                    status=SessionStatus.SIGNED,
                    started_at=now - dt.timedelta(days=60),
                    signed_at=now - dt.timedelta(days=60),
                    signed_by=user,
                    performed_by=user,
                )
                for p, plan in zip(patients, plans, strict=True)
            ]
        )
        rows = []
        for i, (p, plan) in enumerate(zip(patients, plans, strict=True)):
            points = [("end", better if i < improved else baseline)] if i >= lost else []
            if instrument.relative_to is None:
                points.insert(0, ("baseline", baseline))
            for timepoint, value in points:
                scored = outcomes.score(instrument, {"value": value})
                rows.append(
                    Assessment(
                        organization=org,
                        patient=p,
                        plan=plan,
                        protocol=protocol,
                        instrument=scale,
                        instrument_version=instrument.version,
                        timepoint=timepoint,
                        rater=instrument.rater,
                        answers=dict(scored.answers),
                        total=Decimal(str(scored.total)),
                        code=scored.code or "",
                        display=scored.display,
                        taken_at=now - dt.timedelta(days=30),
                        submission_key=uuid.uuid4(),
                        created_by=user,
                    )
                )
        Assessment.objects.bulk_create(rows)
        for session in sessions[:events]:
            AdverseEvent.objects.create(
                patient=session.patient,
                session=session,
                event_type="bruising",
                grade=1,
                onset_on=timezone.localdate(),
                description="Bruise at an injection point",
                reported_by=user,
            )
    return plans


@pytest.fixture
def refine(org, site, practitioner):
    """REFINE-1-sized groups with its published responder rates (section 5): 70.0% of
    256 on deoxycholic acid and 18.6% of 258 on placebo, here another protocol."""
    cohort(org, site, practitioner, DCA, 256, improved=179, scale="cr-smfrs", baseline=3, better=2)
    cohort(org, site, practitioner, DCA, 0, improved=0, scale="gais-patient", baseline=4, better=3)
    with acting_for(org):
        dca_plans = list(Plan.objects.filter(patient__last_name=DCA))
        rows = []
        for i, plan in enumerate(dca_plans):
            value = 3 if i < 179 else 4
            scored = outcomes.score(outcomes.instrument("gais-patient"), {"value": value})
            rows.append(
                Assessment(
                    organization=org,
                    patient_id=plan.patient_id,
                    plan=plan,
                    protocol=DCA,
                    instrument="gais-patient",
                    instrument_version=1,
                    timepoint="end",
                    rater="patient",
                    answers=dict(scored.answers),
                    total=scored.total,
                    code=scored.code or "",
                    display=scored.display,
                    taken_at=timezone.now() - dt.timedelta(days=30),
                    submission_key=uuid.uuid4(),
                    created_by=practitioner,
                )
            )
        Assessment.objects.bulk_create(rows)
    cohort(
        org, site, practitioner, PCDC, 258, improved=48, scale="gais-patient", baseline=4, better=3
    )


def protocol_figures(org, slug, **filters):
    with acting_for(org):
        return next(p for p in evidence.evidence(evidence.Filters(**filters)) if p.slug == slug)


def test_refine_sized_groups_show_the_published_rates(org, refine):
    dca = protocol_figures(org, DCA)
    smfrs = next(o for o in dca.outcomes if o.instrument.slug == "cr-smfrs")
    assert (dca.courses, smfrs.n_baseline, smfrs.n_final, smfrs.n_lost) == (256, 256, 256, 0)
    assert smfrs.responders.k == 179 and round(smfrs.responders.rate, 3) == 0.699
    assert smfrs.responders.ci.low < 0.699 < smfrs.responders.ci.high
    assert smfrs.mean_change.mean == pytest.approx(179 / 256)
    assert smfrs.primary


def test_the_page_compares_two_protocols_as_observational(org, refine, practitioner):
    client = client_for(practitioner)
    page = client.get(
        reverse("evidence"), {"first": DCA, "second": PCDC, "instrument": "gais-patient"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "70%" in html and "19%" in html  # 179/256 and 48/258
    assert "the interval excludes no difference" in html
    assert "Observational, not randomised" in html
    with acting_for(org):
        result = evidence.compare(evidence.Filters(), DCA, PCDC, "gais-patient")
    low, high = result["difference"].ci.low, result["difference"].ci.high
    assert 0 < low < 0.699 - 0.186 < high


def test_lost_to_follow_up_is_counted_and_shown(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 20, improved=10, scale="cr-smfrs", baseline=3, better=1,
           lost=6)  # fmt: skip
    smfrs = next(o for o in protocol_figures(org, DCA).outcomes if o.instrument.slug == "cr-smfrs")
    assert (smfrs.n_started, smfrs.n_baseline, smfrs.n_final, smfrs.n_lost) == (20, 20, 14, 6)
    # Of the 14 with an end score, 4 improved (the first 6 improved ones were lost).
    assert smfrs.responders.k == 4 and smfrs.responders.n == 14
    assert smfrs.responders_2.k == 4  # 3 -> 1 is two grades
    html = client_for(practitioner).get(reverse("evidence")).content.decode()
    assert "Lost to follow-up" in html


def test_cells_of_fewer_than_five_patients_are_suppressed(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 4, improved=4, scale="cr-smfrs", baseline=3, better=2)
    figures = protocol_figures(org, DCA)
    assert figures.suppressed
    html = client_for(practitioner).get(reverse("evidence")).content.decode()
    assert "Fewer than 5 patients" in html and "100%" not in html


def test_adverse_events_per_100_sessions_with_an_interval(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 50, improved=30, scale="cr-smfrs", baseline=3, better=2,
           events=5)  # fmt: skip
    figures = protocol_figures(org, DCA)
    assert figures.sessions == 50 and figures.events.events == 5
    assert figures.events.rate == pytest.approx(10.0)
    assert figures.events.ci.low < 10 < figures.events.ci.high
    assert figures.by_type[0]["type"] == "Bruising / haematoma" and figures.by_type[0]["n"] == 5


def test_filters_by_period(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 10, improved=5, scale="cr-smfrs", baseline=3, better=2)
    later = timezone.localdate() - dt.timedelta(days=10)
    with acting_for(org):
        assert evidence.evidence(evidence.Filters(since=later)) == []
    assert protocol_figures(org, DCA, until=timezone.localdate()).courses == 10


def test_a_version_lists_its_protocols_by_trigger(org, site, practitioner):
    plans = cohort(org, site, practitioner, PCDC, 2, improved=0, scale="gais-patient",
                   baseline=4, better=3)  # fmt: skip
    with acting_for(org):
        assert set(PlanProtocol.objects.values_list("plan_id", "protocol")) == {
            (p.pk, PCDC) for p in plans
        }


def test_the_csv_rows_are_pseudonymised(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 6, improved=3, scale="cr-smfrs", baseline=3, better=2,
           lost=1)  # fmt: skip
    response = client_for(practitioner).get(reverse("evidence_csv"))
    assert response.status_code == 200
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "protocol,outcome,patient,baseline,final,change,responder"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 6 and all(r[2].startswith("P-") for r in rows)
    assert sorted(r[6] for r in rows) == ["", "false", "false", "false", "true", "true"]
    assert DCA in lines[1] and "P0" not in response.content.decode()
    assert AuditEvent.objects.filter(action="export", object_type="evidence").count() == 1


@pytest.mark.parametrize("role", ["esthetician", "reception"])
def test_only_owners_and_practitioners_see_the_evidence(personas, role):
    client = client_for(personas[role])
    assert client.get(reverse("evidence")).status_code == 403
    assert client.get(reverse("evidence_csv")).status_code == 403


def test_another_organization_never_sees_our_courses(org, site, practitioner, outsider):
    cohort(org, site, practitioner, DCA, 10, improved=5, scale="cr-smfrs", baseline=3, better=2)
    html = client_for(outsider).get(reverse("evidence")).content.decode()
    assert "No course has started" in html
    csv = client_for(outsider).get(reverse("evidence_csv")).content.decode()
    assert csv.strip().count("\n") == 0


def test_the_page_is_audited_and_its_queries_bounded(
    org, site, practitioner, owner, django_assert_max_num_queries
):
    cohort(org, site, practitioner, DCA, 30, improved=20, scale="cr-smfrs", baseline=3, better=2)
    cohort(org, site, practitioner, PCDC, 30, improved=10, scale="gais-patient", baseline=4,
           better=3, events=3)  # fmt: skip
    client = client_for(owner)
    client.get(reverse("home"))
    with django_assert_max_num_queries(20):  # one per protocol for its plot, 4 to see change
        assert client.get(reverse("evidence")).status_code == 200
    assert AuditEvent.objects.filter(action="view", object_type="evidence").count() == 1


def test_the_command_prints_the_same_figures(org, site, practitioner, capsys):
    import json

    from django.core.management import call_command

    cohort(org, site, practitioner, DCA, 20, improved=14, scale="cr-smfrs", baseline=3, better=2,
           lost=2)  # fmt: skip
    call_command("evidence", "--json", "--organization", org.name)
    printed = json.loads(capsys.readouterr().out)
    [dca] = printed["protocols"]
    smfrs = next(o for o in dca["outcomes"] if o["slug"] == "cr-smfrs")
    assert (dca["slug"], smfrs["n_started"], smfrs["n_final"], smfrs["n_lost"]) == (DCA, 20, 18, 2)
    assert smfrs["responders"] == 12 and smfrs["responder_rate"] == pytest.approx(12 / 18)
    low, high = smfrs["responder_ci"]
    assert low < 12 / 18 < high
    call_command("evidence", "--csv", "--organization", org.name, "--protocol", DCA)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("protocol,outcome,patient") and len(lines) == 21
    assert AuditEvent.objects.filter(action="export", object_type="evidence").count() == 2


def test_a_course_still_under_way_is_not_lost_to_follow_up(org, site, practitioner):
    plans = cohort(org, site, practitioner, DCA, 10, improved=4, scale="cr-smfrs", baseline=3,
                   better=2, lost=6)  # fmt: skip
    with acting_for(org):
        Plan.objects.filter(pk__in=[p.pk for p in plans[:4]]).update(status=PlanStatus.ACTIVE)
    smfrs = next(o for o in protocol_figures(org, DCA).outcomes if o.instrument.slug == "cr-smfrs")
    # Six have no end score: four are still in their course, two are lost.
    assert (smfrs.n_final, smfrs.n_ongoing, smfrs.n_lost) == (4, 4, 2)


def test_a_scale_for_one_sex_counts_only_its_patients(org, site, practitioner):
    """Norwood grades men's hair loss: the women's courses are not lost to it."""
    hair = "hair-minoxidil"
    cohort(org, site, practitioner, hair, 6, improved=3, scale="norwood", baseline=4, better=3,
           sex="M")  # fmt: skip
    cohort(org, site, practitioner, hair, 8, improved=3, scale="ludwig", baseline=2, better=1,
           sex="F", lost=2)  # fmt: skip
    found = {o.instrument.slug: o for o in protocol_figures(org, hair).outcomes}
    assert (found["norwood"].n_started, found["norwood"].n_lost) == (6, 0)
    assert (found["ludwig"].n_started, found["ludwig"].n_lost) == (8, 2)
    assert found["hair-count"].n_started == 14


def test_filters_by_concern(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 6, improved=3, scale="cr-smfrs", baseline=3, better=2)
    cohort(org, site, practitioner, PCDC, 6, improved=3, scale="gais-patient", baseline=4,
           better=3)  # fmt: skip
    with acting_for(org):
        fat = {p.slug for p in evidence.evidence(evidence.Filters(concern="localized-fat"))}
        hair = evidence.evidence(evidence.Filters(concern="hair-loss"))
    assert DCA in fat and hair == []
    page = client_for(practitioner).get(reverse("evidence"), {"concern": "hair-loss"})
    assert "No course has started with these filters" in page.content.decode()


def test_the_table_exports_as_the_page_shows_it(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 20, improved=14, scale="cr-smfrs", baseline=3, better=2,
           lost=2)  # fmt: skip
    cohort(org, site, practitioner, PCDC, 3, improved=1, scale="gais-patient", baseline=4,
           better=3)  # fmt: skip
    response = client_for(practitioner).get(reverse("evidence_table_csv"))
    assert response.status_code == 200
    lines = [line.split(",") for line in response.content.decode().strip().splitlines()]
    header, rows = lines[0], {(r[0], r[1]): dict(zip(lines[0], r, strict=True)) for r in lines[1:]}
    assert header[:4] == ["protocol", "outcome", "primary", "n_started"]
    smfrs = rows[(DCA, "cr-smfrs")]
    assert (smfrs["primary"], smfrs["n_final"], smfrs["n_lost"], smfrs["responders"]) == (
        "true", "18", "2", "12",
    )  # fmt: skip
    assert float(smfrs["responder_ci_low"]) < 12 / 18 < float(smfrs["responder_ci_high"])
    # Three patients: counted, but no rate is given.
    small = rows[(PCDC, "gais-patient")]
    assert small["n_started"] == "3" and small["responder_rate"] == ""
    assert AuditEvent.objects.filter(action="export", object_type="evidence").count() == 1


def test_filters_by_area(org, site, practitioner):
    cohort(org, site, practitioner, DCA, 6, improved=3, scale="cr-smfrs", baseline=3, better=2)
    with acting_for(org):
        assert PlanProtocol.objects.filter(area="submental").count() == 6
        under_chin = evidence.evidence(evidence.Filters(area="submental"))
        scalp = evidence.evidence(evidence.Filters(area="scalp"))
    assert [p.slug for p in under_chin] == [DCA] and under_chin[0].courses == 6
    smfrs = next(o for o in under_chin[0].outcomes if o.instrument.slug == "cr-smfrs")
    assert smfrs.n_final == 6 and scalp == []


def test_the_figures_are_counted_again_when_the_record_moves(org, site, practitioner):
    from tests.factories import count_queries

    cohort(org, site, practitioner, DCA, 6, improved=3, scale="cr-smfrs", baseline=3, better=2)
    client = client_for(practitioner)
    url = reverse("evidence")
    counted = count_queries(client, url)
    assert count_queries(client, url) < counted  # the same record: the same count
    cohort(org, site, practitioner, DCA, 2, improved=1, scale="cr-smfrs", baseline=3, better=2)
    assert "8 courses started" in client.get(url).content.decode()
