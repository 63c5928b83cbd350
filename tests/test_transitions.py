"""Each stateful record changes status only as its table allows.

For every record: every change its table does not list is refused with a reason
and leaves the row (and the audit log) as it was; every listed change its use
cases make works. Services are called directly, with the acting user.
"""

import datetime as dt
from datetime import date

import pytest
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans import states as plan_states
from mesoclinic.plans.models import Consent, PlanStatus
from mesoclinic.scheduling import services as booking
from mesoclinic.scheduling import states as appointment_states
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.tenancy import acting_for
from mesoclinic.transitions import TransitionRefused, Transitions
from mesoclinic.treatments import safety, sessions
from mesoclinic.treatments import states as treatment_states
from mesoclinic.treatments.models import AdverseEvent, SessionStatus
from tests.factories import (
    book,
    local,
    make_event,
    make_lot,
    next_weekday,
    open_clinic,
    plan_in_status,
    session_in_status,
)

TABLES = {
    "plan": plan_states.PLAN,
    "consent": plan_states.CONSENT,
    "appointment": appointment_states.APPOINTMENT,
    "session": treatment_states.SESSION,
    "adverse event": treatment_states.ADVERSE_EVENT,
}


def _pairs(table: Transitions, allowed: bool):
    return [
        (a, b)
        for a in table.states()
        for b in table.states()
        if table.allows(a, b) == allowed and a != b
    ]


@pytest.mark.parametrize("name", TABLES)
def test_every_table_names_each_status_once_and_only_known_targets(name):
    table = TABLES[name]
    states = table.states()
    assert len(states) == len(set(states))
    assert all(target in states for targets in table.allowed.values() for target in targets)


@pytest.mark.parametrize(
    "name,current,target",
    [(n, a, b) for n, t in TABLES.items() for a, b in _pairs(t, allowed=False)],
)
def test_every_change_a_table_does_not_list_is_refused_with_a_reason(name, current, target):
    with pytest.raises(TransitionRefused) as refused:
        TABLES[name].check(current, target)
    assert refused.value.message and (refused.value.current, refused.value.target) == (
        current,
        target,
    )


def _audit_count():
    return AuditEvent.objects.count()


# --- plans --------------------------------------------------------------------------------


ITEMS = [{"concern": "localized-fat", "area": "submental"}]


PLAN_USE_CASES = {
    PlanStatus.PROPOSED: lambda user, plan: plans.propose(user, plan),
    PlanStatus.DRAFT: lambda user, plan: plans.reopen(user, plan),
    PlanStatus.CANCELLED: lambda user, plan: plans.cancel(user, plan, "Patient chose surgery"),
    PlanStatus.APPROVED: lambda user, plan: plans.approve(
        user, plan, plan.patient, plan.lock_version
    ),
}


@pytest.mark.parametrize(
    "current,target",
    [(a, b) for a in PlanStatus for b in PLAN_USE_CASES if not plan_states.PLAN.allows(a, b)],
)
def test_a_plan_use_case_refuses_what_the_table_does_not_allow_and_changes_nothing(
    org, patient, practitioner, current, target
):
    plan = plan_in_status(org, patient, practitioner, current)
    before = _audit_count()
    with acting_for(org), pytest.raises(TransitionRefused) as refused:
        PLAN_USE_CASES[target](practitioner, plan)
    assert refused.value.message == plan_states.PLAN.reason(current, target)
    with acting_for(org):
        plan.refresh_from_db()
    assert (plan.status, plan.lock_version, plan.cancelled_reason) == (current, 0, "")
    assert _audit_count() == before


@pytest.mark.parametrize(
    "current,target",
    [(a, b) for a in PlanStatus for b in PLAN_USE_CASES if plan_states.PLAN.allows(a, b)],
)
def test_a_plan_use_case_makes_each_change_the_table_allows(
    org, patient, practitioner, current, target
):
    plan = plan_in_status(org, patient, practitioner, current)
    with acting_for(org):
        PLAN_USE_CASES[target](practitioner, plan)
        plan.refresh_from_db()
    assert plan.status == target and plan.lock_version == 1


