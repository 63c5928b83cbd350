"""Clinical records: one shape, previous values kept, one organization, signed rows frozen."""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.plans import consent as consents
from mesoclinic.plans.models import Consent, PlanVersion
from mesoclinic.records import ClinicalRecord
from mesoclinic.tenancy import OrgManager, TenancyError, acting_for
from mesoclinic.treatments import safety, sessions
from mesoclinic.treatments.models import AdverseEvent, SessionArea, TreatmentSession
from tests.factories import SIGNATURE, client_for, make_event, make_lot, make_session, post_consent

CLINICAL_APPS = ["patients", "plans", "treatments", "scheduling", "notifications", "photos"]

# Models of the clinical apps that are not scoped to one organization, and why.
UNSCOPED = {
    # The catalogue's mg/mL per ingredient, the same for every clinic (copied from the
    # reference data after every migrate, for the database's own dose check).
    "treatments.ProductContent",
    # django-simple-history's through table for AdverseEvent.lots: none is registered.
}


# --- one shape ------------------------------------------------------------------------------


def _clinical_models():
    for label in CLINICAL_APPS:
        for model in apps.get_app_config(label).get_models():
            if not model.__name__.startswith("Historical"):
                yield model


def test_every_model_of_the_clinical_apps_is_scoped_to_an_organization():
    """Its default manager raises with no organization in context; only the allow-list is not."""
    models = [*_clinical_models(), apps.get_model("accounts", "ClinicalLicence")]
    unscoped = {
        m._meta.label for m in models if not isinstance(m._default_manager, OrgManager)
    } - UNSCOPED
    assert not unscoped
    assert {m._meta.label for m in models} >= UNSCOPED


def test_the_history_of_every_clinical_record_is_scoped_too():
    for model in apps.get_models():
        if issubclass(model, ClinicalRecord):
            assert isinstance(model.history.model._default_manager, OrgManager), model
            with pytest.raises(TenancyError):
                list(model.history.all())


@pytest.mark.parametrize(
    "label",
    [
        "patients.Patient", "patients.Allergy", "plans.Plan", "plans.PlanVersion",
        "plans.Consent", "treatments.TreatmentSession", "treatments.SessionArea",
        "treatments.SessionAmendment", "treatments.AdverseEvent", "treatments.FollowUpTask",
        "treatments.Lot", "scheduling.Appointment", "accounts.ClinicalLicence", "photos.Photo",
    ],
)  # fmt: skip
def test_clinical_records_share_one_shape(label):
    model = apps.get_model(label)
    assert issubclass(model, ClinicalRecord)
    names = {f.name for f in model._meta.fields}
    assert {"public_id", "created_at", "created_by", "changed_at", "changed_by"} <= names


# --- previous values --------------------------------------------------------------------------


def test_changing_an_adverse_events_grade_keeps_the_old_grade_and_who_changed_it(
    org, patient, practitioner, owner
):
    event = make_event(org, patient, practitioner, grade=2, event_type="bruising")
    with acting_for(org):
        safety.update_event(owner, event, {"grade": 3, "outcome": "Resolving"})
        history = list(AdverseEvent.objects.get(pk=event.pk).history.order_by("history_date"))
    assert [h.grade for h in history] == [2, 3]
    assert history[0].outcome == "" and history[1].outcome == "Resolving"
    assert history[1].history_user == owner and history[1].changed_by_id == owner.pk
    with acting_for(org):
        assert AdverseEvent.objects.get(pk=event.pk).changed_by == owner


def test_another_clinic_never_sees_our_history(org, other_org, patient, practitioner):
    event = make_event(org, patient, practitioner)
    with acting_for(other_org):
        assert not AdverseEvent.history.filter(id=event.pk).exists()
    with acting_for(org):
        assert AdverseEvent.history.filter(id=event.pk).count() == 1


