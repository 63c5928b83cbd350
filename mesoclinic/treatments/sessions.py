"""The treatment day: start (after the pre-treatment check), sign-off, aftercare, amendments
and voiding. Charting is `charting`; the limits it all meets are `session_checks`."""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.models import Patient
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Plan, PlanStatus
from mesoclinic.transitions import TransitionRefused
from mesoclinic.treatments import (
    aftercare,
    exposure,
    inventory,
    scope,
    sign_checks,
    sign_hooks,
    states,
    tasks,
)
from mesoclinic.treatments.charting import (
    charted_rows,
    vials_opened,
)
from mesoclinic.treatments.exposure import session_profile
from mesoclinic.treatments.models import (
    FollowUpTask,
    SessionAmendment,
    SessionArea,
    SessionStatus,
    TreatmentSession,
    one_open_session_violation,
)
from mesoclinic.treatments.safety import responsible_practitioner
from mesoclinic.treatments.session_checks import (
    Precheck,
    SessionRefused,
    cooling_off_wait,
    described,
    dose_caps,
    enforce,
    exposure_findings,
    in_scope,
    profile_today,
    recheck,
    refuse_hard_stops,
    refuse_history,
    session_overrides,
    start_in_scope,
)


def planned_areas(plan: Plan) -> list[dict[str, Any]]:
    version = plans.latest_version(plan)
    return version.result["areas"] if version else []


