"""What the engine tells the pack about the stack: stack tags (ConfigureStack) and stack config (PULUMI_CONFIG)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pulumi.runtime import get_config

from . import conventions


def stack_config(key: str) -> str | None:
    """The stack's ``<project>:<key>`` config value, which the CLI passes to the pack in PULUMI_CONFIG."""
    project = os.environ.get("PULUMI_PROJECT")
    if not project:
        return None
    value = get_config(f"{project}:{key}")
    return value if isinstance(value, str) else None


def is_prod_like(config: Mapping[str, Any], stack_tags: Mapping[str, str], tags: Mapping[str, str]) -> bool:
    """Prod-like if the profile says so (``prodLike``), or the stack config ``environment``, the stack tag
    ``environment`` or the resource's own ``environment`` tag is one of ``prodEnvironments``."""
    if config.get("prodLike") is True:
        return True
    prod = {str(env) for env in config.get("prodEnvironments", ["prod"])}
    key = conventions.ENVIRONMENT
    candidates = (stack_config(key), stack_tags.get(key), tags.get(key))
    return any(value in prod for value in candidates if value)
