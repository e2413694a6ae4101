"""kubernetes-service-require-internal-load-balancer."""

from __future__ import annotations

from guardrails.exposure.kubernetes_service_require_internal_load_balancer import POLICY

from tests.policies.harness import analyze

TYPE = "kubernetes:core/v1:Service"
SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"


def _lb(annotations: dict) -> dict:
    return {"metadata": {"name": "inference-lb", "annotations": annotations}, "spec": {"type": "LoadBalancer"}}


def test_internal_load_balancer_passes() -> None:
    assert analyze(POLICY, TYPE, _lb({SCHEME: "internal"})).passed


def test_internet_facing_load_balancer_violates() -> None:
    result = analyze(POLICY, TYPE, _lb({SCHEME: "internet-facing"}))
    assert result.has("Service 'inference-lb' is a LoadBalancer without an internal annotation")
    assert result.violations[0].level == "mandatory"


def test_missing_annotations_violate_without_crashing() -> None:
    assert analyze(POLICY, TYPE, {"spec": {"type": "LoadBalancer"}}).has("without an internal annotation")


def test_other_service_types_are_ignored() -> None:
    assert analyze(POLICY, TYPE, {"spec": {"type": "ClusterIP"}}).passed


def test_internal_annotations_are_configurable() -> None:
    custom = {"internalAnnotations": {"example.com/internal": "yes"}}
    assert analyze(POLICY, TYPE, _lb({"example.com/internal": "yes"}), config=custom).passed
    assert analyze(POLICY, TYPE, _lb({SCHEME: "internal"}), config=custom).has("without an internal annotation")
