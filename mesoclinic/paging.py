"""Pagination whose count stays cheap however large the table grows."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property

_M = TypeVar("_M", bound=Model)


class CappedPaginator(Paginator[_M]):
    """Counts at most `cap` rows: "page 3 of more than 200" instead of a full COUNT(*).

    The count reads `cap + 1` entries of the ordering index at most, so an audit trail
    of millions of events costs the same as one of thousands. Pages past the cap are
    still reachable (the page number is not checked against the count there).
    """

    object_list: QuerySet[_M]

    def __init__(
        self,
        object_list: QuerySet[_M],
        per_page: int,
        cap: int = 10_000,
        window: Callable[[int, int], list[_M]] | None = None,
        **kwargs: Any,
    ) -> None:
        """`window(bottom, top)`, if given, reads a page's rows in place of slicing
        `object_list` (which still gives the count)."""
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        self.window = window or (lambda bottom, top: list(self.object_list[bottom:top]))

    @cached_property
    def count(self) -> int:
        # Order does not change a count: without it the database stops after cap + 1 rows.
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number: int | float | str) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not a whole number.") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1.")
        return number

    def page(self, number: int | str) -> Page[_M]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.capped:
            return Page(self.window(bottom, bottom + self.per_page), number, self)
        rows = self.window(bottom, bottom + self.per_page + 1)
        page = Page(rows[: self.per_page], number, self)
        page.has_next = lambda: len(rows) > self.per_page  # type: ignore[method-assign]
        return page
