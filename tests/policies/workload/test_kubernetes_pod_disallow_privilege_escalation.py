"""kubernetes-pod-disallow-privilege-escalation."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_disallow_privilege_escalation import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, analyze, deployment, patched

PATH = "spec.template.spec.containers.0.securityContext.allowPrivilegeEscalation"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


@pytest.mark.parametrize("value", [True, DELETE])
def test_escalation_allowed_or_defaulted_violates(value: object) -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), PATH, value))
    assert result.has("containers[server] does not set allowPrivilegeEscalation: false")
