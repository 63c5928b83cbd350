"""Which status an appointment may move to: checked by scheduling.services, the only
code that changes it."""

from mesoclinic.scheduling.models import Status
from mesoclinic.transitions import Transitions

S = Status

APPOINTMENT = Transitions.table(
    "appointment",
    {
        # A course proposal becomes an appointment when booked (or confirmed at once).
        S.PROPOSED: {S.BOOKED, S.CONFIRMED, S.CANCELLED},
        S.BOOKED: {S.CONFIRMED, S.CANCELLED, S.NO_SHOW, S.COMPLETED},
        S.CONFIRMED: {S.CANCELLED, S.NO_SHOW, S.COMPLETED},
        # Final: a cancelled or missed visit is booked again as a new appointment.
        S.CANCELLED: set(),
        S.NO_SHOW: set(),
        S.COMPLETED: set(),
    },
    label=lambda s: S(s).label,
)
