from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from mesoclinic.audit.log import Action, RequestContext, record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(user, Action.LOGIN, user, object_type="user", context=RequestContext.of(request))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(user, Action.LOGOUT, user, object_type="user", context=RequestContext.of(request))


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is not None:
        # The typed email is not stored: it may be a patient's or a password typo.
        record(
            None,
            Action.LOGIN_FAILED,
            object_type="user",
            detail="failed login",
            context=RequestContext.of(request),
        )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None:
        record(
            None,
            Action.LOGIN_FAILED,
            object_type="user",
            detail="locked out",
            context=RequestContext.of(request),
        )
