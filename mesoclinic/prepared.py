"""Querysets compiled to SQL once, then run with each request's values.

Django builds and compiles a queryset's SQL every time it is evaluated: for a history
list that is 0.4 ms of Python for SQL that runs in 0.03 ms, and the chart reads eight of
them. A `Prepared` query is compiled once per shape and database with stand-in values for
the organization and the row it is filtered on; each run puts the real values in their
place and lets Django's raw-query machinery build the model instances, so what comes back
is what the queryset would have returned.

The organization comes from `tenancy` at each run, as for every scoped query: with none
in context it raises `TenancyError`, never reads across clinics.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models

from mesoclinic.tenancy import TenancyError, acting_for, current_org_id

_M = TypeVar("_M", bound=models.Model)

# Stand-ins no real primary key takes (keys are positive).
_ORG = -7_424_242
_VALUE = -7_171_717


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    org_at: tuple[int, ...]
    value_at: tuple[int, ...]


@dataclass
class Prepared(Generic[_M]):
    """``build(value)`` gives the queryset for one value (a patient's key, say); it must
    filter on that value once and read nothing but this model's own columns."""

    model: type[_M]
    build: Callable[[int], models.QuerySet[_M]]

    def __post_init__(self) -> None:
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            with acting_for(_ORG):
                queryset = self.build(_VALUE).using(using)
                sql, params = queryset.query.get_compiler(using).as_sql()
            if queryset.query.select_related:
                raise ValueError("a prepared query reads one model's columns only")
            org_at = tuple(i for i, p in enumerate(params) if p == _ORG)
            value_at = tuple(i for i, p in enumerate(params) if p == _VALUE)
            if len(org_at) != 1 or len(value_at) != 1:
                raise ValueError(f"{self.model.__name__}: expected one organization and one value")
            compiled = _Compiled(sql, tuple(params), org_at, value_at)
            self._compiled[using] = compiled
        return compiled

    def __call__(self, value: int, using: str = "default") -> list[_M]:
        org_id = current_org_id()
        if org_id is None:
            raise TenancyError(
                f"{self.model.__name__} queried with no organization in context; "
                "use acting_for(org) or the all_orgs manager deliberately"
            )
        compiled = self._compile(using)
        params = list(compiled.params)
        params[compiled.org_at[0]] = org_id
        params[compiled.value_at[0]] = value
        return list(self.model._base_manager.raw(compiled.sql, params, using=using))


def cached(registry: dict[Hashable, Prepared[Any]], key: Hashable, model: type[_M],
           build: Callable[[int], models.QuerySet[_M]]) -> Prepared[_M]:  # fmt: skip
    """The prepared query under ``key`` in ``registry``, made on first use."""
    prepared = registry.get(key)
    if prepared is None:
        prepared = registry[key] = Prepared(model, build)
    return prepared