def test_voiding_a_signed_session_keeps_its_history(org, patient, site, practitioner, owner):
    """History rows are inserted beside a signed session, which its triggers allow."""
    lot = make_lot(org, site, owner)
    session = make_session(org, patient, site, practitioner, lot)
    with acting_for(org):
        TreatmentSession.objects.filter(pk=session.pk).update(
            status="signed", signed_at=timezone.now(), signed_by=practitioner
        )
        session.refresh_from_db()
        sessions.void(practitioner, session, "Charted on the wrong patient")
        kept = list(session.history.order_by("history_date"))
    assert kept[-1].status == "voided" and kept[-1].history_user == practitioner


# --- one audit action for every void ---------------------------------------------------------


def test_voiding_an_adverse_event_is_audited_as_a_void_with_its_reason(org, patient, practitioner):
    event = make_event(org, patient, practitioner)
    with acting_for(org):
        assert safety.void_event(practitioner, event, "Recorded on the wrong patient")
        audit = AuditEvent.objects.get(object_id=str(event.public_id), action=Action.VOID)
        assert event.history.latest().voided_by == practitioner
    assert audit.detail == "Recorded on the wrong patient"


# --- one organization ----------------------------------------------------------------------


def test_a_session_charted_with_another_clinics_lot_is_refused(
    org, other_org, patient, site, practitioner, outsider
):
    session = make_session(org, patient, site, practitioner)
    other_site = Site.objects.create(organization=other_org, name="Elsewhere")
    their_lot = make_lot(other_org, other_site, outsider)
    with acting_for(org), pytest.raises(TenancyError, match="lot belongs to another"):
        SessionArea.objects.create(
            session=session, area="submental", technique="hypodermic", lot=their_lot,
            volume_ml=1,
        )  # fmt: skip
    with acting_for(org):
        assert not SessionArea.objects.exists()


def test_a_session_at_another_clinics_site_is_refused(org, other_org, patient, practitioner):
    other_site = Site.objects.create(organization=other_org, name="Elsewhere")
    with acting_for(org), pytest.raises(TenancyError, match="site belongs to another"):
        make_session(org, patient, other_site, practitioner)
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


# --- signed records are frozen in the database ------------------------------------------------


def _sql(statement, params):
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(statement, params)


def _signed_consent(org, practitioner, plan) -> Consent:
    post_consent(client_for(practitioner), plan)
    with acting_for(org):
        return Consent.objects.get(plan=plan)


def test_an_approved_plan_version_refuses_update_and_delete(org, approved_plan):
    with acting_for(org):
        version = PlanVersion.objects.get(plan=approved_plan)
    with pytest.raises(DatabaseError, match="plan versions are immutable"):
        _sql("UPDATE plans_planversion SET number = 7 WHERE id = %s", [version.pk])
    with pytest.raises(DatabaseError, match="plan versions are immutable"):
        _sql("DELETE FROM plans_planversion WHERE id = %s", [version.pk])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE plans_consent SET text = 'something else' WHERE id = %s",
        "UPDATE plans_consent SET patient_signature = '' WHERE id = %s",
        "DELETE FROM plans_consent WHERE id = %s",
    ],
)
def test_a_signed_consent_refuses_changes_to_what_was_signed(
    org, practitioner, approved_plan, statement
):
    consent = _signed_consent(org, practitioner, approved_plan)
    with pytest.raises(DatabaseError, match="signed consents are immutable"):
        _sql(statement, [consent.pk])


def test_a_consent_is_countersigned_and_voided_once_and_then_frozen(
    org, practitioner, owner, approved_plan
):
    consent = _signed_consent(org, practitioner, approved_plan)
    with acting_for(org):
        consents.countersign(practitioner, consent)
        consents.revoke(practitioner, consent, "Patient withdrew her consent")
        consent.refresh_from_db()
        assert consent.voided_by == practitioner and consent.countersigned_by == practitioner
    for statement in (
        "UPDATE plans_consent SET void_reason = 'rewritten' WHERE id = %s",
        "UPDATE plans_consent SET voided_at = NULL WHERE id = %s",
        "UPDATE plans_consent SET countersigned_at = NULL WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="signed consents are immutable"):
            _sql(statement, [consent.pk])
    audit = AuditEvent.objects.get(object_id=str(consent.public_id), action=Action.VOID)
    assert audit.detail == "Patient withdrew her consent"
    assert SIGNATURE in consent.patient_signature