def test_cancelling_a_plan_needs_a_reason_and_changes_nothing_without_one(
    org, patient, practitioner
):
    plan = plan_in_status(org, patient, practitioner)
    with acting_for(org), pytest.raises(plans.CancelRefused, match="needs a reason"):
        plans.cancel(practitioner, plan, " ")
    with acting_for(org):
        plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_consent_and_sessions_move_a_plan_only_from_the_status_they_follow(
    org, patient, practitioner
):
    draft = plan_in_status(org, patient, practitioner, PlanStatus.DRAFT)
    with acting_for(org):
        plans.consent_given(draft.pk)  # a reopened plan's old consent countersigned late
        plans.treatment_started(draft.pk)
        draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    for current, follow, target in [
        (PlanStatus.APPROVED, plans.consent_given, PlanStatus.CONSENTED),
        (PlanStatus.CONSENTED, plans.consent_withdrawn, PlanStatus.APPROVED),
        (PlanStatus.CONSENTED, plans.treatment_started, PlanStatus.ACTIVE),
    ]:
        assert plan_states.PLAN.allows(current, target)
        plan = plan_in_status(org, patient, practitioner, current)
        with acting_for(org):
            follow(plan.pk)
            plan.refresh_from_db()
        assert plan.status == target


# --- consent ------------------------------------------------------------------------------


def _consent_row(org, consent) -> Consent:
    with acting_for(org):
        return Consent.objects.select_related("plan").get(pk=consent.pk)


def test_a_signed_consent_is_countersigned_then_revoked(org, practitioner, signed_consent):
    with acting_for(org):
        consents.countersign(practitioner, signed_consent)
    row = _consent_row(org, signed_consent)
    assert plan_states.consent_state(row) == plan_states.ConsentState.COUNTERSIGNED
    assert row.plan.status == PlanStatus.CONSENTED
    with acting_for(org):
        consents.countersign(practitioner, row)  # a double tap changes nothing
        consents.revoke(practitioner, row, "Patient changed her mind")
    row = _consent_row(org, signed_consent)
    assert plan_states.consent_state(row) == plan_states.ConsentState.REVOKED
    assert row.plan.status == PlanStatus.APPROVED


def test_a_signed_consent_may_be_revoked_before_it_is_countersigned(
    org, practitioner, signed_consent
):
    with acting_for(org):
        consents.revoke(practitioner, signed_consent, "Patient changed her mind")
    assert plan_states.consent_state(_consent_row(org, signed_consent)) == "revoked"


@pytest.mark.parametrize("use_case", ["countersign", "revoke"])
def test_a_revoked_consent_is_neither_countersigned_nor_revoked_again(
    org, practitioner, signed_consent, use_case
):
    with acting_for(org):
        consents.revoke(practitioner, signed_consent, "Patient changed her mind")
    row = _consent_row(org, signed_consent)
    before = _audit_count()
    with acting_for(org), pytest.raises(TransitionRefused) as refused:
        if use_case == "countersign":
            consents.countersign(practitioner, row)
        else:
            consents.revoke(practitioner, row, "again")
    assert "revoked" in refused.value.message
    after = _consent_row(org, signed_consent)
    assert (after.countersigned_at, after.void_reason) == (None, "Patient changed her mind")
    assert _audit_count() == before


# --- appointments -------------------------------------------------------------------------


APPOINTMENT_USE_CASES = {
    Status.BOOKED: lambda user, appt: booking.accept(user, appt),
    Status.CONFIRMED: lambda user, appt: booking.confirm(user, appt),
    Status.CANCELLED: lambda user, appt: booking.cancel(user, appt, "patient ill"),
    Status.NO_SHOW: lambda user, appt: booking.no_show(user, appt),
    Status.COMPLETED: lambda user, appt: booking.complete(user, appt),
}


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


def _appointment(org, clinic, reception, practitioner, patient, status) -> Appointment:
    appt = book(org, reception, clinic, patient, practitioner, local(next_weekday(1), 10))
    started = timezone.now() - dt.timedelta(hours=2)
    with acting_for(org):
        # Set up below the services: in the past, so no-show and completion may apply.
        Appointment.objects.filter(pk=appt.pk).update(
            status=status,
            starts_at=started,
            ends_at=started + dt.timedelta(minutes=45),
            cancel_reason="moved away" if status == Status.CANCELLED else "",
        )
        appt.refresh_from_db()
    return appt


@pytest.mark.parametrize(
    "current,target",
    [
        (a, b)
        for a in Status
        for b in APPOINTMENT_USE_CASES
        if not appointment_states.APPOINTMENT.allows(a, b)
    ],
)
def test_an_appointment_use_case_refuses_what_the_table_does_not_allow(
    org,
    clinic,
    reception,
    practitioner,
    patient,
    current,
    target,
):
    appt = _appointment(org, clinic, reception, practitioner, patient, current)
    before = _audit_count()
    with acting_for(org), pytest.raises(TransitionRefused) as refused:
        APPOINTMENT_USE_CASES[target](reception, appt)
    assert refused.value.message == (
        f"A {Status(current).label.lower()} appointment cannot become "
        f"{Status(target).label.lower()}."
    )
    with acting_for(org):
        row = Appointment.objects.get(pk=appt.pk)
    assert (row.status, row.lock_version, row.cancel_reason) == (
        current,
        appt.lock_version,
        appt.cancel_reason,
    )
    assert _audit_count() == before


