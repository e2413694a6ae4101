"""kubernetes-pod-disallow-host-path."""

from __future__ import annotations

from guardrails.workload.kubernetes_pod_disallow_host_path import POLICY

from tests.policies.harness import DEPLOYMENT, analyze, deployment, patched

VOLUMES = "spec.template.spec.volumes"
HOST_VOLUME = {"name": "plugins", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


def test_host_path_volume_violates() -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), f"{VOLUMES}.1", HOST_VOLUME))
    assert result.has("mounts hostPath volumes ['/var/lib/kubelet/device-plugins']")


def test_allowed_namespace_changes_the_verdict() -> None:
    props = patched(deployment(namespace="nvidia-device-plugin"), f"{VOLUMES}.1", HOST_VOLUME)
    assert analyze(POLICY, DEPLOYMENT, props).has("hostPath")
    assert analyze(POLICY, DEPLOYMENT, props, config={"allowedNamespaces": ["nvidia-device-plugin"]}).passed


def test_wrong_shaped_volumes_do_not_crash() -> None:
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), VOLUMES, "tmp")).passed
