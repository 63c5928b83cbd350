"""Making, checking and revoking API tokens; each act is audited."""

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import INTEGRATION_DOMAIN, User, hash_token
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
        who = (
            user.full_name if by != user and user.email.endswith(INTEGRATION_DOMAIN) else user.email
        )
        record(by, Action.CREATE, token, detail=f"API token for {who}: {', '.join(chosen)}")
    return token, secret


def create_integration(
    by: User, *, name: str, scopes: Iterable[str], acts_as: str, days: int
) -> tuple[ApiToken, str]:
    """An organization's token (owners only), acting as `acts_as` through its own account.

    The account is made here with that staff role and no password (it cannot sign in);
    audit events and records it writes name it "Integration: <name>".
    """
    if not roles.can(by, roles.MANAGE_STAFF):
        raise TokenRefused("Only the clinic's owner may make an integration token.")
    if acts_as not in roles.STAFF_ROLES:
        raise TokenRefused("Choose the staff role the integration acts as.")
    if not name.strip():
        raise TokenRefused("Name the token after what it is for.")
    with transaction.atomic():
        account = User.objects.create_user(
            f"integration-{uuid.uuid4().hex}{INTEGRATION_DOMAIN}",
            None,
            organization_id=by.organization_id,
            role=acts_as,
            full_name=f"Integration: {name.strip()[:80]}",
        )
        token, secret = create(account, name=name, scopes=scopes, days=days, by=by)
        token.organization_id = by.organization_id
        token.made_by = by
        token.save(update_fields=["organization", "made_by"])
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
            record(by, Action.CHANGE, token, detail=f"API token revoked: {token.user.full_name}")
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


def integrations(owner: User) -> list[ApiToken]:
    """The organization's integration tokens, for its owners; nobody else sees them."""
    if not roles.can(owner, roles.MANAGE_STAFF):
        return []
    found = ApiToken.objects.filter(organization_id=owner.organization_id)
    return list(found.select_related("user", "made_by").order_by("-created_at")[:100])
