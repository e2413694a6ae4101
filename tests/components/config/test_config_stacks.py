"""Every example stack file validates through the same loader `pulumi up` uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.runtime.config import set_all_config

from components.config import DeploymentModel, StackConfig, validate
from components.config.loader import raw_config
from preflight.stackfile import list_stacks, load_stack

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "inference-platform"


@pytest.fixture
def runtime_config() -> Iterator[None]:
    yield
    set_all_config({})  # the SDK's config is process-global


def _load(stack: str) -> StackConfig:
    stack_file = load_stack(ROOT, stack)
    set_all_config(stack_file.config, list(stack_file.secret_keys))
    return validate(raw_config(PROJECT), PROJECT)


@pytest.mark.parametrize("stack", list_stacks(ROOT))
def test_example_stack_validates(stack: str, runtime_config: None) -> None:
    assert isinstance(_load(stack), StackConfig)


def test_dev_is_public_cloud_baseline_with_a_spot_pool_from_zero(runtime_config: None) -> None:
    config = _load("dev")
    assert config.deployment_model is DeploymentModel.PUBLIC_CLOUD
    assert str(config.compliance.profile) == "baseline"
    assert config.region == "us-east-1"
    pool = config.gpu_node_pools[0]
    assert (str(pool.capacity_type), pool.min_size) == ("SPOT", 0)


def test_prod_is_hipaa_phi_on_demand_across_zones_with_three_replicas(runtime_config: None) -> None:
    config = _load("prod")
    assert (str(config.compliance.profile), str(config.compliance.data_classification)) == ("hipaa", "phi")
    assert config.region is not None and config.region.startswith("us-")
    pool = config.gpu_node_pools[0]
    assert str(pool.capacity_type) == "ON_DEMAND"
    assert pool.min_size >= 2
    assert config.network.az_count >= 2
    assert config.inference.replicas == 3
    assert config.prod_like


def test_shortest_valid_config_is_secure_by_default() -> None:
    config = validate(
        {
            "deploymentModel": "public-cloud",
            "environment": "dev",
            "region": "us-east-1",
            "allowedRegions": ["us-east-1"],
            "compliance": {"owner": "me", "profile": "baseline"},
            "gpuNodePools": [
                {"name": "gpu", "instanceTypes": ["g5.xlarge"], "minSize": 0, "desiredSize": 0, "maxSize": 1}
            ],
            "inference": {
                "model": {"name": "m", "version": "1"},
                "image": {"reference": "r.example/m@sha256:" + "c" * 64},
            },
        },
        PROJECT,
    )
    assert config.cluster.endpoint_public_access is False
    assert str(config.exposure.mode) == "internal"
    assert config.network.flow_log_retention_days == 365