@pytest.mark.parametrize(
    "current,target",
    [
        (a, b)
        for a in Status
        for b in APPOINTMENT_USE_CASES
        if appointment_states.APPOINTMENT.allows(a, b)
    ],
)
def test_an_appointment_use_case_makes_each_change_the_table_allows(
    org,
    clinic,
    reception,
    practitioner,
    patient,
    current,
    target,
):
    appt = _appointment(org, clinic, reception, practitioner, patient, current)
    with acting_for(org):
        APPOINTMENT_USE_CASES[target](reception, appt)
        row = Appointment.objects.get(pk=appt.pk)
    assert row.status == target and row.lock_version == appt.lock_version


# --- treatment sessions -------------------------------------------------------------------


@pytest.fixture
def lot(org, site, owner):
    return make_lot(org, site, owner)


def test_a_voided_session_cannot_be_signed_and_stays_voided(org, patient, site, practitioner, lot):
    session = session_in_status(org, patient, site, practitioner, lot, SessionStatus.VOIDED)
    before = _audit_count()
    with acting_for(org), pytest.raises(sessions.SessionRefused, match="voided session cannot"):
        sessions.sign(practitioner, session)
    with acting_for(org):
        session.refresh_from_db()
    assert session.status == SessionStatus.VOIDED and session.signed_at is None
    assert _audit_count() == before


@pytest.mark.parametrize("current", [SessionStatus.IN_PROGRESS, SessionStatus.SIGNED])
def test_an_open_or_signed_session_is_voided_with_a_reason(
    org, patient, site, practitioner, lot, current
):
    session = session_in_status(org, patient, site, practitioner, lot, current)
    with acting_for(org):
        sessions.void(practitioner, session, "Charted on the wrong patient")
        session.refresh_from_db()
    assert session.status == SessionStatus.VOIDED


def test_an_open_session_is_signed_once(org, patient, site, practitioner, lot):
    session = session_in_status(org, patient, site, practitioner, lot, SessionStatus.IN_PROGRESS)
    with acting_for(org):
        assert sessions.sign(practitioner, session) is True
        assert sessions.sign(practitioner, session) is False
        session.refresh_from_db()
    assert session.status == SessionStatus.SIGNED


# --- adverse events -----------------------------------------------------------------------


def _event(org, patient, practitioner, state) -> AdverseEvent:
    E = treatment_states.AdverseEventState
    fields = {"resolved_on": date.today()} if state == E.RESOLVED else {}
    if state == E.VOIDED:
        fields.update(voided_at=timezone.now(), void_reason="Recorded in error")
    return make_event(org, patient, practitioner, **fields)


@pytest.mark.parametrize(
    "resolved_on", [None, date.today()], ids=["reopened-or-unchanged", "resolved"]
)
def test_a_voided_adverse_event_is_never_updated(org, patient, practitioner, resolved_on):
    event = _event(org, patient, practitioner, "voided")
    before = _audit_count()
    with acting_for(org), pytest.raises(TransitionRefused, match="voided adverse event cannot"):
        safety.update_event(practitioner, event, {"resolved_on": resolved_on, "outcome": "x"})
    with acting_for(org):
        event.refresh_from_db()
    assert (event.resolved_on, event.outcome) == (None, "")
    assert _audit_count() == before


def test_an_adverse_event_is_resolved_reopened_and_voided(org, patient, practitioner):
    E = treatment_states.AdverseEventState
    event = _event(org, patient, practitioner, E.OPEN)
    with acting_for(org):
        safety.update_event(practitioner, event, {"resolved_on": date.today()})
        assert treatment_states.event_state(event) == E.RESOLVED
        safety.update_event(practitioner, event, {"resolved_on": None})
        assert treatment_states.event_state(event) == E.OPEN
        assert safety.void_event(practitioner, event, "Recorded in error") is True
        assert safety.void_event(practitioner, event, "again") is False
        event.refresh_from_db()
    assert treatment_states.event_state(event) == E.VOIDED
    assert event.void_reason == "Recorded in error"
