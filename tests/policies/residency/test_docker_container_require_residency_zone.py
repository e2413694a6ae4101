"""docker-container-require-residency-zone."""

from __future__ import annotations

from guardrails.residency.docker_container_require_residency_zone import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"
SITES = {"allowedZones": ["us", "us-site-*"]}


def _with_zone(zone: str | None) -> dict:
    props = docker_container()
    props["labels"] = [item for item in props["labels"] if item["label"] != "residency-zone"]
    if zone is not None:
        props["labels"].append({"label": "residency-zone", "value": zone})
    return props


def test_site_zone_allowed_by_pattern_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container(), config=SITES).passed


def test_zone_outside_allowed_violates() -> None:
    result = analyze(POLICY, TYPE, _with_zone("eu-site-x"), config=SITES)
    assert result.has("Container 'edge01-inference' has residency-zone='eu-site-x'")


def test_missing_zone_label_violates() -> None:
    assert analyze(POLICY, TYPE, _with_zone(None), config=SITES).has("has no 'residency-zone' label")


def test_wrong_shaped_labels_do_not_crash() -> None:
    assert analyze(POLICY, TYPE, {"labels": {"residency-zone": "us"}}).has("has no 'residency-zone' label")


def test_default_zones_reject_a_site_zone() -> None:
    assert analyze(POLICY, TYPE, docker_container()).has("us-site-a")
