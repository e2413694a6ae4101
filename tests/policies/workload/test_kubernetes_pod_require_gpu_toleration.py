"""kubernetes-pod-require-gpu-toleration."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_require_gpu_toleration import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, analyze, deployment, patched

TOLERATIONS = "spec.template.spec.tolerations"


def test_gpu_workload_with_toleration_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


@pytest.mark.parametrize(
    "tolerations",
    [
        DELETE,
        [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "false", "effect": "NoSchedule"}],
        [{"key": "other"}],
    ],
)
def test_gpu_workload_without_matching_toleration_violates(tolerations: object) -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), TOLERATIONS, tolerations))
    assert result.has("requests GPUs but does not tolerate nvidia.com/gpu=true:NoSchedule")


def test_exists_operator_tolerates() -> None:
    props = patched(deployment(), TOLERATIONS, [{"key": "nvidia.com/gpu", "operator": "Exists"}])
    assert analyze(POLICY, DEPLOYMENT, props).passed


def test_cpu_only_workload_is_not_applicable() -> None:
    result = analyze(POLICY, DEPLOYMENT, deployment(gpus=0))
    assert not result.diagnostics and result.not_applicable


def test_taint_is_configurable() -> None:
    config = {"taintKey": "gpu", "taintValue": "present", "taintEffect": "NoExecute"}
    assert analyze(POLICY, DEPLOYMENT, deployment(), config=config).has("does not tolerate gpu=present:NoExecute")
