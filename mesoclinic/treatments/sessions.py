"""The treatment day: pre-treatment check, charting against limits, sign-off, amendments."""

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.services import chart_for
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Plan, PlanStatus
from mesoclinic.treatments import session_diagram
from mesoclinic.treatments.models import (
    FollowUpTask,
    Lot,
    SessionAmendment,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)
from mesoclinic.treatments.safety import responsible_practitioner


class SessionRefused(Exception):
    """The session cannot start or the chart cannot be saved; the message says why."""


@dataclass
class Precheck:
    pregnancy: str  # "no", "pregnant", "breastfeeding"
    infected_areas: list[str]
    weight_kg: Decimal | None
    numbing_product: str
    numbing_applied_at: str
    photos_taken: bool


def planned_areas(plan: Plan) -> list[dict]:
    version = plans.latest_version(plan)
    return version.result["areas"] if version else []


def profile_today(patient, check: Precheck) -> rules.PatientProfile:
    """The patient as the history says, with what was asked again today taking precedence."""
    base = plans.profile_for(patient, chart_for(patient))
    weight = float(check.weight_kg) if check.weight_kg else base.weight_kg
    return rules.PatientProfile(
        weight_kg=weight,
        birth_date=base.birth_date,
        sex=base.sex,
        pregnant=base.pregnant or check.pregnancy == "pregnant",
        breastfeeding=base.breastfeeding or check.pregnancy == "breastfeeding",
        allergies=base.allergies,
        medications=base.medications,
        conditions=base.conditions,
        infected_areas=set(base.infected_areas) | set(check.infected_areas),
        fitzpatrick=base.fitzpatrick,
    )


def _precheck_record(check: Precheck, result: dict, **extra) -> dict:
    """Today's answers and the engine's warnings, as kept with the session."""
    return {
        "pregnancy": check.pregnancy,
        "infected_areas": check.infected_areas,
        "numbing_product": check.numbing_product,
        "numbing_applied_at": check.numbing_applied_at,
        "photos_taken": check.photos_taken,
        "warnings": [_described([f]) for f in result["warnings"]],
        **extra,
    }


def _described(findings) -> str:
    return "; ".join(f"{f['code']}: {f['message']}" for f in findings)


def _refuse_hard_stops(result: dict) -> None:
    if result["hard_stops"]:
        raise SessionRefused(f"Today's check stops treatment. {_described(result['hard_stops'])}")


def _lock_open(session: TreatmentSession) -> TreatmentSession:
    """The session row, locked for this transaction, if it may still be charted."""
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if locked.is_signed or locked.status != SessionStatus.IN_PROGRESS:
        raise SessionRefused("This session is signed: record an amendment instead.")
    return locked


def _refuse_dose_stops(session: TreatmentSession, rows) -> None:
    """A grade-A limit the running totals would pass cannot be charted."""
    stops = [
        f for f in dose_findings(session, rows) if f["severity"] == "stop" and not f["overridable"]
    ]
    if stops:
        raise SessionRefused(_described(stops))


def recheck(plan: Plan, patient, check: Precheck) -> dict:
    """Run the approved plan again against today's answers."""
    version = plans.latest_version(plan)
    result = rules.build_plan(
        profile_today(patient, check),
        plans.requests_for(version.inputs),
        start=timezone.localdate(),
        overrides=plans.overrides_for(version.inputs),
    ).to_dict()
    return result


@transaction.atomic
def start(request, plan: Plan, site, check: Precheck, supervised_by=None) -> TreatmentSession:
    version = plans.latest_version(plan)
    if plan.status not in (PlanStatus.CONSENTED, PlanStatus.ACTIVE) or version is None:
        raise SessionRefused("The plan has no valid consent: treatment cannot start.")
    consent = consents.valid_consent(plan)
    if consent is None or consent.plan_version_id != version.pk:
        raise SessionRefused(
            "The consent is not for the current plan version: sign it again first."
        )
    result = recheck(plan, plan.patient, check)
    _refuse_hard_stops(result)
    session = TreatmentSession.objects.create(
        patient=plan.patient,
        plan=plan,
        plan_version=version,
        consent=consent,
        site=site,
        weight_kg=check.weight_kg,
        precheck=_precheck_record(check, result),
        started_at=timezone.now(),
        performed_by=request.user,
        supervised_by=supervised_by,
    )
    Plan.objects.filter(pk=plan.pk, status=PlanStatus.CONSENTED).update(status=PlanStatus.ACTIVE)
    record(request, Action.CREATE, session, fields=["precheck", "weight_kg"])
    return session


