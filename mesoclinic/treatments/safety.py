"""Adverse events and follow-up tasks: recording, classifying, assigning, completing.

Seriousness is decided by the model (`vocab.is_serious`: an ICH E2A criterion, CTCAE
grade 4-5, or an always-serious type; a database constraint holds it to that); this
module decides what a serious event sets in motion: a follow-up task for the
practitioner responsible for the patient, due the next day, and a place in the
clinic-wide safety list with the lots involved, because infections have been traced
to product vials (clinical-reference §6).
"""

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.models import Patient
from mesoclinic.records import keep_history, void_once
from mesoclinic.treatments import states, vocab
from mesoclinic.treatments.models import (
    AdverseEvent,
    FollowUpTask,
    Lot,
    SessionArea,
    SessionStatus,
    TreatmentSession,
    resubmitted_event_violation,
)

# What a change of these fields on an existing event is allowed to touch; the ICH E2A
# criteria too, since a patient admitted later makes the event serious then.
UPDATABLE_FIELDS = (
    "grade",
    *(c.value for c in vocab.Seriousness),
    "action_taken",
    "outcome",
    "resolved_on",
)


def session_day(session: TreatmentSession) -> date:
    """The calendar day of a session at its site, which is what a clinician means by it."""
    return session.started_at.astimezone(session.site.zone).date()


def sessions_of(patient: Patient) -> QuerySet[TreatmentSession]:
    return (
        TreatmentSession.objects.filter(patient=patient)
        .exclude(status=SessionStatus.VOIDED)
        .select_related("site")
        .order_by("-started_at")
    )


def charted_lots(patient: Patient) -> QuerySet[Lot]:
    """Every lot charted in one of the patient's sessions: the likely suspects."""
    used = SessionArea.objects.filter(session__patient=patient).values("lot_id")
    return Lot.objects.filter(pk__in=used).order_by("lot_number", "product")


def lots_by_number(numbers: list[str]) -> tuple[list[Lot], list[str]]:
    """The organization's lots with these numbers, and the numbers that match none.

    One number may match the same manufacturer lot received at two sites: all are
    returned, since a recall or an outbreak concerns every vial of it.
    """
    if not numbers:
        return [], []
    found = list(Lot.objects.filter(lot_number__in=numbers).order_by("lot_number", "product"))
    known = {lot.lot_number for lot in found}
    return found, [n for n in numbers if n not in known]


def _first_active(organization_id: int, role: str) -> User | None:
    return (
        User.objects.filter(organization_id=organization_id, role=role, is_active=True)
        .order_by("date_joined", "pk")
        .first()
    )


def responsible_practitioner(organization_id: int, session: TreatmentSession | None) -> User | None:
    """Who answers for a patient's safety after this session.

    The practitioner who performed it, else the one who supervised it, else the one
    who approved the plan version, else the clinic's first practitioner, else an owner.
    Someone who has left the clinic is skipped: a task for them would never be seen.
    """
    if session is not None:
        candidates = [session.performed_by, session.supervised_by]
        if session.plan_version is not None:
            candidates.append(session.plan_version.approved_by)
        for index, user in enumerate(candidates):
            if user is None or not user.is_active:
                continue
            if index > 0 or user.role == Role.PRACTITIONER:
                return user
    return _first_active(organization_id, Role.PRACTITIONER) or _first_active(
        organization_id, Role.OWNER
    )


def _follow_up_for(event: AdverseEvent) -> FollowUpTask | None:
    assignee = responsible_practitioner(event.organization_id, event.session)
    if assignee is None:
        return None
    return FollowUpTask.objects.create(
        patient=event.patient,
        session=event.session,
        adverse_event=event,
        assigned_to=assignee,
        due_on=timezone.localdate() + timedelta(days=1),
        reason=_task_reason(event),
    )


def _task_reason(event: AdverseEvent) -> str:
    reason = f"Serious adverse event: {event.get_event_type_display()}, grade {event.grade}"
    criteria = event.get_criteria_display()
    return (reason + (f" ({'; '.join(criteria).lower()})" if criteria else ""))[:300]


def submitted_event(patient: Patient, submission_key: uuid.UUID | None) -> AdverseEvent | None:
    """The patient's event already recorded from the form with this key, if any."""
    if submission_key is None:
        return None
    return AdverseEvent.objects.filter(patient=patient, submission_key=submission_key).first()


@transaction.atomic
def record_event(
    user: User,
    patient: Patient,
    data: dict[str, Any],
    lots: list[Lot],
    submission_key: uuid.UUID | None = None,
) -> AdverseEvent:
    """Save a new adverse event; a serious one gets a follow-up task for tomorrow.

    A form submitted twice (a double click, a retried request) carries one key: the
    second submission gets the event the first one made, and nothing is written.
    """
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff record an adverse event.")
    if (existing := submitted_event(patient, submission_key)) is not None:
        return existing
    try:
        with transaction.atomic():
            event = AdverseEvent.objects.create(
                patient=patient,
                reported_by=user,
                changed_by=user,
                submission_key=submission_key,
                **data,
            )
    except IntegrityError as error:
        # The other submission committed first; it holds the key.
        if not resubmitted_event_violation(error):
            raise
        return AdverseEvent.objects.get(patient=patient, submission_key=submission_key)
    event.lots.set(lots)
    task = _follow_up_for(event) if event.serious else None
    fields = [name for name, value in data.items() if value not in (None, "", False)]
    record(
        user,
        Action.CREATE,
        event,
        fields=fields + (["lots"] if lots else []),
        detail="follow-up task created" if task else "",
    )
    return event


