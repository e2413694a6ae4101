"""GPU device plugin: a pinned Helm release that runs only on (and tolerates) the GPU nodes needing it."""

from __future__ import annotations

import pytest
from component_harness import plan_block

from components.device_plugin import CHART_REPOSITORY, DevicePlugin, DevicePluginArgs
from preflight.engine import PlanResult

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_block(lambda: DevicePlugin("gpu", DevicePluginArgs(chart_version="0.17.1", accelerators=["nvidia"])))


def test_chart_is_pinned_from_the_nvidia_repository(plan: PlanResult) -> None:
    release = plan.one(RELEASE).inputs
    assert release["chart"] == "nvidia-device-plugin"
    assert release["version"] == "0.17.1"
    assert release["repositoryOpts"] == {"repo": CHART_REPOSITORY}
    assert release["namespace"] == "kube-system"


def test_plugin_tolerates_the_gpu_taint(plan: PlanResult) -> None:
    tolerations = plan.one(RELEASE).inputs["values"]["tolerations"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in tolerations


def test_plugin_runs_only_on_nodes_of_the_listed_accelerators(plan: PlanResult) -> None:
    affinity = plan.one(RELEASE).inputs["values"]["affinity"]["nodeAffinity"]
    terms = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [
        {"matchExpressions": [{"key": "inference.gpu/accelerator", "operator": "In", "values": ["nvidia"]}]}
    ]


def test_no_driver_or_feature_discovery_is_deployed(plan: PlanResult) -> None:
    values = plan.one(RELEASE).inputs["values"]
    assert values["gfd"] == {"enabled": False}
    assert values["nfd"] == {"enabled": False}


def test_an_empty_accelerator_list_is_refused() -> None:
    with pytest.raises(ValueError, match="accelerators"):
        DevicePluginArgs(chart_version="0.17.1", accelerators=[])
