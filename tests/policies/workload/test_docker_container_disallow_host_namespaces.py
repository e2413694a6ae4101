"""docker-container-disallow-host-namespaces."""

from __future__ import annotations

import pytest
from guardrails.workload.docker_container_disallow_host_namespaces import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


def test_bridge_networked_container_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


@pytest.mark.parametrize("mode", ["networkMode", "pidMode", "ipcMode", "usernsMode"])
def test_host_modes_violate(mode: str) -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), mode: "host"}).has(f"{mode}=host")


def test_other_network_modes_pass() -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), "networkMode": "bridge"}).passed
