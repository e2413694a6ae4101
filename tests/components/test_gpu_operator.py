"""GPU Operator block: pinned chart, driver flag, DCGM exporter, own privileged namespace."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from components.gpu_operator import CHART_REPOSITORY, GpuOperator, GpuOperatorArgs
from preflight.engine import PlanResult, run_program

RELEASE = "kubernetes:helm.sh/v3:Release"
LABELS = {"data-classification": "phi", "residency-zone": "us-site-a"}


def _plan(*, install_driver: bool, dcgm_service_monitor: bool = False) -> PlanResult:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="placeholder", context="dc1")
        GpuOperator(
            "gpu",
            GpuOperatorArgs(
                provider=provider,
                chart_version="v25.3.0",
                install_driver=install_driver,
                namespace="gpu-operator",
                labels=LABELS,
                dcgm_service_monitor=dcgm_service_monitor,
            ),
        )

    return run_program(program, project="inference-platform", stack="test", config={})


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return _plan(install_driver=True)


def test_chart_is_pinned(plan: PlanResult) -> None:
    inputs = plan.one(RELEASE).inputs
    assert inputs["chart"] == "gpu-operator"
    assert inputs["version"] == "v25.3.0"
    assert inputs["repositoryOpts"]["repo"] == CHART_REPOSITORY


@pytest.mark.parametrize("install_driver", [True, False])
def test_driver_install_follows_the_flag(install_driver: bool) -> None:
    values = _plan(install_driver=install_driver).one(RELEASE).inputs["values"]
    assert values["driver"]["enabled"] is install_driver


def test_dcgm_exporter_and_toolkit_are_on(plan: PlanResult) -> None:
    values = plan.one(RELEASE).inputs["values"]
    assert values["dcgmExporter"]["enabled"] is True
    assert values["toolkit"]["enabled"] is True
    assert values["devicePlugin"]["enabled"] is True


def test_gpu_feature_discovery_labels_the_nodes(plan: PlanResult) -> None:
    # nvidia.com/gpu.present comes from NFD + GFD; workloads rely on it.
    values = plan.one(RELEASE).inputs["values"]
    assert values["nfd"]["enabled"] is True
    assert values["gfd"]["enabled"] is True


def test_service_monitor_follows_the_flag(plan: PlanResult) -> None:
    assert plan.one(RELEASE).inputs["values"]["dcgmExporter"]["serviceMonitor"]["enabled"] is False
    with_monitor = _plan(install_driver=True, dcgm_service_monitor=True).one(RELEASE).inputs["values"]
    assert with_monitor["dcgmExporter"]["serviceMonitor"]["enabled"] is True


def test_release_runs_in_its_own_namespace(plan: PlanResult) -> None:
    namespace = plan.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "gpu-operator"
    release = plan.one(RELEASE)
    assert release.inputs["namespace"] == "gpu-operator"
    assert release.inputs["createNamespace"] is False
    assert namespace.urn in release.dependencies


def test_namespace_carries_project_labels_and_privileged_psa(plan: PlanResult) -> None:
    labels = plan.one("kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels["data-classification"] == "phi"
    assert labels["residency-zone"] == "us-site-a"
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"


def test_children_use_the_explicit_provider(plan: PlanResult) -> None:
    provider = plan.one("pulumi:providers:kubernetes", "k8s")
    for token in (RELEASE, "kubernetes:core/v1:Namespace"):
        assert plan.one(token).provider_urn == provider.urn
