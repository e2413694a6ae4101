"""kubernetes-pod-disallow-privileged."""

from __future__ import annotations

from guardrails.workload.kubernetes_pod_disallow_privileged import POLICY

from tests.policies.harness import DEPLOYMENT, analyze, deployment, patched

C0 = "spec.template.spec.containers.0"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


def test_privileged_container_violates() -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), f"{C0}.securityContext.privileged", True))
    assert result.has("Deployment 'inference-stable' containers[server] is privileged.")
    assert result.violations[0].level == "mandatory"


def test_advisory_profile_reports_advisory() -> None:
    props = patched(deployment(), f"{C0}.securityContext.privileged", True)
    assert [d.level for d in analyze(POLICY, DEPLOYMENT, props, level="advisory").violations] == ["advisory"]


def test_missing_security_context_is_not_privileged() -> None:
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), f"{C0}.securityContext", None)).passed
