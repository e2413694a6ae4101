"""aws-eks-node-group-require-gpu-taint."""

from __future__ import annotations

import pytest
from guardrails.workload.aws_eks_node_group_require_gpu_taint import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

TYPE = "aws:eks/nodeGroup:NodeGroup"
GPU_POOL = {
    "clusterName": UNKNOWN,
    "amiType": "AL2023_x86_64_NVIDIA",
    "instanceTypes": ["g5.2xlarge"],
    "labels": {"inference.gpu/pool": "gpu-a10g"},
    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
    "scalingConfig": {"minSize": 3, "desiredSize": 3, "maxSize": 6},
}


def test_tainted_gpu_pool_passes() -> None:
    assert analyze(POLICY, TYPE, GPU_POOL).passed


@pytest.mark.parametrize(
    "taints",
    [DELETE, [], [{"key": "nvidia.com/gpu", "value": "true", "effect": "PREFER_NO_SCHEDULE"}]],
)
def test_gpu_pool_without_taint_violates(taints: object) -> None:
    result = analyze(POLICY, TYPE, patched(GPU_POOL, "taints", taints))
    assert result.has("GPU node group 'res' is not tainted nvidia.com/gpu=true:NO_SCHEDULE")


@pytest.mark.parametrize(
    "pool",
    [
        {"amiType": "CUSTOM", "instanceTypes": ["p5.48xlarge"]},
        {"amiType": "AL2_x86_64", "labels": {"inference.gpu/pool": "x"}},
        {"amiType": "BOTTLEROCKET_x86_64_NVIDIA"},
    ],
)
def test_gpu_pools_are_recognised(pool: dict) -> None:
    assert analyze(POLICY, TYPE, pool).has("is not tainted")


def test_system_pool_is_not_applicable() -> None:
    result = analyze(POLICY, TYPE, {"amiType": "AL2023_x86_64_STANDARD", "instanceTypes": ["m6i.large"]})
    assert not result.diagnostics and result.not_applicable


def test_taint_is_configurable() -> None:
    assert analyze(POLICY, TYPE, GPU_POOL, config={"taintValue": "present"}).has("nvidia.com/gpu=present")
