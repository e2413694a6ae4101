"""docker-container-require-resource-limits."""

from __future__ import annotations

from guardrails.workload.docker_container_require_resource_limits import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


def test_limited_container_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


def test_cpu_quota_counts_as_cpu_limit() -> None:
    props = {**docker_container(), "cpuQuota": 200000, "cpuPeriod": 100000}
    del props["cpus"]
    assert analyze(POLICY, TYPE, props).passed


def test_unlimited_container_reports_both() -> None:
    result = analyze(POLICY, TYPE, {"name": "x"})
    assert result.has("container 'x' has no memory limit")
    assert result.has("container 'x' has no CPU limit")
