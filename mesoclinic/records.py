"""One shape for every clinical record, in the manner of care's EMRBaseModel and
OpenMRS's BaseOpenmrsData.

- `ClinicalRecord`: a UUID `public_id` (the only id in URLs), `created_at`/`created_by`,
  `changed_at`/`changed_by`, and a history of previous values (django-simple-history)
  that is scoped to the organization like the rows themselves.
- `VoidableRecord` adds the void trio `voided_at`, `voided_by`, `void_reason`: clinical
  data is never deleted, a record made in error is voided by a service with a reason
  (and audited as `Action.VOID`).

Services that change a row set `changed_by` to the acting user before saving; `save()`
stamps `changed_at` (and `created_at`/`created_by` on the first save) and adds them to
`update_fields`. A change written with `QuerySet.update()` (a conditional update that
must not race) sets the new values on the row in memory too and calls
`keep_history(row, by, at)`, so the history misses nothing.

New columns are nullable with no database default, so adding them to a table with
triggers does not make SQLite rebuild it (which would drop the triggers).
"""

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import get_history_manager_for_model

from mesoclinic.tenancy import OrgHistory, OrgHistoryManager, OrgOwned


def _history_user(
    instance: "ClinicalRecord",
    request: Any = None,
    **kwargs: Any,  # noqa: ARG001 - simple-history's call
) -> Any:
    """Who made the change: the row's `changed_by` (set by the service), else the request's."""
    if instance.changed_by_id is not None:
        return instance.changed_by
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


class ClinicalRecord(OrgOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(
        inherit=True,
        bases=[OrgHistory],
        history_manager=OrgHistoryManager,
        get_user=_history_user,
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        now = timezone.now()
        if self._state.adding:
            self.created_at = self.created_at or now
            if self.created_by_id is None:
                self.created_by_id = self.changed_by_id
        self.changed_at = now
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "changed_at", "changed_by"}
        super().save(*args, **kwargs)


class VoidableRecord(ClinicalRecord):
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


def keep_history(row: ClinicalRecord, by: Any, at: datetime | None = None) -> None:
    """After a `QuerySet.update()` of `row` that also wrote `changed_by=by, changed_at=at`:
    keep its values (as now in memory) in its history."""
    row.changed_by, row.changed_at = by, at or timezone.now()
    manager = get_history_manager_for_model(type(row))
    manager.bulk_history_create([row], update=True, default_user=by)


def void_once(row: VoidableRecord, by: Any, reason: str, at: datetime | None = None) -> bool:
    """Void `row` if no one has yet: one conditional UPDATE (two requests voiding at once
    make one void), the values set on the row in memory too, and its history kept.
    False, and nothing written, when it was already voided. The caller checks who may
    void and writes the audit event."""
    at = at or timezone.now()
    updated = (
        type(row)
        .objects.filter(pk=row.pk, voided_at__isnull=True)
        .update(voided_at=at, voided_by=by, void_reason=reason, changed_at=at, changed_by=by)
    )
    if not updated:
        return False
    row.voided_at, row.voided_by, row.void_reason = at, by, reason
    keep_history(row, by, at)
    return True
