"""Typed errors: callers tell bad input from bad reference data from a refused override."""

from __future__ import annotations

from typing import Any


class RulesInputError(ValueError):
    """The caller asked for something the engine will not guess about.

    ``field`` names the input (``"profile.weight_kg"``, ``"requests[0].area"``) and
    ``value`` is what was given, so a form can put the message next to the field.
    """

    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(f"{field}={value!r}: {message}")
        self.field = field
        self.value = value
        self.message = message


class ReferenceDataError(ValueError):
    """A data file under ``mesoclinic/rules/data`` is missing, malformed or inconsistent."""

    def __init__(self, file: str, field: str, message: str) -> None:
        super().__init__(f"{file}: {field}: {message}")
        self.file = file
        self.field = field
        self.message = message
