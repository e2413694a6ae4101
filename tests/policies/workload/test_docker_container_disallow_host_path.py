"""docker-container-disallow-host-path."""

from __future__ import annotations

from guardrails.workload.docker_container_disallow_host_path import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"
CACHE = {"volumes": [{"hostPath": "/var/lib/inference/models", "containerPath": "/models", "readOnly": True}]}


def test_container_without_bind_mounts_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


def test_host_volume_violates() -> None:
    result = analyze(POLICY, TYPE, {**docker_container(), **CACHE})
    assert result.has("bind-mounts host paths ['/var/lib/inference/models']")


def test_bind_mount_violates_named_volume_passes() -> None:
    mounts = [
        {"type": "bind", "source": "/etc", "target": "/host-etc"},
        {"type": "volume", "source": "cache", "target": "/c"},
    ]
    assert analyze(POLICY, TYPE, {**docker_container(), "mounts": mounts}).has("['/etc']")


def test_allowed_prefix_changes_the_verdict() -> None:
    config = {"allowedHostPaths": ["/var/lib/inference"]}
    assert analyze(POLICY, TYPE, {**docker_container(), **CACHE}, config=config).passed
    sibling = {"volumes": [{"hostPath": "/var/lib/inference-other"}]}
    assert analyze(POLICY, TYPE, {**docker_container(), **sibling}, config=config).has("inference-other")
