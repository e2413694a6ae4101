"""docker-container-restrict-port-binding."""

from __future__ import annotations

import pytest
from guardrails.exposure.docker_container_restrict_port_binding import POLICY

from tests.policies.harness import DELETE, analyze, docker_container, patched

TYPE = "docker:index/container:Container"


def test_port_bound_to_serving_address_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


@pytest.mark.parametrize("value", [DELETE, "0.0.0.0", "::"])
def test_port_on_all_interfaces_violates(value: object) -> None:
    result = analyze(POLICY, TYPE, patched(docker_container(), "ports.0.ip", value))
    assert result.has("publishes port 8000 on all host interfaces")


def test_publish_all_ports_violates() -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), "publishAllPorts": True}).has("publishes all exposed ports")


def test_container_without_ports_passes() -> None:
    assert analyze(POLICY, TYPE, {"name": "batch"}).passed
