"""The columns each seeded table is written with, in the order of the seeder's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.plans.models import Consent, Plan, PlanVersion
from mesoclinic.scale.writer import Writer
from mesoclinic.scheduling.models import Appointment
from mesoclinic.treatments.models import (
    AdverseEvent,
    FollowUpTask,
    SessionArea,
    TreatmentSession,
)

# -- writing -------------------------------------------------------------------------
HISTORY = ["organization", "public_id", "patient", "recorded_on", "created_at", "created_by",
           "voided_at", "voided_by", "void_reason"]  # fmt: skip
# One chunk's rows by table: tuples of plain values, in the order of the table's fields.
Rows = dict[str, list[tuple[Any, ...]]]


def write(w: Writer, rows: Rows, uid: Callable[[], str]) -> None:
    """Insert one chunk's rows, parents before children."""
    _patients(w, rows)
    _plans(w, rows)
    _sessions(w, rows)
    _outcomes(w, rows)
    _diary_and_audit(w, rows, uid)


def _patients(w: Writer, rows: Rows) -> None:
    H = HISTORY
    w.insert(
        pm.Patient,
        ["id", "organization", "public_id", "first_name", "last_name", "date_of_birth", "sex",
         "phone", "email", "address", "weight_kg", "height_cm", "measured_on", "fitzpatrick",
         "occupation", "emergency_contact_name", "emergency_contact_phone", "notes",
         "home_site", "search_last", "search_first", "phone_digits", "email_lower",
         "created_at", "created_by", "changed_at"],
        rows["patient"],
    )  # fmt: skip
    w.insert(pm.Allergy, H + ["substance", "substance_text", "reaction", "severity", "coded",
                              "coding", "coding_reason"], rows["allergy"])  # fmt: skip
    w.insert(pm.Medication, H + ["name", "dose", "drug_classes"], rows["medication"])
    w.insert(pm.Condition, H + ["condition", "area", "notes"], rows["condition"])
    w.insert(pm.PregnancyStatus, H + ["status", "confirmed_on"], rows["pregnancy"])
    w.insert(pm.SkinInfection, H + ["area", "description", "resolved_on"], rows["infection"])
    w.insert(pm.LifestyleFactor, H + ["factor", "notes"], rows["lifestyle"])
    w.insert(pm.Concern, H + ["concern", "areas", "goals", "expectations"], rows["concern"])
    w.insert(
        pm.ChangeLog,
        ["organization", "patient", "object_type", "object_id", "action", "changed_by",
         "changed_at", "previous", "reason"],
        rows["changelog"],
    )  # fmt: skip


def _plans(w: Writer, rows: Rows) -> None:
    w.insert(
        Plan,
        ["id", "organization", "public_id", "patient", "status", "inputs", "lock_version",
         "created_by", "created_at", "changed_at", "cancelled_reason"],
        rows["plan"],
    )  # fmt: skip
    w.insert(
        PlanVersion,
        ["id", "organization", "public_id", "plan", "number", "inputs", "result",
         "reference_versions", "approved_by", "approved_at", "content_hash"],
        rows["version"],
    )  # fmt: skip
    w.insert(
        Consent,
        ["id", "organization", "public_id", "plan", "plan_version", "patient", "template",
         "text", "text_hash", "patient_typed_name", "patient_signature", "patient_signed_at",
         "countersigned_by", "countersigned_at", "voided_at", "voided_by", "void_reason"],
        rows["consent"],
    )  # fmt: skip


def _sessions(w: Writer, rows: Rows) -> None:
    w.insert(
        TreatmentSession,
        ["id", "organization", "public_id", "patient", "plan", "plan_version", "consent",
         "adhoc_reason", "site", "status", "precheck", "weight_kg", "started_at", "ended_at",
         "performed_by", "supervised_by", "lock_version", "signed_by", "signed_at",
         "aftercare", "dose_caps", "voided_at", "voided_by", "void_reason", "created_at"],
        rows["session"],
    )  # fmt: skip
    w.insert(
        SessionArea,
        ["organization", "public_id", "session", "area", "side", "technique", "lot",
         "volume_ml", "depth_mm", "needle_length_mm", "needle_angle_deg", "injections",
         "points"],
        rows["area"],
    )  # fmt: skip
    w.insert(
        AdverseEvent,
        ["id", "organization", "public_id", "patient", "session", "event_type", "area",
         "onset_on", "grade", "description", "action_taken", "outcome", "resolved_on",
         "serious", "reported_by", "created_at", "voided_at", "void_reason"],
        rows["ae"],
    )  # fmt: skip
    through = AdverseEvent.lots.through
    w.insert(through._meta.db_table, ["adverseevent_id", "lot_id"], rows["ae_lot"])
    w.insert(
        FollowUpTask,
        ["organization", "public_id", "patient", "session", "adverse_event", "assigned_to",
         "due_on", "reason", "done_at", "done_by", "notes"],
        rows["followup"],
    )  # fmt: skip


def _outcomes(w: Writer, rows: Rows) -> None:
    w.insert(
        Assessment,
        ["organization", "public_id", "patient", "plan", "session", "protocol", "area", "side",
         "instrument", "instrument_version", "timepoint", "rater", "answers", "total", "code",
         "band", "display", "taken_at", "late_reason", "amends", "amend_reason",
         "submission_key", "created_at", "created_by", "changed_at", "changed_by", "voided_at",
         "voided_by", "void_reason"],
        rows["assessment"],
    )  # fmt: skip


def _diary_and_audit(w: Writer, rows: Rows, uid: Callable[[], str]) -> None:
    w.insert(
        Appointment,
        ["organization", "public_id", "site", "room", "practitioner", "patient",
         "treatment_type", "plan", "plan_version", "course_session", "course_areas",
         "ideal_date", "starts_at", "ends_at", "status", "cancel_reason", "cancelled_at",
         "cancelled_by", "interval_override_reason", "overridden_by", "lock_version",
         "created_by", "created_at", "changed_at"],
        rows["appointment"],
    )  # fmt: skip
    w.insert(
        AuditEvent,
        ["organization", "actor", "at", "action", "object_type", "object_id", "fields",
         "detail", "client_address", "request_id"],
        [(*r, "127.0.0.1", uid()) for r in rows["audit"]],
    )  # fmt: skip
    # Outcome scores carry their own request ids, drawn from the outcomes' stream.
    w.insert(
        AuditEvent,
        ["organization", "actor", "at", "action", "object_type", "object_id", "fields",
         "detail", "client_address", "request_id"],
        rows["assessment_audit"],
    )  # fmt: skip
