"""Fixtures for the rules engine. Pure Python: no database, no Django."""

from __future__ import annotations

import datetime as dt  # noqa: F401
from collections.abc import Callable
from typing import Any

import pytest

from mesoclinic.rules import (
    PatientProfile,
    Plan,
    Reference,
    TreatmentRequest,
    build_plan,
    load_reference,
)

from .helpers import START, TODAY


@pytest.fixture(scope="session")
def ref() -> Reference:
    return load_reference()


PlanFor = Callable[..., Plan]


@pytest.fixture
def plan_for() -> PlanFor:
    """plan_for("localized-fat:submental", weight_kg=70, area_cm2=80, ...) -> Plan.

    Profile fields and request fields are told apart by name; several requests
    can be given as several "concern:area[:protocol]" strings.
    """
    profile_fields = set(PatientProfile.__dataclass_fields__)

    def build(*treats: str, overrides: Any = (), start: dt.date = START, **kw: Any) -> Plan:
        profile_kw = {k: v for k, v in kw.items() if k in profile_fields}
        request_kw = {k: v for k, v in kw.items() if k not in profile_fields}
        profile_kw.setdefault("weight_kg", 70)
        requests = []
        for spec in treats:
            concern, area, *proto = spec.split(":")
            requests.append(
                TreatmentRequest(concern, area, protocol=proto[0] if proto else None, **request_kw)
            )
        return build_plan(
            PatientProfile(**profile_kw), requests, start=start, today=TODAY, overrides=overrides
        )

    return build
