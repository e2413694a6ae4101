"""kubernetes-resource-require-labels."""

from __future__ import annotations

from guardrails.governance.kubernetes_resource_require_labels import POLICY

from tests.policies.harness import DELETE, DEPLOYMENT, STACK_LABELS, analyze, deployment, patched

NAMESPACE = "kubernetes:core/v1:Namespace"


def test_labelled_namespace_and_pod_template_pass() -> None:
    assert analyze(POLICY, NAMESPACE, {"metadata": {"name": "inference", "labels": STACK_LABELS}}).passed
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


def test_pod_template_missing_owner_violates() -> None:
    props = patched(deployment(), "spec.template.metadata.labels.owner", DELETE)
    assert analyze(POLICY, DEPLOYMENT, props).has("Deployment 'inference-stable' pod template lacks labels ['owner']")


def test_namespace_without_labels_violates() -> None:
    assert analyze(POLICY, NAMESPACE, {"metadata": {"name": "tools"}}).has("Namespace 'tools' lacks labels")


def test_classification_value_must_be_allowed() -> None:
    props = patched(deployment(), "spec.template.metadata.labels.data-classification", "top-secret")
    assert analyze(POLICY, DEPLOYMENT, props).has("data-classification='top-secret'")


def test_workload_without_template_is_ignored() -> None:
    assert analyze(POLICY, DEPLOYMENT, {"spec": {}}).passed
