"""Lookup table from deployment model to the component that builds it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from .config import ConfigError, DeploymentModel, StackConfig

Builder = Callable[[StackConfig], Mapping[str, Any]]


def _builders() -> dict[DeploymentModel, Builder]:
    # Imported here so a model's module is loaded only when it is deployed.
    from . import public_cloud

    return {
        DeploymentModel.PUBLIC_CLOUD: public_cloud.build,
    }


def deploy(config: StackConfig) -> Mapping[str, Any]:
    """Build the stack's deployment model; return the outputs to export."""
    builder = _builders().get(config.deployment_model)
    if builder is None:
        raise ConfigError(
            f"invalid stack config:\n  - {pulumi.get_project()}:deploymentModel: "
            f"'{config.deployment_model}' is not implemented yet"
        )
    return builder(config)
