"""Plans: from the patient's record and the plan's inputs to the engine's checked result.

Every number the editor shows comes from `evaluate`, which calls the same
`mesoclinic.rules.build_plan` as `mesoclinic plan --json`.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import models as pm
from mesoclinic.patients.services import Chart, chart_for
from mesoclinic.plans import states
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.records import keep_history

ITEM_FIELDS = (
    "concern",
    "area",
    "protocol",
    "products",
    "side",
    "technique",
    "depth_mm",
    "spacing_mm",
    "volume_per_point_ml",
    "sessions",
    "interval_days",
    "points",
    "area_cm2",
)


# The patient's charted record (rules.Given rows), provided by the treatments app, which
# sits above plans: plans never import it. Set in TreatmentsConfig.ready().
HistorySource = Callable[[pm.Patient, Plan | None], list]
history_source: HistorySource | None = None


def charted_history(patient: pm.Patient, plan: Plan | None = None) -> list:
    """Every charted session of the patient outside this plan (courses count them)."""
    return history_source(patient, plan) if history_source is not None else []


class StaleEdit(Exception):
    """Someone else saved this plan since the form was rendered."""


class ApprovalRefused(Exception):
    pass


class CancelRefused(Exception):
    """A plan is cancelled with a reason."""


def profile_for(patient: pm.Patient, chart: Chart) -> rules.PatientProfile:
    status = chart.current_pregnancy.status if chart.current_pregnancy else None
    conditions = set()
    for c in chart.conditions:
        conditions.add(f"{c.condition}:{c.area}" if c.area else c.condition)
    return rules.PatientProfile(
        weight_kg=float(patient.weight_kg) if patient.weight_kg else None,
        birth_date=patient.date_of_birth,
        sex=patient.sex if patient.sex in ("F", "M", "X") else None,
        # "Possibly pregnant" is treated as pregnant until confirmed otherwise.
        pregnant=status in (pm.PregnancyState.PREGNANT, pm.PregnancyState.POSSIBLY_PREGNANT),
        breastfeeding=status == pm.PregnancyState.BREASTFEEDING,
        # Coded allergen slugs (ingredients included); an anaphylaxis adds its history.
        allergies=set().union(*(a.allergen_slugs for a in chart.allergies)),
        # What nobody could code stops every treatment until a practitioner does.
        unresolved_allergies=[a.label for a in chart.allergies if a.needs_coding],
        medications=[m.name for m in chart.medications],
        conditions=conditions | {f.factor for f in chart.lifestyle},
        infected_areas={i.area for i in chart.active_infections},
        fitzpatrick=patient.fitzpatrick,
        jurisdiction=_jurisdiction(patient),
    )


def _jurisdiction(patient: pm.Patient) -> str | None:
    """The clinic's jurisdiction (cached on the patient once read)."""
    return patient.organization.jurisdiction or None


def requests_for(inputs: dict) -> list[rules.TreatmentRequest]:
    return [
        rules.TreatmentRequest(
            **{k: v for k, v in item.items() if k in ITEM_FIELDS and v not in (None, "", [])}
        )
        for item in inputs.get("items", [])
    ]


def overrides_for(inputs: dict) -> list[rules.Override]:
    return [
        rules.Override(
            code=o["code"],
            reason=o["reason"],
            area=o.get("area") or None,
            confirmed_by=o.get("confirmed_by")
            or ("the patient's signed acknowledgement" if o.get("patient_acknowledged") else None),
        )
        for o in inputs.get("overrides", [])
    ]


def start_date(inputs: dict) -> dt.date:
    try:
        return dt.date.fromisoformat(inputs.get("start", ""))
    except ValueError:
        return timezone.localdate()


@dataclass
class Evaluation:
    result: dict | None
    error: str | None
    field: str | None

    @property
    def blocked(self) -> bool:
        return self.result is None or bool(self.result["hard_stops"])


def evaluate(
    patient: pm.Patient, inputs: dict, chart: Chart | None = None, plan: Plan | None = None
) -> Evaluation:
    """The engine's plan for these inputs; courses and intervals count every session the
    patient was given outside ``plan`` (any other plan, ad hoc too)."""
    chart = chart or chart_for(patient)
    if not inputs.get("items"):
        return Evaluation(None, None, None)
    try:
        built = rules.build_plan(
            profile_for(patient, chart),
            requests_for(inputs),
            start=start_date(inputs),
            overrides=overrides_for(inputs),
            history=charted_history(patient, plan),
        )
    except rules.RulesInputError as error:
        return Evaluation(None, str(error), error.field)
    result = built.to_dict()
    items = inputs["items"]
    _assign_items(result["areas"], items)
    return Evaluation(result, None, None)


def _assign_items(areas: list[dict], items: list[dict]) -> None:
    """The engine returns areas in request order, one per side: label each with its item."""
    index = 0
    for position, item in enumerate(items):
        # A paired area with no side, or "both", is planned once per side.
        sides = 2 if item.get("side") in (None, "", "both") and _paired(item["area"]) else 1
        for _ in range(sides):
            if index < len(areas) and areas[index]["area"] == item["area"]:
                areas[index]["item"] = position
                index += 1


def _paired(area: str) -> bool:
    return rules.load_reference().areas[area].paired


