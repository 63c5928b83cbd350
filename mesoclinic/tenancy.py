"""One place where every clinical query is scoped to an organization.

Models that hold clinic data use `OrgManager` as their default manager. It
filters by the organization of the current request (set by
`accounts.middleware.TenantMiddleware`) and refuses to run at all when no
organization is set, so a forgotten filter raises instead of leaking another
clinic's rows. Code that truly works across organizations (migrations, the
demo loader, system jobs) says so with `acting_for(org)` or `Model.all_orgs`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from django.db import models
from django.db.models.fields.mixins import FieldCacheMixin
from simple_history.manager import HistoryManager

_M = TypeVar("_M", bound=models.Model)

_current_org_id: ContextVar[int | None] = ContextVar("mesoclinic_org_id", default=None)


class TenancyError(RuntimeError):
    """A scoped query ran with no organization in context."""


def current_org_id() -> int | None:
    return _current_org_id.get()


def set_current_org(org_id: int | None) -> Token[int | None]:
    return _current_org_id.set(org_id)


def reset_current_org(token: Token[int | None]) -> None:
    _current_org_id.reset(token)


@contextmanager
def acting_for(org: models.Model | int | None) -> Iterator[None]:
    """Run a block as if a member of `org` made the request."""
    token = set_current_org(org.pk if isinstance(org, models.Model) else org)
    try:
        yield
    finally:
        reset_current_org(token)


def _scoped(queryset: models.QuerySet[_M]) -> models.QuerySet[_M]:
    org_id = current_org_id()
    if org_id is None:
        raise TenancyError(
            f"{queryset.model.__name__} queried with no organization in context; "
            "use acting_for(org) or the all_orgs manager deliberately"
        )
    return queryset.filter(organization_id=org_id)


class OrgManager(models.Manager[_M]):
    def get_queryset(self) -> models.QuerySet[_M]:
        return _scoped(super().get_queryset())

    # Returns Any, not _M: with a typed return django-stubs' plugin checks every
    # `create(**row)` call's kwargs against the fields and misreads the dict's type.
    def create(self, **fields: Any) -> Any:
        # Creating reads nothing: the new row names its organization, or an OrgOwned
        # row takes the current one in save() (which raises when there is none).
        return super().get_queryset().create(**fields)


class OrgHistoryManager(HistoryManager):
    """`Model.history` and `row.history`: previous values of this organization's rows only."""

    def get_super_queryset(self) -> Any:
        return _scoped(super().get_super_queryset())


class OrgHistory(models.Model):
    """Base of the historical models: scoped like the rows they copy. Writing a history
    row (in a post_save signal) uses no manager, so it never raises."""

    objects = OrgManager()
    all_orgs = models.Manager()  # noqa: DJ012 - ruff reads this manager as a field

    class Meta:
        abstract = True


class OrgOwned(models.Model):
    """Base for every row that belongs to one organization."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", editable=False
    )

    # The first manager is the default one: it must stay the scoped one.
    objects = OrgManager()
    all_orgs = models.Manager()  # noqa: DJ012 - ruff reads this manager as a field

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.organization_id is None:
            org_id = current_org_id()
            if org_id is None:
                raise TenancyError(f"{type(self).__name__} saved with no organization")
            self.organization_id = org_id
        self.refuse_other_organizations()
        super().save(*args, **kwargs)

    def refuse_other_organizations(self) -> None:
        """Refuse a related row (patient, lot, site, plan, user...) of another organization.

        Only related rows already in memory are compared, so the check costs no query:
        services and forms load what they link (a form's choices come from scoped
        managers), and an id set by hand is the caller's responsibility.
        """
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "organization":
                continue
            if not isinstance(field, FieldCacheMixin) or not field.is_cached(self):
                continue
            related = field.get_cached_value(self)
            org_id = getattr(related, "organization_id", None)
            if org_id is not None and org_id != self.organization_id:
                raise TenancyError(
                    f"{type(self).__name__}.{field.name} belongs to another organization"
                )