@transaction.atomic
def start_adhoc(
    request, patient, site, check: Precheck, reason: str, items: list[dict], supervised_by=None
) -> TreatmentSession:
    """A session without a plan, by a practitioner, with a reason.

    The engine still checks what is to be treated against today's answers, exactly as
    for a plan; its areas, warnings and aftercare are kept with the pre-check.
    """
    if not roles.can(request.user, roles.SIGN_CLINICAL):
        raise SessionRefused("Only a practitioner may treat without a plan.")
    result = rules.build_plan(
        profile_today(patient, check),
        plans.requests_for({"items": items}),
        start=timezone.localdate(),
    ).to_dict()
    _refuse_hard_stops(result)
    session = TreatmentSession.objects.create(
        patient=patient,
        adhoc_reason=reason,
        site=site,
        weight_kg=check.weight_kg,
        precheck=_precheck_record(
            check,
            result,
            items=items,
            areas=result["areas"],
            aftercare=result["aftercare"],
        ),
        started_at=timezone.now(),
        performed_by=request.user,
        supervised_by=supervised_by,
    )
    record(request, Action.CREATE, session, fields=["precheck", "weight_kg", "adhoc_reason"])
    return session


def charted_rows(session: TreatmentSession) -> list[SessionArea]:
    return list(SessionArea.objects.filter(session=session).select_related("lot").order_by("id"))


def administered(rows) -> list[tuple]:
    return [(row.lot.product, float(row.volume_ml), row.area, row.injections) for row in rows]


def dose_findings(session: TreatmentSession, rows) -> list[dict]:
    """Running totals of what was charted, checked by the engine against every limit."""
    if not rows:
        return []
    profile = plans.profile_for(session.patient, chart_for(session.patient))
    if session.weight_kg:
        profile = rules.PatientProfile(
            **{**profile.__dict__, "weight_kg": float(session.weight_kg)}
        )
    return [f.to_dict() for f in rules.check_session_doses(profile, administered(rows))]


@transaction.atomic
def chart_area(
    request, session: TreatmentSession, data: dict, lot: Lot, lock_version: int
) -> SessionArea:
    locked = _lock_open(session)
    if locked.lock_version != lock_version:
        raise SessionRefused(
            "Someone else charted in this session meanwhile; their entry is shown."
        )
    data = dict(data)
    planned_points = session_diagram.plan_points(locked, data["area"], data.get("side") or "")
    if data.get("injections") is None:
        # Blank count: the plan's points for this area, marked done; taps adjust them.
        data["points"], data["injections"] = planned_points, len(planned_points)
    elif data["injections"] == len(planned_points):
        data["points"] = planned_points
    row = SessionArea(session=locked, lot=lot, **data)
    rows = charted_rows(locked) + [row]
    _refuse_dose_stops(locked, rows)
    row.save()
    locked.lock_version += 1
    locked.save(update_fields=["lock_version"])
    session.lock_version = locked.lock_version
    record(request, Action.CHANGE, locked, fields=sorted(data) + ["lot"])
    return row


@transaction.atomic
def toggle_point(request, session: TreatmentSession, row_id, x: float, y: float) -> SessionArea:
    """Mark a point done or not done, or add one where the needle went.

    Point marks from two staff are merged under the session's row lock, so neither
    loses the other's taps; the dose limits are checked on the new injection count.
    """
    locked = _lock_open(session)
    row = SessionArea.objects.select_related("lot").filter(session=locked, public_id=row_id).first()
    if row is None:
        raise SessionRefused("That charted area was removed meanwhile; the chart is shown again.")
    point = (round(x, 1), round(y, 1))
    done = [list(p) for p in row.points]
    kept = [p for p in done if not session_diagram.same_point(p, point)]
    if len(kept) == len(done):
        if not session_diagram.inside(locked, row.area, row.side, point):
            raise SessionRefused("That point is outside the area: tap inside its outline.")
        kept.append(list(point))
    row.points, row.injections = kept, len(kept)
    rows = [row if r.pk == row.pk else r for r in charted_rows(locked)]
    _refuse_dose_stops(locked, rows)
    row.save(update_fields=["points", "injections"])
    record(request, Action.CHANGE, locked, fields=["points"], detail=f"{row.area} points")
    return row


@transaction.atomic
def remove_area(request, session: TreatmentSession, row: SessionArea) -> None:
    if session.is_signed:
        raise SessionRefused("This session is signed: record an amendment instead.")
    # An unsigned row is a draft, never seen by a recall; removing a wrong draft entry is
    # allowed and audited (signed rows are protected by database triggers).
    row.delete()
    TreatmentSession.objects.filter(pk=session.pk).update(lock_version=F("lock_version") + 1)
    record(request, Action.CHANGE, session, fields=["areas"], detail="charted area removed")


