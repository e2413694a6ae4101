"""kubernetes-pod-disallow-host-namespaces."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_disallow_host_namespaces import POLICY

from tests.policies.harness import DEPLOYMENT, UNKNOWN, analyze, deployment, patched

POD = "spec.template.spec"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (f"{POD}.hostNetwork", True, "hostNetwork"),
        (f"{POD}.hostPID", True, "hostPID"),
        (f"{POD}.hostIPC", True, "hostIPC"),
        (f"{POD}.containers.0.ports.0.hostPort", 8000, "containers[server] hostPort 8000"),
    ],
)
def test_host_access_violates(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), path, value))
    assert result.has(fragment), result.messages


def test_gpu_operator_namespace_is_allowed_by_default() -> None:
    props = patched(deployment(namespace="gpu-operator"), f"{POD}.hostPID", True)
    assert analyze(POLICY, DEPLOYMENT, props).passed
    assert analyze(POLICY, DEPLOYMENT, props, config={"allowedNamespaces": []}).has("hostPID")


def test_computed_namespace_is_not_read_without_host_access() -> None:
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), "metadata.namespace", UNKNOWN)).passed
    props = patched(patched(deployment(), "metadata.namespace", UNKNOWN), f"{POD}.hostNetwork", True)
    assert len(analyze(POLICY, DEPLOYMENT, props).undecided) == 1
