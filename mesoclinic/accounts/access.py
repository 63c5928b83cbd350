"""Decorators and helpers that turn the role table into 403s and 404s."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import ClinicalLicence, User


def require(capability: str):
    """Login required, then the capability; a missing capability is a 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not roles.can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_staff_member(public_id) -> User:
    """A colleague from the same organization, or 404."""
    return get_object_or_404(User.in_org.select_related("organization"), public_id=public_id)


def get_licence(public_id) -> ClinicalLicence:
    """A licence of a colleague from the same organization (the scoped manager), or 404."""
    return get_object_or_404(ClinicalLicence.objects.select_related("user"), public_id=public_id)
