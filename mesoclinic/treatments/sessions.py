"""The treatment day: pre-treatment check, charting against limits, sign-off, amendments."""

import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.models import Patient
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.transitions import TransitionRefused
from mesoclinic.treatments import aftercare, exposure, scope, session_diagram, states
from mesoclinic.treatments.exposure import session_profile
from mesoclinic.treatments.models import (
    FollowUpTask,
    Lot,
    SessionAmendment,
    SessionArea,
    SessionStatus,
    TreatmentSession,
    one_open_session_violation,
)
from mesoclinic.treatments.safety import responsible_practitioner


class SessionRefused(Exception):
    """The session cannot start or the chart cannot be saved; the message says why.

    ``field`` names the form field the refusal belongs next to (for example
    ``override_reason`` when a grade-B stop needs a recorded reason).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Precheck:
    pregnancy: str  # "no", "pregnant", "breastfeeding"
    infected_areas: list[str]
    weight_kg: Decimal | None
    numbing_product: str  # a coded topical product slug, or ""
    numbing_applied_at: str
    photos_taken: bool
    numbing_amount_g: Decimal | None = None
    injector_device: str = ""
    override_reason: str = ""


def planned_areas(plan: Plan) -> list[dict[str, Any]]:
    version = plans.latest_version(plan)
    return version.result["areas"] if version else []


def profile_today(patient: Patient, check: Precheck) -> rules.PatientProfile:
    """The patient as the history says, with what was asked again today taking precedence."""
    return exposure.profile_with_answers(
        patient,
        weight_kg=check.weight_kg,
        pregnancy=check.pregnancy,
        infected_areas=check.infected_areas,
    )


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
        "warnings": [_described([f]) for f in result["warnings"]],
        **extra,
    }


def _described(findings: Iterable[dict[str, Any]]) -> str:
    return " ".join(f["message"] for f in findings)


def _refuse_hard_stops(result: dict[str, Any]) -> None:
    if result["hard_stops"]:
        raise SessionRefused(f"Today's check stops treatment. {_described(result['hard_stops'])}")


# --- What the patient received, checked by the engine (clinical-reference §7) ---------


def _covered(finding: dict[str, Any], overrides: list[dict[str, Any]]) -> bool:
    """A grade-B/C stop already decided with a reason: on the session or in the plan."""
    for ov in overrides:
        if ov["code"] != finding["code"]:
            continue
        unconfirmed = not (ov.get("confirmed_by") or ov.get("patient_acknowledged"))
        if ov["code"] in rules.findings.SECOND_CONFIRMATION and unconfirmed:
            continue
        if ov.get("ingredient") and ov["ingredient"] != finding.get("ingredient"):
            continue
        if ov.get("area") and ov["area"] != finding.get("area"):
            continue
        return True
    return False


def session_overrides(session: TreatmentSession) -> list[dict[str, Any]]:
    """Reasons recorded on this session, and those the approved plan carries."""
    plan_overrides = (
        session.plan_version.inputs.get("overrides", []) if session.plan_version else []
    )
    return list(session.overrides or []) + list(plan_overrides)


def enforce(
    session: TreatmentSession, findings: list[dict[str, Any]], user: User, reason: str
) -> list[dict[str, Any]]:
    """Refuse grade-A stops; grade-B stops need a real reason, recorded once.

    Returns the overrides to add to the session (empty when nothing new was decided).
    """
    stops = [f for f in findings if f["severity"] == "stop"]
    hard = [f for f in stops if not f["overridable"]]
    if hard:
        raise SessionRefused(_described(hard))
    known = session_overrides(session)
    open_stops = [f for f in stops if not _covered(f, known)]
    if not open_stops:
        return []
    confirm = [f for f in open_stops if f["code"] in rules.findings.SECOND_CONFIRMATION]
    if confirm:
        raise SessionRefused(
            _described(confirm) + " Passing it needs a second practitioner's confirmation, "
            "recorded on the plan."
        )
    if not reason.strip():
        raise SessionRefused(
            _described(open_stops) + " To go ahead, record your reason for passing this limit.",
            field="override_reason",
        )
    problem = rules.reason_problem(reason)
    if problem:
        raise SessionRefused(problem, field="override_reason")
    now = timezone.now().isoformat()
    return [
        {
            "code": f["code"],
            "ingredient": f.get("ingredient"),
            "area": f.get("area"),
            "message": f["message"],
            "reason": reason.strip(),
            "by": user.full_name,
            "by_id": user.pk,
            "at": now,
        }
        for f in open_stops
    ]


def _in_scope(check: Callable[..., None], *args: Any) -> None:
    """Scope of practice (who may treat, chart and sign): refused in the session's words."""
    try:
        check(*args, timezone.localdate())
    except scope.ScopeRefused as refusal:
        raise SessionRefused(str(refusal)) from None


