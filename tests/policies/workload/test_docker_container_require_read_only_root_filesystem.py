"""docker-container-require-read-only-root-filesystem."""

from __future__ import annotations

from guardrails.workload.docker_container_require_read_only_root_filesystem import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


def test_read_only_container_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


def test_writable_container_violates() -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), "readOnly": False}).has("does not set readOnly: true")


def test_missing_flag_violates() -> None:
    assert analyze(POLICY, TYPE, {"name": "x"}).has("container 'x' does not set readOnly: true")
