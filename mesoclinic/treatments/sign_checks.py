"""Checks other apps add to sign-off, without treatments importing them (issue 15).

Treatments sits below photos in the layers, yet a course's first session must not be
signed without its baseline photos. Apps above register a check here (in their
`AppConfig.ready`); `sessions.sign` asks every registered check inside its lock, so each
path that signs (the page, the API, a command) meets them, and the sign confirmation
shows the same messages before the practitioner presses sign.
"""

from collections.abc import Callable

from mesoclinic.treatments.models import TreatmentSession

# A check returns what still stops this session from being signed, in words for people.
Check = Callable[[TreatmentSession], list[str]]

_checks: list[Check] = []


def register(check: Check) -> None:
    """Add a check; registering the same one again (a second `ready()`) changes nothing."""
    if check not in _checks:
        _checks.append(check)


def problems(session: TreatmentSession) -> list[str]:
    """Every registered check's messages for this session; empty when it may be signed."""
    return [message for check in _checks for message in check(session)]
