"""Signing in: Django's ModelBackend, with the user's organization in the same query."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from mesoclinic.accounts.models import User


class OrganizationBackend(ModelBackend):
    """Every signed-in page reads `user.organization` (its name in the header, the
    tenancy scope, cache keys): fetched with the user, it costs no query of its own."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.select_related("organization").get(pk=user_id)
        except User.DoesNotExist:
            return None
        # As ModelBackend: a deactivated account's session signs in no more.
        return user if self.user_can_authenticate(user) else None
