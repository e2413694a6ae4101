"""kubernetes-pod-require-dropped-capabilities."""

from __future__ import annotations

from guardrails.workload.kubernetes_pod_require_dropped_capabilities import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, analyze, deployment, patched

CAPS = "spec.template.spec.containers.0.securityContext.capabilities"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


def test_not_dropping_all_violates() -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), f"{CAPS}.drop", ["NET_RAW"]))
    assert result.has("containers[server] does not drop ALL capabilities")


def test_missing_capabilities_violates() -> None:
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), CAPS, DELETE)).has("does not drop ALL capabilities")


def test_added_capability_needs_the_allow_list() -> None:
    props = patched(deployment(), f"{CAPS}.add", ["NET_BIND_SERVICE"])
    assert analyze(POLICY, DEPLOYMENT, props).has("adds capabilities ['NET_BIND_SERVICE']")
    assert analyze(POLICY, DEPLOYMENT, props, config={"allowedCapabilities": ["CAP_NET_BIND_SERVICE"]}).passed
