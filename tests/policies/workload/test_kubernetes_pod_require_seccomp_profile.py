"""kubernetes-pod-require-seccomp-profile."""

from __future__ import annotations

from guardrails.workload.kubernetes_pod_require_seccomp_profile import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, analyze, deployment, patched

POD = "spec.template.spec"
C0 = f"{POD}.containers.0"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


def test_unconfined_container_violates() -> None:
    props = patched(deployment(), f"{C0}.securityContext.seccompProfile.type", "Unconfined")
    assert analyze(POLICY, DEPLOYMENT, props).has("has seccompProfile.type 'Unconfined'")


def test_pod_level_profile_is_inherited_and_required_somewhere() -> None:
    props = patched(deployment(), f"{C0}.securityContext.seccompProfile", DELETE)
    assert analyze(POLICY, DEPLOYMENT, props).passed
    props = patched(props, f"{POD}.securityContext.seccompProfile", DELETE)
    assert analyze(POLICY, DEPLOYMENT, props).has("has no seccompProfile")
