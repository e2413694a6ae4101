"""docker-container-require-labels."""

from __future__ import annotations

from guardrails.governance.docker_container_require_labels import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


def test_labelled_container_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


def test_missing_labels_violate() -> None:
    assert analyze(POLICY, TYPE, {"name": "x"}).has(
        "container 'x' lacks labels ['data-classification', 'owner', 'compliance-profile']"
    )


def test_allowed_values_are_configurable() -> None:
    config = {"allowedValues": {"data-classification": ["internal"]}}
    assert analyze(POLICY, TYPE, docker_container(), config=config).has("data-classification='phi'")
