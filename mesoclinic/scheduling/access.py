"""Who may use the diary, and one helper per object kind that returns it or 404.

Scheduling belongs to every role (reception books, moves and cancels); only
shortening a grade-B/C interval needs OVERRIDE_SAFETY, and only clinical roles
see which areas a session treats.
"""

import uuid

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import PEOPLE, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.scheduling.models import Appointment, Room

VIEW_DIARY = roles.VIEW_DEMOGRAPHICS
BOOK = roles.EDIT_DEMOGRAPHICS
SHORTEN_INTERVAL = roles.OVERRIDE_SAFETY
SEE_AREAS = roles.VIEW_CLINICAL
# Starting the session from an appointment: whoever may start one from the plan.
TREAT = roles.EDIT_CLINICAL
TREATING_ROLES = (Role.OWNER, Role.PRACTITIONER, Role.ESTHETICIAN)


def get_site(public_id: uuid.UUID | str) -> Site:
    return get_object_or_404(Site.objects, public_id=public_id)


def get_room(public_id: uuid.UUID) -> Room:
    return get_object_or_404(Room.objects.select_related("site"), public_id=public_id)


def get_clinician(public_id: uuid.UUID) -> User:
    """A colleague who treats patients (not reception), from the same organization, or 404."""
    people = User.in_org.filter(PEOPLE, role__in=TREATING_ROLES)
    return get_object_or_404(people, public_id=public_id)


def get_appointment(public_id: uuid.UUID) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related(
            "site",
            "room",
            "practitioner",
            "patient",
            "plan",
            "plan_version",
            "treatment_type",
            "session",
        ),
        public_id=public_id,
    )


def sites() -> QuerySet[Site]:
    return Site.objects.order_by("name")


def clinicians(site: Site | None = None) -> QuerySet[User]:
    """Active treating staff; for a site, those assigned to it or to no site in particular."""
    qs = User.in_org.filter(PEOPLE, is_active=True, role__in=TREATING_ROLES)
    if site is not None:
        qs = qs.filter(pk__in=User.objects.filter(sites=site).values("pk")) | qs.filter(
            sites__isnull=True
        )
    return qs.distinct().order_by("full_name")


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, TypeError):
        return False
    return True
