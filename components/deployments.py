"""Lookup table from deployment model to the module that builds it.

Each model module exposes ``build(config: StackConfig) -> Mapping[str, Any]``
(the outputs to export). Modules are imported only when their model is deployed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, cast

from .common import config_error
from .config import DeploymentModel, StackConfig

Builder = Callable[[StackConfig], Mapping[str, Any]]

MODEL_MODULES: dict[DeploymentModel, str] = {
    DeploymentModel.PUBLIC_CLOUD: "components.public_cloud",
    DeploymentModel.PRIVATE_CLOUD: "components.private_cloud",
    DeploymentModel.ONPREM: "components.onprem",
    DeploymentModel.HYBRID: "components.hybrid",
    DeploymentModel.EDGE: "components.edge_fleet",
}


def builder_for(model: DeploymentModel) -> Builder:
    module_name = MODEL_MODULES[model]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise config_error("deploymentModel", f"'{model}' is not implemented yet") from None
    return cast(Builder, module.build)


def deploy(config: StackConfig) -> Mapping[str, Any]:
    """Build the stack's deployment model; return the outputs to export."""
    return builder_for(config.deployment_model)(config)
