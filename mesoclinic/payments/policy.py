"""Who handles the clinic's money (issue 17), read by views, templates and services.

Reception and owners take payments and see patients' accounts; the end-of-day takings
of a site are for its reception and every owner; the monthly revenue is the owners'.
"""

from typing import Any

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site
from mesoclinic.accounts.roles import Role

_TAKE = frozenset({Role.OWNER, Role.RECEPTION})


def takes_payments(user: Any) -> bool:
    """Sees patients' accounts and takes payments and refunds."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role in _TAKE


def sees_revenue(user: Any) -> bool:
    """The monthly revenue by treatment, practitioner and site, and every site's day."""
    return roles.can(user, roles.MANAGE_STAFF)


def sees_day_of(user: Any, site: Site) -> bool:
    """An owner sees every site's end of day; reception the days of the sites they work at."""
    if sees_revenue(user):
        return True
    return takes_payments(user) and user.sites.filter(pk=site.pk).exists()
