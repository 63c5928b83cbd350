"""Allowed status changes: one table per stateful record, checked in one place.

Each app declares its record's table next to its status enum (`plans/states.py`,
`scheduling/states.py`, `treatments/states.py`); the one service function that
changes a record's status calls `check`, which refuses a change the table does
not list with `TransitionRefused`, whose message says why, for a person. A new
stateful record (an invoice) adds its own `Transitions` the same way.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class TransitionRefused(Exception):
    """A status change the record's table does not allow; the message is for a person."""

    def __init__(self, message: str, *, current: str, target: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.current, self.target, self.field = current, target, field


def _default_reason(noun: str, current: str, target: str) -> str:
    return f"A {current} {noun} cannot become {target}."


@dataclass(frozen=True)
class Transitions:
    """`allowed[from]` is every status a record in `from` may move to."""

    noun: str
    allowed: Mapping[str, frozenset[str]]
    label: Callable[[str], str] = str
    # Reasons in the app's own words, by (from, to) or by to alone; else the default.
    reasons: Mapping[tuple[str, str] | str, str] = field(default_factory=dict)

    @classmethod
    def table(cls, noun: str, allowed: Mapping[str, set[str]], **kwargs: Any) -> "Transitions":
        return cls(noun, {k: frozenset(v) for k, v in allowed.items()}, **kwargs)

    def allows(self, current: str, target: str) -> bool:
        return target in self.allowed.get(current, frozenset())

    def states(self) -> list[str]:
        return list(self.allowed)

    def reason(self, current: str, target: str) -> str:
        custom = self.reasons.get((current, target)) or self.reasons.get(target)
        if custom:
            return custom
        return _default_reason(self.noun, self.label(current).lower(), self.label(target).lower())

    def check(self, current: str, target: str) -> None:
        if not self.allows(current, target):
            raise TransitionRefused(self.reason(current, target), current=current, target=target)
