"""Who handles the clinic's money (issue 17), read by views, templates and services.

Whoever bills (the role table's BILLING: owners, practitioners, reception) sees patients'
accounts and takes payments and refunds; the end-of-day takings of a site are for every
owner and for reception at the sites they work at; the monthly revenue is the owners'.
"""

from typing import Any

from mesoclinic.accounts import roles
from mesoclinic.accounts.roles import Role


def takes_payments(user: Any) -> bool:
    """Sees patients' accounts and takes payments and refunds."""
    return roles.can(user, roles.BILLING)


def closes_days(user: Any) -> bool:
    """Reception: the end of day of the sites they work at."""
    return takes_payments(user) and user.role == Role.RECEPTION


def sees_revenue(user: Any) -> bool:
    """The monthly revenue by treatment, practitioner and site, and every site's day."""
    return roles.can(user, roles.MANAGE_STAFF)
