"""kubernetes-workload-restrict-data-placement (hybrid: PHI only on-prem)."""

from __future__ import annotations

import pytest
from guardrails.governance.kubernetes_workload_restrict_data_placement import POLICY

from tests.policies.harness import DEPLOYMENT, analyze, deployment, docker_container, patched

LABELS = "spec.template.metadata.labels"
SIDE = f"{LABELS}.inference.placement/side"


def _on(side: str, classification: str = "phi") -> dict:
    props = patched(deployment(), [*LABELS.split("."), "inference.placement/side"], side)
    return patched(props, [*LABELS.split("."), "data-classification"], classification)


def test_phi_on_prem_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, _on("onprem")).passed


def test_phi_in_the_cloud_violates() -> None:
    result = analyze(POLICY, DEPLOYMENT, _on("cloud"))
    assert result.has(
        "Deployment 'inference-stable' holds 'phi' data on side 'cloud'; placement allows only ['onprem']"
    )
    assert result.violations[0].level == "mandatory"


@pytest.mark.parametrize("props", [deployment(), _on("cloud", "internal")])
def test_unlabelled_or_unplaced_classes_are_not_applicable(props: dict) -> None:
    result = analyze(POLICY, DEPLOYMENT, props)
    assert not result.diagnostics and result.not_applicable


def test_namespace_and_docker_container_are_checked() -> None:
    namespace = {
        "metadata": {"name": "inference", "labels": {"data-classification": "cui", "inference.placement/side": "cloud"}}
    }
    assert analyze(POLICY, "kubernetes:core/v1:Namespace", namespace).has("holds 'cui' data on side 'cloud'")
    container = docker_container()
    container["labels"].append({"label": "inference.placement/side", "value": "edge"})
    assert analyze(POLICY, "docker:index/container:Container", container).has("side 'edge'")


def test_placement_table_is_configurable() -> None:
    assert analyze(POLICY, DEPLOYMENT, _on("cloud"), config={"placement": {"phi": ["cloud", "onprem"]}}).passed
