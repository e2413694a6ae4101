"""kubernetes-pod-require-read-only-root-filesystem."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_require_read_only_root_filesystem import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, analyze, deployment, patched

PATH = "spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


@pytest.mark.parametrize("value", [False, DELETE])
def test_writable_root_violates(value: object) -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), PATH, value))
    assert result.has("containers[server] does not set readOnlyRootFilesystem: true")