def _start_in_scope(user: User, check: Precheck, supervised_by: User | None) -> None:
    """Who may treat today, and who may apply a prescription numbing cream (EMLA)."""
    _in_scope(scope.check_can_start, user, supervised_by)
    if check.numbing_product:
        draft = TreatmentSession(supervised_by=supervised_by)
        cream = scope.ingredients_of([check.numbing_product])
        _in_scope(scope.check_can_chart, user, draft, cream)


def _ingredients(rows: Iterable[SessionArea]) -> list[str]:
    return scope.ingredients_of(row.lot.product for row in rows)


def exposure_findings(
    session: TreatmentSession,
    rows: Sequence[SessionArea],
    profile: rules.PatientProfile | None = None,
) -> list[dict[str, Any]]:
    """Every limit over what the patient received, this session's rows included."""
    profile = profile or session_profile(session)
    history = exposure.history_for(session.patient, exclude=session)
    found = rules.check_exposure(
        profile, history, exposure.session_given(session, rows), now=timezone.now()
    )
    return [f.to_dict() for f in found]


def _lock_open(session: TreatmentSession) -> TreatmentSession:
    """The session row, locked for this transaction, if it may still be charted."""
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if locked.is_signed or locked.status != SessionStatus.IN_PROGRESS:
        raise SessionRefused("This session is signed: record an amendment instead.")
    return locked


def _check_and_record(
    session: TreatmentSession, rows: Sequence[SessionArea], user: User, reason: str
) -> None:
    """The engine over the patient's whole record with these rows; a grade-A stop refuses,
    a grade-B stop needs a reason, which is recorded on the (locked) session."""
    added = enforce(session, exposure_findings(session, rows), user, reason)
    if added:
        session.overrides = list(session.overrides or []) + added
        session.changed_by = user
        session.save(update_fields=["overrides"])


def recheck(version: PlanVersion, profile: rules.PatientProfile) -> dict[str, Any]:
    """Run the approved plan version again against today's profile."""
    return rules.build_plan(
        profile,
        plans.requests_for(version.inputs),
        start=timezone.localdate(),
        overrides=plans.overrides_for(version.inputs),
    ).to_dict()


def _refuse_history(
    user: User,
    patient: Patient,
    profile: rules.PatientProfile,
    areas: list[dict[str, Any]],
    check: Precheck,
) -> list[dict[str, Any]]:
    """What this session is about to give, over the patient's whole charted record.

    Returns the grade-B overrides decided with today's reason, for the new session.
    """
    now = timezone.now()
    planned = exposure.planned_given("new", now, areas)
    if check.numbing_product:
        planned += exposure.numbing_given(
            "new",
            now,
            {"numbing": {"product": check.numbing_product, "amount_g": check.numbing_amount_g}},
        )
    found = rules.check_exposure(profile, exposure.history_for(patient), planned, now=now)
    draft = TreatmentSession(patient=patient, overrides=[])
    return enforce(draft, [f.to_dict() for f in found], user, check.override_reason)


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


