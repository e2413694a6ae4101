"""docker-container-require-dropped-capabilities."""

from __future__ import annotations

from guardrails.workload.docker_container_require_dropped_capabilities import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


def test_dropping_all_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


def test_not_dropping_all_violates() -> None:
    props = {**docker_container(), "capabilities": {"drops": ["NET_RAW"]}}
    assert analyze(POLICY, TYPE, props).has("does not drop ALL capabilities")


def test_missing_capabilities_violate() -> None:
    assert analyze(POLICY, TYPE, {"name": "x"}).has("does not drop ALL capabilities")


def test_added_capabilities_need_the_allow_list() -> None:
    props = {**docker_container(), "capabilities": {"drops": ["ALL"], "adds": ["SYS_ADMIN"]}}
    assert analyze(POLICY, TYPE, props).has("adds capabilities ['SYS_ADMIN']")
    assert analyze(POLICY, TYPE, props, config={"allowedCapabilities": ["SYS_ADMIN"]}).passed