@transaction.atomic
def save_inputs(
    user: User, plan: Plan, inputs: dict, lock_version: int, fields: Iterable[str] = ("items",)
) -> Plan:
    now = timezone.now()
    updated = Plan.objects.filter(pk=plan.pk, lock_version=lock_version).update(
        inputs=inputs, lock_version=lock_version + 1, changed_at=now, changed_by=user
    )
    if not updated:
        raise StaleEdit
    plan.inputs, plan.lock_version = inputs, lock_version + 1
    keep_history(plan, user, now)
    record(user, Action.CHANGE, plan, fields=fields)
    return plan


def content_hash(inputs: dict, result: dict) -> str:
    blob = json.dumps({"inputs": inputs, "result": result}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def create_plan(user: User, patient: pm.Patient) -> Plan:
    """A draft with one item per area of the patient's charted concerns, starting today."""
    items = [
        {"concern": concern.concern, "area": area}
        for concern in chart_for(patient).concerns
        for area in concern.areas
    ]
    plan = Plan.objects.create(
        patient=patient,
        created_by=user,
        inputs={"items": items, "overrides": [], "start": timezone.localdate().isoformat()},
    )
    record(user, Action.CREATE, plan, fields=["items"])
    return plan


def _change_status(
    user: User,
    plan: Plan,
    status: str,
    detail: str,
    fields: Iterable[str] = (),
    audit_fields: Iterable[str] = ("status",),
) -> None:
    """The one place a plan's status changes: the table decides, under the row's lock.
    `fields` are other columns of `plan` saved with it (the cancelling reason)."""
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    states.PLAN.check(locked.status, status)
    for name in fields:
        setattr(locked, name, getattr(plan, name))
    locked.status = status
    locked.lock_version += 1
    locked.changed_by = user
    locked.save(update_fields=["status", "lock_version", *fields])
    record(user, Action.CHANGE, locked, fields=audit_fields, detail=detail)
    plan.status, plan.lock_version = locked.status, locked.lock_version


@transaction.atomic
def approve(user: User, plan: Plan, patient: pm.Patient, lock_version: int) -> PlanVersion:
    if not roles.can(user, roles.SIGN_CLINICAL):
        raise PermissionDenied("Only a practitioner approves a plan.")
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    if locked.lock_version != lock_version:
        raise StaleEdit
    states.PLAN.check(locked.status, PlanStatus.APPROVED)
    evaluation = evaluate(patient, locked.inputs, plan=locked)
    if evaluation.result is None:
        raise ApprovalRefused(evaluation.error or "Add at least one area before approving.")
    if evaluation.result["hard_stops"]:
        stops = evaluation.result["hard_stops"]
        names = ", ".join(sorted({rules.findings.title(f["code"]).lower() for f in stops}))
        raise ApprovalRefused(f"Hard stops remain ({names}); the plan cannot be approved.")
    number = PlanVersion.objects.filter(plan=locked).count() + 1
    version = PlanVersion.objects.create(
        plan=locked,
        number=number,
        inputs=locked.inputs,
        result=evaluation.result,
        reference_versions=evaluation.result.get("reference_versions", {}),
        approved_by=user,
        changed_by=user,
        content_hash=content_hash(locked.inputs, evaluation.result),
    )
    _change_status(
        user, locked, PlanStatus.APPROVED, f"approved v{number}", audit_fields=["status", "version"]
    )
    plan.status, plan.lock_version = locked.status, locked.lock_version
    return version


@transaction.atomic
def propose(user: User, plan: Plan) -> None:
    """Draft -> proposed: the plan has been presented to the patient, still editable."""
    _change_status(user, plan, PlanStatus.PROPOSED, f"status {PlanStatus.PROPOSED}")


@transaction.atomic
def cancel(user: User, plan: Plan, reason: str) -> None:
    """Cancel with a reason; the plan stays in the record."""
    reason = reason.strip()
    states.PLAN.check(plan.status, PlanStatus.CANCELLED)
    if len(reason) < 3:
        raise CancelRefused("Cancelling a plan needs a reason.")
    if "\x00" in reason:  # as a form's text field says; PostgreSQL cannot store it
        raise CancelRefused("Null characters are not allowed.")
    plan.cancelled_reason = reason[:500]
    _change_status(
        user,
        plan,
        PlanStatus.CANCELLED,
        f"status {PlanStatus.CANCELLED}",
        fields=["cancelled_reason"],
        audit_fields=["status"],
    )


def latest_version(plan: Plan) -> PlanVersion | None:
    return PlanVersion.objects.filter(plan=plan).order_by("-number").first()


@transaction.atomic
def reopen(user: User, plan: Plan) -> None:
    """Edit an approved plan: it becomes a draft of the next version; consent must be re-signed."""
    _change_status(user, plan, PlanStatus.DRAFT, "reopened for a new version")


# Status changes that follow from a consent or a session, not from a person editing the
# plan: each happens only from the one status named (a reopened draft stays a draft).


def consent_given(plan_id: int) -> None:
    _follow(plan_id, PlanStatus.APPROVED, PlanStatus.CONSENTED)


def consent_withdrawn(plan_id: int) -> None:
    _follow(plan_id, PlanStatus.CONSENTED, PlanStatus.APPROVED)


def treatment_started(plan_id: int) -> None:
    _follow(plan_id, PlanStatus.CONSENTED, PlanStatus.ACTIVE)


def _follow(plan_id: int, current: str, status: str) -> None:
    assert states.PLAN.allows(current, status), (current, status)
    Plan.objects.filter(pk=plan_id, status=current).update(status=status)
