"""The portal's one access rule: a signed-in patient, acting through their own account.

Every portal view takes the `PortalAccount` from `patient_view`, and finds what it shows
from `account.patient` (objects named in the address are looked up among that patient's
own, else 404). Staff accounts get 403 here; nobody signed in is sent to sign in.
"""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBase
from django.urls import reverse

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.portal import two_factor
from mesoclinic.portal.models import PortalAccount
from mesoclinic.portal.services import account_of

P = ParamSpec("P")
PortalView = Callable[Concatenate[AuthedRequest, PortalAccount, P], HttpResponseBase]
View = Callable[Concatenate[AuthedRequest, P], HttpResponseBase]

STAFF_REFUSAL = "The portal is for patients: staff accounts work in the clinic's pages."


def patient_view(view: PortalView[P]) -> View[P]:
    @wraps(view)
    @login_required
    def wrapped(request: AuthedRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        account = account_of(request.user)
        if account is None:
            raise PermissionDenied(STAFF_REFUSAL)
        if two_factor.needs_code(request, account):
            return redirect_to_login(request.get_full_path(), reverse("portal_verify"))
        return view(request, account, *args, **kwargs)

    return wrapped
