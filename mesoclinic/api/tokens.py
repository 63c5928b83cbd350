"""Making, checking and revoking API tokens; each act is audited."""

import datetime as dt
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User, hash_token
from mesoclinic.api.models import ApiToken, Scope
from mesoclinic.audit.log import Action, record

PREFIX = "mcl_"
MAX_DAYS = 366
# Touching last_used_at on every call would make each read a write; once a minute is enough.
TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenRefused(Exception):
    """The request cannot be honoured; the message says why, for the person asking."""


def create(
    user: User, *, name: str, scopes: Iterable[str], days: int, by: User | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user` (made by `by`, default themselves) and its secret, shown once."""
    by = by or user
    if user.role not in roles.STAFF_ROLES or not user.is_active:
        raise TokenRefused("Only active staff accounts may have API tokens.")
    if by != user and not roles.can(by, roles.MANAGE_STAFF):
        raise TokenRefused("Only the clinic's owner may make a token for a colleague.")
    chosen = sorted(set(scopes))
    if not chosen or any(s not in Scope.values for s in chosen):
        raise TokenRefused("Choose at least one of read, write and clinical.")
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"A token lasts from 1 to {MAX_DAYS} days.")
    if not name.strip():
        raise TokenRefused("Name the token after what it is for.")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=secret[:10],
            token_hash=hash_token(secret),
            scopes=chosen,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        record(by, Action.CREATE, token, detail=f"API token for {user.email}: {', '.join(chosen)}")
    return token, secret


def revoke(by: User, token: ApiToken) -> bool:
    """Revoke `token` (its owner, or the clinic's owner); False if it was already revoked."""
    if token.user_id != by.pk and not (
        roles.can(by, roles.MANAGE_STAFF) and token.user.organization_id == by.organization_id
    ):
        raise TokenRefused("Only the token's holder or the clinic's owner may revoke it.")
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            record(by, Action.CHANGE, token, detail="API token revoked")
    return bool(changed)


def authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret (its user loaded), or None."""
    if not secret.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user__organization")
        .filter(token_hash=hash_token(secret))
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    if token.user.role not in roles.STAFF_ROLES:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def mine(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at")[:100])
