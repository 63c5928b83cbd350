"""One helper per object kind: the object if it belongs to the user's organization, else 404.

The organization scoping itself is `tenancy.OrgManager`'s; these add the 404, the
related rows every caller needs and, for follow-up tasks, whose tasks a role may open.
"""

import uuid

from django.shortcuts import get_object_or_404

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import (
    AdverseEvent,
    FollowUpTask,
    Lot,
    StockCount,
    TreatmentSession,
)


def get_session(public_id: uuid.UUID) -> TreatmentSession:
    """The session if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        TreatmentSession.objects.select_related(
            "patient__organization",
            "plan",
            "plan_version",
            "site",
            "performed_by",
            "supervised_by",
            "signed_by",
        ),
        public_id=public_id,
    )


def get_session_to_sign(public_id: uuid.UUID) -> TreatmentSession:
    """The session's keys only, else 404: sign-off locks and reads the row itself
    (`sessions.sign`), so its relations and wide JSON columns are not loaded twice."""
    return get_object_or_404(TreatmentSession.objects.only("pk", "public_id"), public_id=public_id)


def get_adverse_event(public_id: uuid.UUID) -> AdverseEvent:
    """The event if it belongs to the user's organization, else 404."""
    events = AdverseEvent.objects.select_related("voided_by")
    return get_object_or_404(safety.with_lots(events), public_id=public_id)


def get_follow_up(user: User, public_id: uuid.UUID) -> FollowUpTask:
    """A task of the user's organization: their own, or anyone's for those who see all; else 404."""
    tasks = FollowUpTask.objects.select_related("patient", "assigned_to", "done_by")
    if not roles.can(user, roles.SIGN_CLINICAL):
        tasks = tasks.filter(assigned_to=user)
    return get_object_or_404(tasks, public_id=public_id)


def get_lot(public_id: uuid.UUID) -> Lot:
    """The lot if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        Lot.objects.select_related("site", "received_by", "recalled_by"), public_id=public_id
    )


def get_stock_count(public_id: uuid.UUID) -> StockCount:
    """The stock count if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        StockCount.objects.select_related("site", "counted_by"), public_id=public_id
    )
