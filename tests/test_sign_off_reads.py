"""Sign-off reads the session once, locked, with what its checks use (issue 13).

The page loads only the session's keys; `sessions.sign` locks the row and reads the
patient, the clinic, the plan version and who answers for the follow-ups in the same
query. Every check must see exactly what it saw when each relation was read on its own.
"""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import aftercare, exposure, session_checks, sessions
from mesoclinic.treatments.models import TreatmentSession
from mesoclinic.treatments.safety import responsible_practitioner
from tests.factories import (
    client_for,
    only_session,
    post_chart,
    post_start,
    receive_lot,
    take_baseline_photos,
)

# The session and the signed-in user; the keys; a savepoint; the licence; the locked session;
# its rows; 8 kinds of history; earlier sessions (their rows too when there are some); stock;
# the signature and its history row; the follow-up count, task and history row; the audit
# event; the savepoint released; the course's baseline photos (issue 15); the appointment
# the session was started from, to complete it, and the patient's course package to draw
# from, in one query (issue 17). It was 30 before the lean reads.
SIGN_MAX = 27


def _charted(org, site, practitioner, plan):
    client = client_for(practitioner)
    assert post_start(client, plan, site).status_code == 302
    lot = receive_lot(org, site, practitioner, "DCA-S1")
    assert post_chart(client, only_session(org), lot, volume_ml="3").status_code == 200
    take_baseline_photos(org, practitioner, only_session(org))
    return client, only_session(org)


def _selects(queries, table):
    return [
        q["sql"] for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]


def test_sign_off_reads_the_session_and_its_plan_version_once(
    org, site, practitioner, consented_plan, django_assert_max_num_queries
):
    client, session = _charted(org, site, practitioner, consented_plan)
    url = reverse("session_sign", args=[session.public_id])
    with django_assert_max_num_queries(SIGN_MAX), CaptureQueriesContext(connection) as ctx:
        assert client.post(url).status_code == 302
    keys, locked = _selects(ctx.captured_queries, "treatments_treatmentsession")[:2]
    assert keys.startswith(
        'SELECT "treatments_treatmentsession"."id", "treatments_treatmentsession"."public_id" FROM'
    )
    assert "plans_planversion" not in keys and "JOIN" not in keys
    versions = [
        q["sql"] for q in ctx.captured_queries if '"plans_planversion"."result"' in q["sql"]
    ]
    assert versions == [locked]  # the wide JSON is read once, with the locked session
    assert not _selects(ctx.captured_queries, "plans_plan")
    assert not _selects(ctx.captured_queries, "patients_patient")
    assert len(_selects(ctx.captured_queries, "accounts_user")) == 1  # the signed-in user
    if connection.features.has_select_for_update_of:
        assert locked.endswith('FOR UPDATE OF "treatments_treatmentsession"')  # not the patient
    assert only_session(org).is_signed
    assert client.get(url).status_code == 302  # signed: the summary is not shown again


def _more_history(org, patient, practitioner):
    with acting_for(org):
        for model, fields in [
            (pm.Allergy, {"substance_text": "Latex gloves", "reaction": "Rash"}),
            (pm.Allergy, {"substance_text": "Grandma's ointment"}),
            (pm.Medication, {"name": "Warfarin 5 mg"}),
            (pm.Medication, {"name": "Unknownium"}),
            (pm.Condition, {"condition": "diabetes"}),
            (pm.PregnancyStatus, {"status": "breastfeeding", "confirmed_on": date(2026, 2, 1)}),
            (pm.SkinInfection, {"area": "submental", "description": "Folliculitis"}),
            (pm.LifestyleFactor, {"factor": "smoking"}),
        ]:
            model.objects.create(
                patient=patient, created_by=practitioner, recorded_on=date(2026, 1, 5), **fields
            )
        pm.Medication.objects.filter(name="Unknownium").update(voided_at=timezone.now())


def _what_sign_off_checks(session):
    rows = sessions.charted_rows(session)
    profile = exposure.session_profile(session)
    return {
        "profile": profile,
        "overrides": session_checks.session_overrides(session),
        "findings": session_checks.exposure_findings(session, rows, profile),
        "aftercare": aftercare.sheet_lines(session, profile, rows),
        "answers for it": responsible_practitioner(session.organization_id, session),
        "schedule": session.plan_version.result["schedule"],
        "follow-ups": session.plan_version.result.get("follow_ups"),
    }


def test_the_locked_read_feeds_the_checks_exactly_as_before(
    org, site, practitioner, patient, consented_plan
):
    _, session = _charted(org, site, practitioner, consented_plan)
    _more_history(org, patient, practitioner)
    with acting_for(org):
        before = TreatmentSession.objects.get(pk=session.pk)  # each relation read on its own
        locked = sessions._lock_to_sign(session)
        assert _what_sign_off_checks(locked) == _what_sign_off_checks(before)
        assert {f["code"] for f in _what_sign_off_checks(locked)["findings"]}  # it does stop
        assert locked.patient.organization.jurisdiction == org.jurisdiction
        assert locked.get_deferred_fields() == set()  # its history row copies every column
