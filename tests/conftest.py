"""Shared fixtures. ``plan_of(stack)`` runs a stack of this project offline once per test session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from preflight.engine import PlanResult, ProgramError
from preflight.plan import plan_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def plan_of() -> Callable[[str], PlanResult]:
    """``plan_of("prod")``: the offline plan of a stack, computed at most once per session (errors too)."""
    cache: dict[str, PlanResult | ProgramError] = {}

    def get(stack: str) -> PlanResult:
        if stack not in cache:
            try:
                cache[stack] = plan_stack(PROJECT_DIR, stack)[1]
            except ProgramError as exc:
                cache[stack] = exc
        found = cache[stack]
        if isinstance(found, ProgramError):
            raise found
        return found

    return get