@transaction.atomic
def update_event(user: User, event: AdverseEvent, data: dict[str, Any]) -> list[str]:
    """Apply outcome, resolution, action, grade or criteria changes; the audit event keeps
    who and when.

    An event that becomes serious (an allergic reaction worsening to grade 3, a patient
    admitted to hospital) gets its follow-up task then, unless it already has one.
    """
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff update an adverse event.")
    current = states.event_state(event)
    target = states.event_state(event, data.get("resolved_on", event.resolved_on))
    if current == target:
        check_updatable(event)
    else:
        states.ADVERSE_EVENT.check(current, target)
    was_serious = event.serious
    changed = [f for f in UPDATABLE_FIELDS if f in data and getattr(event, f) != data[f]]
    if not changed:
        return []
    for name in changed:
        setattr(event, name, data[name])
    event.changed_by = user
    event.save(update_fields=[*changed, "serious"])
    task = None
    became_serious = event.serious and not was_serious
    if became_serious and not FollowUpTask.objects.filter(adverse_event=event).exists():
        task = _follow_up_for(event)
    record(
        user,
        Action.CHANGE,
        event,
        fields=changed,
        detail="follow-up task created" if task else "",
    )
    return changed


def check_updatable(event: AdverseEvent) -> None:
    """A voided event is kept as it was: TransitionRefused says so."""
    if states.event_state(event) == states.AdverseEventState.VOIDED:
        states.ADVERSE_EVENT.check(states.AdverseEventState.VOIDED, states.AdverseEventState.OPEN)


@transaction.atomic
def void_event(user: User, event: AdverseEvent, reason: str) -> bool:
    """Void an event recorded in error: it leaves the chart and the safety list, stays in
    the record with who, when and why, and its open follow-up tasks are closed with the
    reason. Voiding twice changes nothing (False). Only a practitioner voids one."""
    roles.check(user, roles.SIGN_CLINICAL, "Only a practitioner voids an adverse event.")
    now = timezone.now()
    stamp = {"changed_at": now, "changed_by": user}
    if not void_once(event, user, reason, now):
        return False
    notes = f"Adverse event voided: {reason}"
    tasks = list(FollowUpTask.objects.filter(adverse_event=event, done_at__isnull=True))
    FollowUpTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
        done_at=now, done_by=user, notes=notes, **stamp
    )
    for task in tasks:
        task.done_at, task.done_by, task.notes = now, user, notes
        keep_history(task, user, now)
    record(user, Action.VOID, event, fields=["voided_at", "void_reason"], detail=reason)
    return True


def with_lots(events: QuerySet[AdverseEvent]) -> QuerySet[AdverseEvent]:
    return events.select_related("patient", "session", "reported_by").prefetch_related(
        Prefetch("lots", queryset=Lot.objects.select_related("site").order_by("lot_number"))
    )


def label(events: Iterable[AdverseEvent]) -> list[AdverseEvent]:
    """Attach catalogue names to areas and lots, for display; no query."""
    ref = rules.load_reference()
    labelled = list(events)
    for event in labelled:
        area = ref.areas.get(event.area)
        event.area_name = area.name if area else event.area
        for lot in event.lots.all():
            product = ref.products.get(lot.product)
            lot.product_name = product.name if product else lot.product
    return labelled


def events_for_patient(patient: Patient) -> list[AdverseEvent]:
    """The patient's adverse events, newest onset first, with their lots: for the chart."""
    events = AdverseEvent.objects.filter(patient=patient, voided_at__isnull=True)
    return label(with_lots(events).order_by("-onset_on", "-created_at"))


def safety_events(
    *, serious_only: bool = True, status: str = "", event_type: str = ""
) -> QuerySet[AdverseEvent]:
    """The clinic-wide safety list, most recent onset first; arguments are already checked."""
    events = AdverseEvent.objects.filter(voided_at__isnull=True)
    if serious_only:
        events = events.filter(serious=True)
    if status == "open":
        events = events.filter(resolved_on__isnull=True)
    elif status == "resolved":
        events = events.filter(resolved_on__isnull=False)
    if event_type:
        events = events.filter(event_type=event_type)
    return with_lots(events).order_by("-onset_on", "-created_at", "-pk")


def due_tasks(user: User, *, everyone: bool = False) -> QuerySet[FollowUpTask]:
    """Open follow-up tasks, soonest due first: the user's own unless `everyone`."""
    tasks = FollowUpTask.objects.filter(done_at__isnull=True)
    if not everyone:
        tasks = tasks.filter(assigned_to=user)
    return tasks.select_related("patient", "assigned_to", "adverse_event", "session").order_by(
        "due_on", "pk"
    )


@transaction.atomic
def mark_done(user: User, task: FollowUpTask, notes: str) -> bool:
    """Close a follow-up task; one already closed (a second tab) changes nothing (False)."""
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff close a follow-up.")
    now = timezone.now()
    updated = FollowUpTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
        done_at=now, done_by=user, notes=notes, changed_at=now, changed_by=user
    )
    task.refresh_from_db()
    if not updated:
        return False
    keep_history(task, user, now)
    record(user, Action.CHANGE, task, fields=["done_at", "done_by"] + (["notes"] if notes else []))
    return True
