"""docker-container-disallow-privileged."""

from __future__ import annotations

from guardrails.workload.docker_container_disallow_privileged import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


def test_hardened_container_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


def test_privileged_container_violates() -> None:
    result = analyze(POLICY, TYPE, {**docker_container(), "privileged": True})
    assert result.has("container 'edge01-inference' is privileged")
    assert result.violations[0].level == "mandatory"


def test_missing_flag_is_not_privileged() -> None:
    assert analyze(POLICY, TYPE, {"name": "x"}).passed
