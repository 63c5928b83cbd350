"""The limits over what the patient received, checked at session start, each charting
act and sign-off (clinical-reference §7), and the refusals they give."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import User
from mesoclinic.patients.models import Patient
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Consent, Plan, PlanVersion
from mesoclinic.treatments import exposure, scope
from mesoclinic.treatments.exposure import session_profile
from mesoclinic.treatments.models import (
    SessionArea,
    SessionStatus,
    TreatmentSession,
)


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
    pregnancy: str  # a vocab.PregnancyAnswer
    infected_areas: list[str]
    weight_kg: Decimal | None
    numbing_product: str  # a coded topical product slug, or ""
    numbing_applied_at: str
    photos_taken: bool
    numbing_amount_g: Decimal | None = None
    injector_device: str = ""
    override_reason: str = ""


def profile_today(patient: Patient, check: Precheck) -> rules.PatientProfile:
    """The patient as the history says, with what was asked again today taking precedence."""
    return exposure.profile_with_answers(
        patient,
        weight_kg=check.weight_kg,
        pregnancy=check.pregnancy,
        infected_areas=check.infected_areas,
    )


def described(findings: Iterable[dict[str, Any]]) -> str:
    return " ".join(f["message"] for f in findings)


def refuse_hard_stops(result: dict[str, Any]) -> None:
    if result["hard_stops"]:
        raise SessionRefused(f"Today's check stops treatment. {described(result['hard_stops'])}")


def covered(finding: dict[str, Any], overrides: list[dict[str, Any]]) -> bool:
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
        raise SessionRefused(described(hard))
    known = session_overrides(session)
    open_stops = [f for f in stops if not covered(f, known)]
    if not open_stops:
        return []
    confirm = [f for f in open_stops if f["code"] in rules.findings.SECOND_CONFIRMATION]
    if confirm:
        raise SessionRefused(
            described(confirm) + " Passing it needs a second practitioner's confirmation, "
            "recorded on the plan."
        )
    if not reason.strip():
        raise SessionRefused(
            described(open_stops) + " To go ahead, record your reason for passing this limit.",
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


def in_scope(check: Callable[..., None], *args: Any) -> None:
    """Scope of practice (who may treat, chart and sign): refused in the session's words."""
    try:
        check(*args, timezone.localdate())
    except scope.ScopeRefused as refusal:
        raise SessionRefused(str(refusal)) from None


def start_in_scope(user: User, check: Precheck, supervised_by: User | None) -> None:
    """Who may treat today, and who may apply a prescription numbing cream (EMLA)."""
    in_scope(scope.check_can_start, user, supervised_by)
    if check.numbing_product:
        draft = TreatmentSession(supervised_by=supervised_by)
        cream = scope.ingredients_of([check.numbing_product])
        in_scope(scope.check_can_chart, user, draft, cream)


def ingredients(rows: Iterable[SessionArea]) -> list[str]:
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


def lock_open(session: TreatmentSession) -> TreatmentSession:
    """The session row, locked for this transaction, if it may still be charted."""
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if locked.is_signed or locked.status != SessionStatus.IN_PROGRESS:
        raise SessionRefused("This session is signed: record an amendment instead.")
    return locked


def check_and_record(
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


def refuse_history(
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


def dose_caps(profile: rules.PatientProfile) -> list[dict[str, Any]]:
    """The grade-A caps the database re-checks at sign-off (PostgreSQL trigger)."""
    return rules.grade_a_caps(profile, today=timezone.localdate())


def _hours_ago(elapsed: timedelta) -> str:
    hours = int(elapsed.total_seconds() // 3600)
    if hours < 1:
        return "less than an hour ago"
    return f"{hours} hour{'' if hours == 1 else 's'} ago"


def _when(at: datetime) -> str:
    local = timezone.localtime(at)
    year = f" {local.year}" if local.year != timezone.localdate().year else ""
    return f"{local.day} {local:%b}{year} {local:%H:%M}"


def cooling_off_wait(user: User, plan: Plan, consent: Consent | None) -> str | None:
    """Why the plan's first session cannot start yet, or None: the clinic's cooling-off
    period (Organization.cooling_off_hours) runs from the patient's signature. Later
    sessions of the plan are not held back; a voided session was not a treatment."""
    hours = user.organization.cooling_off_hours
    if not hours or consent is None:
        return None
    treated = (
        TreatmentSession.objects.filter(plan=plan).exclude(status=SessionStatus.VOIDED).exists()
    )
    if treated:
        return None
    now = timezone.now()
    allowed = consent.patient_signed_at + timedelta(hours=hours)
    if now >= allowed:
        return None
    return (
        f"Consent was signed {_hours_ago(now - consent.patient_signed_at)}; this clinic waits "
        f"{hours} hour{'' if hours == 1 else 's'} between consent and the first treatment: "
        f"treatment from {_when(allowed)}."
    )
