"""kubernetes-pod-require-non-root."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_require_non_root import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, UNKNOWN, analyze, deployment, patched

POD = "spec.template.spec"
C0 = f"{POD}.containers.0"


def test_compliant_deployment_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (f"{C0}.securityContext.runAsUser", 0, "containers[server] runs as root (runAsUser: 0)"),
        (f"{C0}.securityContext.runAsNonRoot", False, "containers[server] does not set runAsNonRoot: true"),
    ],
)
def test_container_overrides_violate(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), path, value))
    assert result.has(fragment), result.messages
    assert result.violations[0].level == "mandatory"


def test_pod_level_setting_is_inherited() -> None:
    props = patched(deployment(), f"{C0}.securityContext.runAsNonRoot", DELETE)
    assert analyze(POLICY, DEPLOYMENT, props).passed
    props = patched(props, f"{POD}.securityContext.runAsNonRoot", DELETE)
    assert analyze(POLICY, DEPLOYMENT, props).has("does not set runAsNonRoot: true")


def test_init_containers_are_checked() -> None:
    props = patched(
        deployment(), f"{POD}.initContainers", [{"name": "fetch", "image": "x", "securityContext": {"runAsUser": 0}}]
    )
    assert analyze(POLICY, DEPLOYMENT, props).has("initContainers[fetch] runs as root")


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (
            "kubernetes:batch/v1:CronJob",
            {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}}},
        ),
        ("kubernetes:core/v1:Pod", {"metadata": {"name": "debug"}, "spec": {"containers": [{"name": "c"}]}}),
        ("kubernetes:apps/v1:DaemonSet", {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}),
    ],
)
def test_every_workload_kind_is_checked(type_: str, props: dict) -> None:
    assert analyze(POLICY, type_, props).has("containers[c] does not set runAsNonRoot: true")


def test_missing_or_wrong_shaped_spec_does_not_crash() -> None:
    assert analyze(POLICY, DEPLOYMENT, {}).passed
    assert analyze(POLICY, DEPLOYMENT, {"spec": {"template": {"spec": {"containers": "server"}}}}).passed


def test_unknown_user_is_undecided_then_blocks_when_known() -> None:
    preview = analyze(POLICY, DEPLOYMENT, patched(deployment(), f"{C0}.securityContext.runAsUser", UNKNOWN))
    assert not preview.violations and len(preview.undecided) == 1
    update = analyze(POLICY, DEPLOYMENT, patched(deployment(), f"{C0}.securityContext.runAsUser", 0))
    assert [d.level for d in update.violations] == ["mandatory"]
