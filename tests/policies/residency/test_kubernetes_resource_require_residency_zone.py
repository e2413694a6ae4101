"""kubernetes-resource-require-residency-zone."""

from __future__ import annotations

import pytest
from guardrails.residency.kubernetes_resource_require_residency_zone import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, STACK_LABELS, UNKNOWN, analyze, deployment, patched

NAMESPACE = "kubernetes:core/v1:Namespace"
NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "inference", "labels": dict(STACK_LABELS)}}


@pytest.mark.parametrize(("type_", "props"), [(NAMESPACE, NS), (DEPLOYMENT, deployment())])
def test_compliant_resources_pass(type_: str, props: dict) -> None:
    assert analyze(POLICY, type_, props).passed


@pytest.mark.parametrize(
    ("type_", "props", "fragment"),
    [
        (NAMESPACE, patched(NS, "metadata.labels.residency-zone", "eu"), "residency-zone='eu'"),
        (NAMESPACE, patched(NS, "metadata.labels.residency-zone", DELETE), "has no 'residency-zone' label"),
        (
            DEPLOYMENT,
            patched(deployment(), "spec.template.metadata.labels.residency-zone", "eu"),
            "Deployment 'inference-stable' pod template has residency-zone='eu'",
        ),
    ],
)
def test_zone_outside_or_missing_violates(type_: str, props: dict, fragment: str) -> None:
    result = analyze(POLICY, type_, props)
    assert result.has(fragment), result.messages
    assert all(d.level == "mandatory" for d in result.violations)


def test_missing_metadata_does_not_crash() -> None:
    assert analyze(POLICY, NAMESPACE, {}).has("has no 'residency-zone' label")
    assert analyze(POLICY, DEPLOYMENT, {"spec": "not-a-mapping"}).has("has no 'residency-zone' label")


def test_zone_patterns_in_config_change_the_verdict() -> None:
    site = patched(NS, "metadata.labels.residency-zone", "us-site-a")
    assert analyze(POLICY, NAMESPACE, site).has("us-site-a")
    assert analyze(POLICY, NAMESPACE, site, config={"allowedZones": ["us", "us-site-*"]}).passed


def test_unknown_label_value_is_undecided() -> None:
    result = analyze(POLICY, NAMESPACE, patched(NS, "metadata.labels.residency-zone", UNKNOWN))
    assert not result.violations
    assert len(result.undecided) == 1
