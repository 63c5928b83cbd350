"""Every dose, count, volume, spacing, area, course and interval limit is checked here.

"Where is the dose limit checked?" -- :func:`check_usages` for one session
(:mod:`.dose`: mg per session and per kg, injection count and volume; :mod:`.area`:
indication, volume per injection, spacing, mixture and concentration per area),
:func:`check_window` for a rolling window, :func:`check_course` for a course and its
intervals (:mod:`.course`), :func:`check_keep_clear` for hand-placed points.
:func:`largest_fit` (:mod:`.fit`) searches the largest plan these checks let through.
:func:`mesoclinic.rules.build_plan` and :func:`mesoclinic.rules.check_session_doses`
call them; nothing else compares a quantity with a limit.

Severity follows the grade: a grade-A or grade-B limit that is exceeded is a hard
stop (B can be overridden with a reason), a grade-C figure is only ever a warning
(clinical-reference: "never as a limit").
"""

from .area import check_keep_clear
from .common import DIGITS, NO_LIMIT_TEXT, Usage, applies, family_of, in_mixture
from .course import EarlierSession, MinimumInterval, check_course, minimum_interval
from .dose import check_usages, check_window
from .fit import largest_fit

__all__ = [
    "DIGITS",
    "NO_LIMIT_TEXT",
    "EarlierSession",
    "MinimumInterval",
    "Usage",
    "applies",
    "check_course",
    "check_keep_clear",
    "check_usages",
    "check_window",
    "family_of",
    "in_mixture",
    "largest_fit",
    "minimum_interval",
]
