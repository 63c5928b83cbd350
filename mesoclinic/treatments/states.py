"""Which status a treatment session, and an adverse event, may move to: checked by
treatments.sessions and treatments.safety, the only code that changes either."""

from datetime import date
from types import EllipsisType

from django.db import models

from mesoclinic.transitions import Transitions
from mesoclinic.treatments.models import AdverseEvent, SessionStatus

S = SessionStatus

SESSION = Transitions.table(
    "session",
    {
        S.IN_PROGRESS: {S.SIGNED, S.VOIDED},
        # A signed session is never changed, but one charted in error is voided.
        S.SIGNED: {S.VOIDED},
        S.VOIDED: set(),
    },
    label=lambda s: S(s).label,
    reasons={
        (S.VOIDED, S.SIGNED): "A voided session cannot be signed.",
    },
)


class AdverseEventState(models.TextChoices):
    """An adverse event has no status column: its state is read from its dates."""

    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    VOIDED = "voided", "Voided"


def event_state(event: AdverseEvent, resolved_on: date | None | EllipsisType = ...) -> str:
    """The event's state, or what it would be with `resolved_on` changed to that value."""
    if event.voided_at is not None:
        return AdverseEventState.VOIDED
    resolved_on = event.resolved_on if resolved_on is ... else resolved_on
    return AdverseEventState.RESOLVED if resolved_on else AdverseEventState.OPEN


E = AdverseEventState

ADVERSE_EVENT = Transitions.table(
    "adverse event",
    {
        E.OPEN: {E.RESOLVED, E.VOIDED},
        # A resolution date entered in error is cleared: the event is open again.
        E.RESOLVED: {E.OPEN, E.VOIDED},
        E.VOIDED: set(),
    },
    label=lambda s: E(s).label,
    reasons={
        (E.VOIDED, E.OPEN): "A voided adverse event cannot be updated.",
        (E.VOIDED, E.RESOLVED): "A voided adverse event cannot be updated.",
        (E.VOIDED, E.VOIDED): "A voided adverse event cannot be updated.",
    },
)
