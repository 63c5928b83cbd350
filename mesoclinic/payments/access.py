"""Who reaches the money pages, and one helper per object kind: the object if it belongs
to the user's organization, else 404 (the scoping itself is `tenancy.OrgManager`'s)."""

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.payments import ledger, policy
from mesoclinic.payments.models import PackageSale, Payment

P = ParamSpec("P")
View = Callable[Concatenate[AuthedRequest, P], HttpResponseBase]


def takes_payments(view: View[P]) -> View[P]:
    """Login required, then the billing capability; anyone else a 403."""

    @wraps(view)
    @login_required
    def wrapped(request: AuthedRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not policy.takes_payments(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def get_payment(public_id: uuid.UUID) -> Payment:
    """A payment of the user's organization, with its patient, or 404."""
    return get_object_or_404(Payment.objects.select_related("patient", "site"), public_id=public_id)


def get_package(public_id: uuid.UUID) -> PackageSale:
    """A course package of the user's organization, with what it shows, or 404."""
    return get_object_or_404(ledger.packages_of_all(), public_id=public_id)