def vials_opened(rows) -> dict[int, int]:
    """Vials opened per lot: an opened vial is never carried to another session."""
    volume: dict[int, Decimal] = {}
    lots: dict[int, Lot] = {}
    for row in rows:
        volume[row.lot_id] = volume.get(row.lot_id, Decimal(0)) + row.volume_ml
        lots[row.lot_id] = row.lot
    ref = rules.load_reference()
    return {
        lot_id: math.ceil(float(ml) / ref.products[lots[lot_id].product].vial_ml - 1e-9)
        for lot_id, ml in volume.items()
    }


# Seed 004; the sheet and the email always end with it, emphasised, so it is not listed twice.
SEEK_CARE = "Seek care at once for intense pain or signs of infection."


def aftercare_lines(session: TreatmentSession) -> list[str]:
    """The sheet for what was charted, tailored to the patient today (clinical-reference §7:
    a blood thinner or renal failure since the plan changes it); seed 000's base sheet at
    least."""
    from mesoclinic.treatments import aftercare

    try:
        lines = aftercare.sheet_lines(session)
    except rules.RulesInputError as err:
        # Never a sheet written without the patient's history: signing waits for it.
        raise SessionRefused(
            f"The aftercare sheet cannot be written: the patient's history has "
            f"“{err.value}”, which the clinical rules do not know ({err.message}). "
            "Correct the history, then sign."
        ) from err
    return [line for line in lines if line != SEEK_CARE]


@transaction.atomic
def sign(request, session: TreatmentSession) -> bool:
    """Sign once. A resubmitted form finds the session signed and changes nothing (False)."""
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if locked.is_signed:
        return False
    if locked.status != SessionStatus.IN_PROGRESS:
        raise SessionRefused("A voided session cannot be signed.")
    rows = charted_rows(locked)
    if not rows:
        raise SessionRefused("Chart at least one area before signing.")
    today = timezone.localdate()
    for row in rows:
        reason = row.lot.unusable_reason(today)
        if reason and "used up" not in reason:
            raise SessionRefused(reason)
    for lot_id, vials in vials_opened(rows).items():
        updated = Lot.objects.filter(pk=lot_id, vials_used__lte=F("vials_received") - vials).update(
            vials_used=F("vials_used") + vials
        )
        if not updated:
            raise SessionRefused("Not enough vials left in a lot charted here; check the stock.")
    aftercare = aftercare_lines(locked)
    locked.status = SessionStatus.SIGNED
    locked.signed_by = request.user
    locked.signed_at = timezone.now()
    locked.ended_at = locked.ended_at or locked.signed_at
    locked.aftercare = aftercare
    locked.lock_version += 1
    locked.save(
        update_fields=["status", "signed_by", "signed_at", "ended_at", "aftercare", "lock_version"]
    )
    _protocol_follow_ups(locked)
    record(request, Action.CHANGE, locked, fields=["status", "signed_at"], detail="signed")
    transaction.on_commit(lambda: send_aftercare(locked))
    session.__dict__.update(locked.__dict__)
    return True


def _protocol_follow_ups(session: TreatmentSession) -> None:
    """The protocol's check after this session of the course, dated from today."""
    if session.plan_version is None:
        return
    result = session.plan_version.result
    number = TreatmentSession.objects.filter(
        plan=session.plan, status=SessionStatus.SIGNED, signed_at__lte=session.signed_at
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


def send_aftercare(session: TreatmentSession) -> None:
    """The signed sheet by email, with the site's phone, address and out-of-hours advice."""
    from mesoclinic.treatments import aftercare

    if not session.patient.email:
        return
    send_mail(
        subject="Your aftercare instructions",
        message=aftercare.email_text(session, SEEK_CARE),
        from_email=None,
        recipient_list=[session.patient.email],
    )


@transaction.atomic
def amend(request, session: TreatmentSession, text: str, reason: str) -> SessionAmendment:
    if not session.is_signed:
        raise SessionRefused("Only a signed session is amended; edit the chart instead.")
    amendment = SessionAmendment.objects.create(
        session=session, text=text, reason=reason, author=request.user
    )
    record(request, Action.CREATE, amendment, fields=["text", "reason"])
    return amendment


@transaction.atomic
def void(request, session: TreatmentSession, reason: str) -> None:
    if session.status == SessionStatus.VOIDED:
        return
    session.status = SessionStatus.VOIDED
    session.voided_at = timezone.now()
    session.voided_by = request.user
    session.void_reason = reason
    session.save(update_fields=["status", "voided_at", "voided_by", "void_reason"])
    record(request, Action.VOID, session, fields=["status", "void_reason"])
