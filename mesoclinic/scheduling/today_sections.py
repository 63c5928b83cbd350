"""Sections other apps add to a role's "Today" page, without the page importing them.

The page (web/today.py) shows each role its day; an app that has something for that
day (payments: what is due at the desk) registers a section here in its
`AppConfig.ready`, for the roles that see it. Scheduling holds the registry because the
day is the diary's: every app that has a share of the day sits above it.

A section is called with the request (the viewer is its user; its forms need its CSRF
token), the site whose day it is (None when the day covers several: reception's
sites) and that day's date, and returns its rendered partial (a whole panel with its
heading), or "" when it has nothing to show. It runs its own queries and writes no
audit event: the page writes one for the whole day.
"""

import datetime as dt
from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.accounts.roles import Role

Section = Callable[[AuthedRequest, Site | None, dt.date], str]

# The slot reception's and the owner's day keep for the payments app: "Payments due".
PAYMENTS_DUE = "payments_due"

_sections: dict[str, list[tuple[str, Section]]] = {}


def register(role: str, section: Section, *, slot: str = PAYMENTS_DUE) -> None:
    """Show `section` on the day of `role` in `slot`; registering it again changes nothing."""
    if role not in Role.values:
        raise ValueError(f"No such role: {role}")
    found = _sections.setdefault(role, [])
    if (slot, section) not in found:
        found.append((slot, section))


def unregister(role: str, section: Section) -> None:
    """For tests: take a section off again."""
    _sections[role] = [(s, f) for s, f in _sections.get(role, []) if f is not section]


def rendered(request: AuthedRequest, site: Site | None, day: dt.date) -> dict[str, SafeString]:
    """Each slot's sections for the viewer's role, rendered in the order registered; a
    section's output is HTML its own template escaped."""
    out: dict[str, list[str]] = {}
    for slot, section in _sections.get(request.user.role, []):
        if html := section(request, site, day):
            out.setdefault(slot, []).append(html)
    return {slot: mark_safe("".join(parts)) for slot, parts in out.items()}  # noqa: S308 - rendered templates
