"""Treatment plans, their approved versions, consent templates and signed consents.

A plan's working inputs are editable while it is a draft; approving freezes the
inputs and the engine's result into an immutable PlanVersion. Changing an
approved plan starts a new draft version, and consent given for an older
version no longer counts.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from mesoclinic.accounts.roles import Role
from mesoclinic.integrity import violates
from mesoclinic.records import ClinicalRecord, VoidableRecord
from mesoclinic.tenancy import OrgOwned


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    CONSENTED = "consented", "Consented"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


EDITABLE = {PlanStatus.DRAFT, PlanStatus.PROPOSED}


class Plan(ClinicalRecord):
    """A patient's plan. Cancelling one is a step of its life (status CANCELLED, with
    `cancelled_reason`), not a void: the plan was real, and stays readable as cancelled."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # The working inputs of the next version: requests, overrides, start date, edits to points.
    inputs = models.JSONField(default=dict)
    # Incremented on every save; a form carries the value it was rendered with, so
    # two people editing at once cannot silently overwrite each other.
    lock_version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)
    cancelled_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "-created_at"], name="plan_patient")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in PlanStatus]), name="plan_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"Plan {self.public_id} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


class PlanVersion(ClinicalRecord):
    """Immutable: written once when a practitioner approves. Database triggers (migration
    0004) refuse any UPDATE or DELETE."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    inputs = models.JSONField()
    result = models.JSONField()
    reference_versions = models.JSONField(default=dict)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(auto_now_add=True)
    content_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique")
        ]

    def __str__(self) -> str:
        return f"version {self.number}"


class PlanProtocol(OrgOwned):
    """Which protocols an approved version of a plan uses, on which areas: one row per
    (version, protocol, area).

    Written by the database when a version is inserted (plans migration 0005 reads the
    version's result), never by code, so every path that approves a plan (the editor, a
    seeder's bulk insert) is counted: the evidence page counts courses started from it.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="protocols")
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    protocol = models.CharField(max_length=64)
    area = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "protocol", "area"], name="plan_protocol_area_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "protocol"], name="plan_protocol_org")]

    def __str__(self) -> str:
        return self.protocol


class ConsentTemplate(OrgOwned):
    """The clinic's own wording. The evidence statement and the risks are not part
    of it: they are always generated from the plan and the reference, so a clinic
    can add to them but not remove them."""

    version = models.PositiveIntegerField()
    introduction = models.TextField()
    alternatives = models.TextField()
    withdrawal = models.TextField()
    additional = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="consent_template_version"
            )
        ]

    def __str__(self) -> str:
        return f"Consent template v{self.version}"


ONE_CONSENT_CONSTRAINT = "consent_one_per_version"


def second_consent_violation(error: BaseException) -> bool:
    """Whether an IntegrityError is a second unrevoked consent for one plan version."""
    return violates(error, ONE_CONSENT_CONSTRAINT, "plans_consent.plan_version_id")


class Consent(VoidableRecord):
    """A signed consent: its exact text and hash are stored and never change.

    Database triggers (migration 0004) refuse DELETE, and any UPDATE but the
    countersignature and the void (withdrawal) being set once, from empty.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(ConsentTemplate, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    patient_typed_name = models.CharField(max_length=200)
    patient_signature = models.TextField(help_text="SVG path data of the drawn signature")
    patient_signed_at = models.DateTimeField()
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    countersigned_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "-patient_signed_at"], name="consent_plan")]
        constraints = [
            # Two tablets signing at once make one consent; a revoked one makes room.
            models.UniqueConstraint(
                fields=["plan_version"],
                condition=Q(voided_at__isnull=True),
                name=ONE_CONSENT_CONSTRAINT,
            )
        ]

    def __str__(self) -> str:
        return f"Consent {self.public_id}"

    @staticmethod
    def hash_text(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def is_valid(self) -> bool:
        return self.voided_at is None and self.countersigned_at is not None

    @property
    def signed_at_home(self) -> bool:
        """Signed by the patient in their portal (their own account made the row), not on
        the clinic's tablet; `created_by` is among the columns that never change."""
        return self.created_by is not None and self.created_by.role == Role.PATIENT