def _dose_caps(profile: rules.PatientProfile) -> list[dict[str, Any]]:
    """The grade-A caps the database re-checks at sign-off (PostgreSQL trigger)."""
    return rules.grade_a_caps(profile, today=timezone.localdate())


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
    _start_in_scope(user, check, supervised_by)
    profile = profile_today(plan.patient, check)
    result = recheck(version, profile)
    _refuse_hard_stops(result)
    overrides = _refuse_history(user, plan.patient, profile, result["areas"], check)
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
        dose_caps=_dose_caps(profile),
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
    _start_in_scope(user, check, supervised_by)
    profile = profile_today(patient, check)
    result = rules.build_plan(
        profile,
        plans.requests_for({"items": items}),
        start=timezone.localdate(),
    ).to_dict()  # one session: its course and interval are checked below, over the history
    _refuse_hard_stops(result)
    overrides = _refuse_history(user, patient, profile, result["areas"], check)
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
        dose_caps=_dose_caps(profile),
    )
    record(user, Action.CREATE, session, fields=["precheck", "weight_kg", "adhoc_reason"])
    return session


def charted_rows(session: TreatmentSession) -> list[SessionArea]:
    return list(SessionArea.objects.filter(session=session).select_related("lot").order_by("id"))


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


def dose_findings(session: TreatmentSession, rows: Sequence[SessionArea]) -> list[dict[str, Any]]:
    """What the engine says of this session so far, over the patient's whole record."""
    if not rows and not (session.precheck.get("numbing") or {}).get("product"):
        return []
    return exposure_findings(session, rows)


def _open_vial(lot: Lot) -> None:
    """A multi-dose vial is dated at first use and refused past its in-use period (§7)."""
    product = rules.load_reference().products[lot.product]
    if not product.multi_dose or product.in_use_days is None:
        return
    now = timezone.now()
    if lot.opened_at is None:
        Lot.objects.filter(pk=lot.pk, opened_at__isnull=True).update(opened_at=now)
        lot.opened_at = now
        return
    until = lot.opened_at + timedelta(days=product.in_use_days)
    if now > until:
        raise SessionRefused(
            f"The open vial of lot {lot.lot_number} was opened on "
            f"{timezone.localtime(lot.opened_at):%d %b %Y}; its {product.in_use_days}-day "
            f"in-use period ended on {timezone.localtime(until):%d %b %Y}. Discard it and "
            "open a new vial.",
            field="lot",
        )


def _injection_count(data: dict[str, Any]) -> None:
    ref = rules.load_reference()
    if ref.techniques[data["technique"]].injection and data.get("injections") == 0:
        raise SessionRefused(
            "A volume was charted with 0 injections: give the number of points injected.",
            field="injections",
        )


