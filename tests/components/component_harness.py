"""Helpers for component tests: run a block or a whole example stack under the offline engine.

Runs cost seconds: a test module builds its plan once in a module-scoped fixture, and
:func:`plan_stack` caches whole-stack plans for the session, so ``dev`` and ``prod`` run once.
(No conftest.py: bare test directories share the module name ``conftest`` across the tree.)
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import ConfigError, validate
from components.labels import Labels
from preflight.engine import PlanResult, RecordedResource, run_program
from preflight.stackfile import load_stack

PROJECT = "inference-platform"
ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
TAGS = {"owner": "ml-platform", "managed-by": "pulumi"}
LABELS = Labels(
    data_classification="phi",
    owner="clinical-ml",
    compliance_profile="hipaa",
    environment="prod",
    deployment_model="public-cloud",
    residency_zone="us",
)


def plan_block(
    build: Callable[[], Any],
    *,
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    mocks: Any = None,
) -> PlanResult:
    """Run ``build`` (which creates one or more blocks) as a program and record it."""

    def program() -> None:
        build()

    return run_program(
        program,
        project=PROJECT,
        stack=stack,
        config={"aws:region": REGION, **(config or {})},
        mocks=mocks,
    )


@functools.cache
def plan_stack(stack: str) -> PlanResult:
    """The unmodified ``__main__.py`` on an example stack, as ``preflight plan`` runs it (cached per stack)."""
    stack_file = load_stack(ROOT, stack)
    return run_program(
        ROOT, project=stack_file.project, stack=stack, config=stack_file.config, secret_keys=stack_file.secret_keys
    )


def named(plan: PlanResult, token: str, suffix: str) -> RecordedResource:
    """The one resource of type ``token`` whose name ends with ``suffix``."""
    matches = [res for res in plan.by_type(token) if res.name.endswith(suffix)]
    assert len(matches) == 1, f"expected one {token} named *{suffix}, got {[r.name for r in plan.by_type(token)]}"
    return matches[0]


def raw_stack(name: str) -> dict[str, Any]:
    """A stack file's config as the loader hands it to validation (YAML keys, ``region``, secrets left out)."""
    config = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text())["config"]
    return {
        ("region" if key == "aws:region" else key.split(":", 1)[1]): copy.deepcopy(value)
        for key, value in config.items()
        if key.startswith((f"{PROJECT}:", "aws:region")) and not (isinstance(value, dict) and "secure" in value)
    }


def config_error(raw: Mapping[str, Any]) -> str:
    """The ConfigError message validation gives for ``raw``; fails the test if it validates or reads badly."""
    with pytest.raises(ConfigError) as error:
        validate(raw, PROJECT)
    message = str(error.value)
    # One clear message per problem, never a stack trace or the validation library's own wording.
    assert message.startswith("invalid stack config:\n  - ")
    assert "Traceback" not in message
    assert "pydantic" not in message.lower()
    return message
