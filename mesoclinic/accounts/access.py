"""Decorators and helpers that turn the role table into 403s and 404s."""

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import PEOPLE, ClinicalLicence, User

P = ParamSpec("P")
View = Callable[Concatenate[AuthedRequest, P], HttpResponseBase]


def require(capability: str) -> Callable[[View[P]], View[P]]:
    """Login required, then the capability; a missing capability is a 403."""

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        @login_required
        def wrapped(
            request: AuthedRequest, /, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponseBase:
            if not roles.can(request.user, capability):
                raise PermissionDenied(roles.refusal(request.user, capability))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_staff_member(public_id: uuid.UUID) -> User:
    """A colleague from the same organization (a person, not an integration's account), or 404."""
    return get_object_or_404(
        User.in_org.select_related("organization").filter(PEOPLE),
        public_id=public_id,
        role__in=roles.STAFF_ROLES,
    )


def get_licence(public_id: uuid.UUID) -> ClinicalLicence:
    """A licence of a colleague from the same organization (the scoped manager), or 404."""
    return get_object_or_404(ClinicalLicence.objects.select_related("user"), public_id=public_id)
