"""kubernetes-pod-require-resource-limits."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_require_resource_limits import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, analyze, deployment, patched

RES = "spec.template.spec.containers.0.resources"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        (f"{RES}.limits.cpu", "does not set resources limits.cpu"),
        (f"{RES}.requests.memory", "does not set resources requests.memory"),
        (RES, "does not set resources requests.cpu, requests.memory, limits.cpu, limits.memory"),
    ],
)
def test_missing_resources_violate(path: str, fragment: str) -> None:
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), path, DELETE)).has(fragment)


def test_gpu_limit_must_equal_request() -> None:
    props = patched(deployment(), [*RES.split("."), "limits", "nvidia.com/gpu"], "2")
    assert analyze(POLICY, DEPLOYMENT, props).has("requests 1 nvidia.com/gpu but limits 2")


def test_gpu_quantities_compare_as_numbers() -> None:
    props = patched(deployment(), [*RES.split("."), "limits", "nvidia.com/gpu"], 1)
    assert analyze(POLICY, DEPLOYMENT, props).passed


def test_ephemeral_containers_are_exempt() -> None:
    props = patched(deployment(), "spec.template.spec.ephemeralContainers", [{"name": "debug", "image": "busybox"}])
    assert analyze(POLICY, DEPLOYMENT, props).passed