def _precheck_record(check: Precheck, result: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Today's answers and the engine's warnings, as kept with the session."""
    numbing = None
    if check.numbing_product:
        numbing = {
            "product": check.numbing_product,
            "amount_g": float(check.numbing_amount_g or 0),
            "applied_at": check.numbing_applied_at,
        }
    return {
        "pregnancy": check.pregnancy,
        "infected_areas": check.infected_areas,
        "numbing_product": check.numbing_product,
        "numbing": numbing,
        "numbing_applied_at": check.numbing_applied_at,
        "injector_device": check.injector_device,
        "photos_taken": check.photos_taken,
        "warnings": [described([f]) for f in result["warnings"]],
        **extra,
    }


# --- What the patient received, checked by the engine (clinical-reference §7) ---------


ALREADY_OPEN = "This patient already has a session in progress: sign or void it first."


def _create(user: User, check: Precheck, **fields: Any) -> TreatmentSession:
    """One in-progress session per patient: a second start is refused, not duplicated."""
    open_one = TreatmentSession.objects.filter(
        patient=fields["patient"], status=SessionStatus.IN_PROGRESS
    ).exists()
    if open_one:
        raise SessionRefused(ALREADY_OPEN)
    try:
        with transaction.atomic():
            return TreatmentSession.objects.create(
                weight_kg=check.weight_kg,
                started_at=timezone.now(),
                performed_by=user,
                changed_by=user,
                **fields,
            )
    except IntegrityError as error:
        if one_open_session_violation(error):
            raise SessionRefused(ALREADY_OPEN) from None
        raise


def first_session_wait(user: User, plan: Plan) -> str | None:
    """The cooling-off refusal `start` would give now, for the start page to show."""
    return cooling_off_wait(user, plan, consents.valid_consent(plan))


@transaction.atomic
def start(
    user: User, plan: Plan, site: Site, check: Precheck, supervised_by: User | None = None
) -> TreatmentSession:
    version = plans.latest_version(plan)
    if plan.status not in (PlanStatus.CONSENTED, PlanStatus.ACTIVE) or version is None:
        raise SessionRefused("The plan has no valid consent: treatment cannot start.")
    consent = consents.valid_consent(plan)
    if consent is None or consent.plan_version_id != version.pk:
        raise SessionRefused(
            "The consent is not for the current plan version: sign it again first."
        )
    if wait := cooling_off_wait(user, plan, consent):
        raise SessionRefused(wait)
    start_in_scope(user, check, supervised_by)
    profile = profile_today(plan.patient, check)
    result = recheck(version, profile)
    refuse_hard_stops(result)
    overrides = refuse_history(user, plan.patient, profile, result["areas"], check)
    session = _create(
        user,
        check,
        patient=plan.patient,
        plan=plan,
        plan_version=version,
        consent=consent,
        site=site,
        precheck=_precheck_record(check, result),
        supervised_by=supervised_by,
        overrides=overrides,
        dose_caps=dose_caps(profile),
    )
    plans.treatment_started(plan.pk)
    record(user, Action.CREATE, session, fields=["precheck", "weight_kg"])
    return session


@transaction.atomic
def start_adhoc(
    user: User,
    patient: Patient,
    site: Site,
    check: Precheck,
    reason: str,
    items: list[dict[str, Any]],
    supervised_by: User | None = None,
) -> TreatmentSession:
    """A session without a plan, by a practitioner, with a reason.

    The engine still checks what is to be treated against today's answers and the
    patient's whole charted record, exactly as for a plan; its areas, warnings and
    aftercare are kept with the pre-check.
    """
    if not roles.can(user, roles.SIGN_CLINICAL):
        raise SessionRefused("Only a practitioner may treat without a plan.")
    start_in_scope(user, check, supervised_by)
    profile = profile_today(patient, check)
    result = rules.build_plan(
        profile,
        plans.requests_for({"items": items}),
        start=timezone.localdate(),
    ).to_dict()  # one session: its course and interval are checked below, over the history
    refuse_hard_stops(result)
    overrides = refuse_history(user, patient, profile, result["areas"], check)
    session = _create(
        user,
        check,
        patient=patient,
        adhoc_reason=reason,
        site=site,
        precheck=_precheck_record(
            check,
            result,
            items=items,
            areas=result["areas"],
            aftercare=result["aftercare"],
        ),
        supervised_by=supervised_by,
        overrides=overrides,
        dose_caps=dose_caps(profile),
    )
    record(user, Action.CREATE, session, fields=["precheck", "weight_kg", "adhoc_reason"])
    return session


def sign_summary(session: TreatmentSession, rows: Sequence[SessionArea]) -> dict[str, Any]:
    """What the practitioner confirms at sign-off: totals against limits, reasons, lots."""
    profile = session_profile(session)
    lines = rules.session_totals(
        profile, exposure.session_given(session, rows), today=timezone.localdate()
    )
    lots: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = lots.setdefault(row.lot_id, {"lot": row.lot, "volume_ml": Decimal(0), "areas": []})
        entry["volume_ml"] += row.volume_ml
        entry["areas"].append(row.area)
    return {
        "totals": [line.to_dict() for line in lines],
        "overrides": session_overrides(session),
        "lots": list(lots.values()),
        "findings": exposure_findings(session, rows, profile),
    }


# Seed 004; the sheet and the email always end with it, emphasised, so it is not listed twice.
def aftercare_lines(
    session: TreatmentSession,
    profile: rules.PatientProfile | None = None,
    rows: Sequence[SessionArea] | None = None,
) -> list[str]:
    """The sheet for what was charted, tailored to the patient today (clinical-reference §7:
    a blood thinner or renal failure since the plan changes it); seed 000's base sheet at
    least."""
    try:
        lines = aftercare.sheet_lines(session, profile, rows)
    except rules.RulesInputError as err:
        # Never a sheet written without the patient's history: signing waits for it.
        raise SessionRefused(
            f"The aftercare sheet cannot be written: the patient's history has "
            f"“{err.value}”, which the clinical rules do not know ({err.message}). "
            "Correct the history, then sign."
        ) from err
    return [line for line in lines if line != aftercare.SEEK_CARE]


@transaction.atomic
def sign(user: User, session: TreatmentSession) -> bool:
    """Sign once. A resubmitted form finds the session signed and changes nothing (False).

    Only a licensed practitioner signs (scope.check_can_sign), whoever calls.
    """
    in_scope(scope.check_can_sign, user)
    locked = _lock_to_sign(session)
    if locked.is_signed:
        return False
    _check_transition(locked, SessionStatus.SIGNED)
    rows = charted_rows(locked)
    if not rows:
        raise SessionRefused("Chart at least one area before signing.")
    today = timezone.localdate()
    for row in rows:
        # A lot used up by this very session is fine; its stock is checked just below.
        if row.lot.state(today) not in ("usable", "used-up"):
            reason = row.lot.unusable_reason(today)
            assert reason is not None  # neither usable nor used up: recalled or expired
            raise SessionRefused(reason)
    # Every check again, from the charted rows, inside the lock: nothing a view or a
    # direct write skipped is signed. No new reason can be given here.
    profile = session_profile(locked)
    enforce(locked, exposure_findings(locked, rows, profile), user, "")
    # What other apps require first (the course's baseline photos: photos registers it).
    if problems := sign_checks.problems(locked):
        raise SessionRefused(" ".join(problems))
    if not inventory.move_vials(vials_opened(rows)):
        raise SessionRefused("Not enough vials left in a lot charted here; check the stock.")
    aftercare = aftercare_lines(locked, profile, rows)
    locked.status = SessionStatus.SIGNED
    locked.signed_by = user
    locked.signed_at = timezone.now()
    locked.ended_at = locked.ended_at or locked.signed_at
    locked.aftercare = aftercare
    locked.lock_version += 1
    locked.changed_by = user
    locked.save(
        update_fields=["status", "signed_by", "signed_at", "ended_at", "aftercare", "lock_version"]
    )
    _protocol_follow_ups(locked)
    record(user, Action.CHANGE, locked, fields=["status", "signed_at"], detail="signed")
    # What other apps do once it is signed (the appointment it was started from: scheduling).
    sign_hooks.signed(user, locked)
    transaction.on_commit(lambda: tasks.send_aftercare.enqueue(locked.pk))
    session.__dict__.update(locked.__dict__)
    return True


def _lock_to_sign(session: TreatmentSession) -> TreatmentSession:
    """The session row locked (only it, as before), with what sign-off reads of its
    relations in the same query: the patient and clinic (profile, jurisdiction), the plan
    version (its overrides, areas, schedule and follow-ups) and who answers for the
    follow-ups (performer, supervisor, approver)."""
    related = (
        "patient__organization",
        "plan_version__approved_by",
        "performed_by",
        "supervised_by",
    )
    sessions = TreatmentSession.objects.select_for_update(of=("self",))
    return sessions.select_related(*related).get(pk=session.pk)


def _protocol_follow_ups(session: TreatmentSession) -> None:
    """The protocol's check after this session of the course, dated from today."""
    if session.plan_version is None:
        return
    result = session.plan_version.result
    number = TreatmentSession.objects.filter(
        plan=session.plan_id, status=SessionStatus.SIGNED, signed_at__lte=session.signed_at
    ).count()
    if not 0 < number <= len(result["schedule"]):
        return
    planned_on = date.fromisoformat(result["schedule"][number - 1]["date"])
    assignee = responsible_practitioner(session.organization_id, session)
    if assignee is None:
        return
    ref = rules.load_reference()
    for item in result.get("follow_ups", []):
        if item["after_session"] != number:
            continue
        offset = date.fromisoformat(item["date"]) - planned_on
        FollowUpTask.objects.create(
            patient=session.patient,
            session=session,
            assigned_to=assignee,
            due_on=timezone.localdate() + offset,
            reason=f"Protocol check after {ref.areas[item['area']].name} session {number}",
        )


# The same correction by the same person within this long is one submission sent twice
# (a double tap, a client's retry), not a second amendment.
AMEND_AGAIN_WITHIN = timedelta(minutes=10)


@transaction.atomic
def amend(user: User, session: TreatmentSession, text: str, reason: str) -> SessionAmendment:
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff amend a session.")
    if not session.is_signed:
        raise SessionRefused("Only a signed session is amended; edit the chart instead.")
    # Taken in turn per session, so two identical submissions at once record one.
    TreatmentSession.objects.select_for_update().filter(pk=session.pk).values_list("pk").get()
    same = SessionAmendment.objects.filter(
        session=session,
        author=user,
        text=text,
        reason=reason,
        created_at__gte=timezone.now() - AMEND_AGAIN_WITHIN,
    ).first()
    if same is not None:
        return same
    amendment = SessionAmendment.objects.create(
        session=session, text=text, reason=reason, author=user, changed_by=user
    )
    record(user, Action.CREATE, amendment, fields=["text", "reason"])
    return amendment


def _check_transition(session: TreatmentSession, status: str) -> None:
    """The session table decides; its refusal reads like every other session refusal."""
    try:
        states.SESSION.check(session.status, status)
    except TransitionRefused as refusal:
        raise SessionRefused(refusal.message) from None


@transaction.atomic
def void(user: User, session: TreatmentSession, reason: str) -> None:
    """Void a session charted in error, with a reason; voiding twice changes nothing."""
    roles.check(user, roles.SIGN_CLINICAL, "Only a practitioner voids a session.")
    if session.status == SessionStatus.VOIDED:
        return
    _check_transition(session, SessionStatus.VOIDED)
    session.status = SessionStatus.VOIDED
    session.voided_at = timezone.now()
    session.voided_by = user
    session.void_reason = reason
    session.changed_by = user
    session.save(update_fields=["status", "voided_at", "voided_by", "void_reason"])
    record(user, Action.VOID, session, fields=["status", "void_reason"], detail=reason)
