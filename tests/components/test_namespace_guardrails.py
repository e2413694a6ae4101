"""Namespace guardrails: quota sized for the autoscaling peak, container limits, model-cache storage."""

from __future__ import annotations

from typing import cast

import pulumi_kubernetes as k8s
import pytest

from components.namespace_guardrails import NamespaceGuardrails, NamespaceGuardrailsArgs, at_most, scale
from preflight.engine import PlanResult, run_program

QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"


def _args(provider: k8s.Provider, **overrides: object) -> NamespaceGuardrailsArgs:
    values: dict[str, object] = {
        "provider": provider,
        "namespace": "inference",
        "labels": {"data-classification": "phi"},
        "pod_slots": 5,
        "cpu_request": "2",
        "cpu_limit": "4",
        "memory_request": "16Gi",
        "memory_limit": "16Gi",
        "gpus_per_pod": 1,
        "storage_class": "ceph-rbd",
        "model_cache_size": "500Gi",
    }
    values.update(overrides)
    return NamespaceGuardrailsArgs(**values)  # type: ignore[arg-type]


def _plan(**overrides: object) -> PlanResult:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="placeholder", context="dc1")
        NamespaceGuardrails("guard", _args(provider, **overrides))

    return run_program(program, project="inference-platform", stack="test", config={})


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return _plan()


def _hard(plan: PlanResult) -> dict[str, str]:
    return plan.one(QUOTA).inputs["spec"]["hard"]


def test_quota_covers_every_pod_slot_at_full_size(plan: PlanResult) -> None:
    hard = _hard(plan)
    assert hard["pods"] == "5"
    assert hard["requests.cpu"] == "10"
    assert hard["limits.cpu"] == "20"
    assert hard["requests.memory"] == "80Gi"
    assert hard["limits.memory"] == "80Gi"


def test_quota_caps_gpus(plan: PlanResult) -> None:
    assert _hard(plan)["requests.nvidia.com/gpu"] == "5"


def test_quota_forbids_load_balancers_and_node_ports(plan: PlanResult) -> None:
    hard = _hard(plan)
    assert hard["services.loadbalancers"] == "0"
    assert hard["services.nodeports"] == "0"


def test_model_cache_storage_is_capped_per_storage_class(plan: PlanResult) -> None:
    hard = _hard(plan)
    assert hard["ceph-rbd.storageclass.storage.k8s.io/requests.storage"] == "2500Gi"
    assert hard["persistentvolumeclaims"] == "5"


def test_no_cache_means_no_volume_claims() -> None:
    hard = _hard(_plan(storage_class=None, model_cache_size=None))
    assert hard["persistentvolumeclaims"] == "0"
    assert not any("storage" in key for key in hard)


def test_objects_live_in_the_inference_namespace(plan: PlanResult) -> None:
    for token in (QUOTA, LIMITS):
        assert plan.one(token).inputs["metadata"]["namespace"] == "inference"


def test_container_limits_cap_at_the_serving_container(plan: PlanResult) -> None:
    container = next(item for item in plan.one(LIMITS).inputs["spec"]["limits"] if item["type"] == "Container")
    assert container["max"] == {"cpu": "4", "memory": "16Gi"}
    assert container["default"] == {"cpu": "500m", "memory": "512Mi"}
    assert container["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}


def test_default_limits_never_exceed_the_maximum() -> None:
    limits = _plan(cpu_request="250m", cpu_limit="250m", memory_request="256Mi", memory_limit="256Mi")
    container = next(item for item in limits.one(LIMITS).inputs["spec"]["limits"] if item["type"] == "Container")
    assert container["default"] == {"cpu": "250m", "memory": "256Mi"}
    assert container["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}


def test_volume_claims_are_capped_at_the_cache_size(plan: PlanResult) -> None:
    claim = next(item for item in plan.one(LIMITS).inputs["spec"]["limits"] if item["type"] == "PersistentVolumeClaim")
    assert claim["max"] == {"storage": "500Gi"}


def test_children_use_the_explicit_provider(plan: PlanResult) -> None:
    provider = plan.one("pulumi:providers:kubernetes", "k8s")
    assert plan.one(QUOTA).provider_urn == provider.urn
    assert plan.one(LIMITS).provider_urn == provider.urn


@pytest.mark.parametrize(
    ("quantity", "factor", "expected"),
    [("16Gi", 3, "48Gi"), ("500m", 4, "2000m"), ("0.5", 3, "1.5"), ("2", 5, "10")],
)
def test_scale_keeps_the_unit(quantity: str, factor: int, expected: str) -> None:
    assert scale(quantity, factor) == expected


def test_at_most_compares_across_units() -> None:
    assert at_most("512Mi", "1Gi") == "512Mi"
    assert at_most("1Gi", "512Mi") == "512Mi"
    assert at_most("100m", "0.05") == "0.05"


def test_half_configured_cache_is_rejected() -> None:
    with pytest.raises(ValueError, match="storage_class and model_cache_size"):
        # The check runs before any resource exists, so no provider is needed.
        _args(cast(k8s.Provider, None), model_cache_size=None)


def test_scale_rejects_a_non_quantity() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        scale("lots", 2)