@transaction.atomic
def chart_area(
    user: User,
    session: TreatmentSession,
    data: dict[str, Any],
    lot: Lot,
    lock_version: int,
    override_reason: str = "",
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
    _injection_count(data)
    _in_scope(scope.check_can_chart, user, locked, scope.ingredients_of([lot.product]))
    _open_vial(lot)
    row = SessionArea(session=locked, lot=lot, changed_by=user, **data)
    rows = charted_rows(locked) + [row]
    _check_and_record(locked, rows, user, override_reason)
    row.save()
    locked.lock_version += 1
    locked.changed_by = user
    locked.save(update_fields=["lock_version"])
    session.lock_version = locked.lock_version
    session.overrides = locked.overrides
    record(user, Action.CHANGE, locked, fields=sorted(data) + ["lot"])
    return row


def _keep_clear(session: TreatmentSession, row: SessionArea, point: tuple[float, float]) -> None:
    """A point added by hand must stay clear of labelled structures (Kybella: 1-1.5 cm)."""
    planned = session_diagram.planned_area(session, row.area, row.side)
    rules_by_structure = {k.structure: k for k in rules.load_reference().areas[row.area].keep_clear}
    for zone in (planned or {}).get("keep_clear", []):
        path = [tuple(p) for p in zone["path"]]
        if rules.layout.distance_to_path(point, path) < zone["margin_mm"]:
            rule = rules_by_structure.get(zone["structure"])
            if rule is not None and rule.grade in ("A", "B"):
                raise SessionRefused(
                    f"That point lies within {zone['margin_mm']:g} mm of the "
                    f"{zone['structure']}: inject further away (labelled keep-clear zone)."
                )


@transaction.atomic
def toggle_point(
    user: User,
    session: TreatmentSession,
    row_id: uuid.UUID,
    x: float,
    y: float,
    override_reason: str = "",
) -> SessionArea:
    """Mark a point done or not done, or add one where the needle went.

    Point marks from two staff are merged under the session's row lock, so neither
    loses the other's taps; the volume follows the points at the plan's volume per
    point, and every limit is checked on the new totals.
    """
    locked = _lock_open(session)
    row = SessionArea.objects.select_related("lot").filter(session=locked, public_id=row_id).first()
    if row is None:
        raise SessionRefused("That charted area was removed meanwhile; the chart is shown again.")
    _in_scope(scope.check_can_chart, user, locked, _ingredients([row]))
    point = (round(x, 1), round(y, 1))
    done = [list(p) for p in row.points]
    kept = [p for p in done if not session_diagram.same_point(p, point)]
    if len(kept) == len(done):
        if not session_diagram.inside(locked, row.area, row.side, point):
            raise SessionRefused("That point is outside the area: tap inside its outline.")
        _keep_clear(locked, row, point)
        kept.append(list(point))
    if not kept:
        raise SessionRefused(
            "That is the last point of this area: remove the charted area instead."
        )
    planned = session_diagram.planned_area(locked, row.area, row.side)
    per_point = (planned or {}).get("volume_per_point_ml") or (
        float(row.volume_ml) / row.injections if row.injections else None
    )
    row.points, row.injections = kept, len(kept)
    if per_point:
        row.volume_ml = Decimal(str(round(per_point * len(kept), 2)))
    rows = [row if r.pk == row.pk else r for r in charted_rows(locked)]
    _check_and_record(locked, rows, user, override_reason)
    row.changed_by = user
    row.save(update_fields=["points", "injections", "volume_ml"])
    record(user, Action.CHANGE, locked, fields=["points"], detail=f"{row.area} points")
    return row


@transaction.atomic
def remove_area(user: User, session: TreatmentSession, row: SessionArea) -> None:
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff chart a session.")
    if session.is_signed:
        raise SessionRefused("This session is signed: record an amendment instead.")
    # An unsigned row is a draft, never seen by a recall; removing a wrong draft entry is
    # allowed and audited (signed rows are protected by database triggers).
    row.delete()
    TreatmentSession.objects.filter(pk=session.pk).update(lock_version=F("lock_version") + 1)
    record(user, Action.CHANGE, session, fields=["areas"], detail="charted area removed")


def vials_opened(rows: Iterable[SessionArea]) -> dict[int, int]:
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
    return [line for line in lines if line != SEEK_CARE]


@transaction.atomic
def sign(user: User, session: TreatmentSession) -> bool:
    """Sign once. A resubmitted form finds the session signed and changes nothing (False).

    Only a licensed practitioner signs (scope.check_can_sign), whoever calls.
    """
    _in_scope(scope.check_can_sign, user)
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
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
    for lot_id, vials in vials_opened(rows).items():
        updated = Lot.objects.filter(pk=lot_id, vials_used__lte=F("vials_received") - vials).update(
            vials_used=F("vials_used") + vials
        )
        if not updated:
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
    if not session.patient.email:
        return
    send_mail(
        subject="Your aftercare instructions",
        message=aftercare.email_text(session, SEEK_CARE),
        from_email=None,
        recipient_list=[session.patient.email],
    )


@transaction.atomic
def amend(user: User, session: TreatmentSession, text: str, reason: str) -> SessionAmendment:
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff amend a session.")
    if not session.is_signed:
        raise SessionRefused("Only a signed session is amended; edit the chart instead.")
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
