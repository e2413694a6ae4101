"""DCGM exporter: a pinned Helm release on the GPU nodes only, scraped the way monitoring.scrape says."""

from __future__ import annotations

import pytest
from component_harness import plan_block

from components.dcgm_exporter import CHART_REPOSITORY, CHART_VERSION, DcgmExporter, DcgmExporterArgs
from preflight.engine import PlanResult

RELEASE = "kubernetes:helm.sh/v3:Release"
MIRROR = "111122223333.dkr.ecr.us-gov-west-1.amazonaws.com/mirror/nvidia/k8s/dcgm-exporter"
DIGEST = "sha256:" + "a" * 64


def _plan(args: DcgmExporterArgs) -> PlanResult:
    return plan_block(lambda: DcgmExporter("dcgm", args))


@pytest.fixture(scope="module")
def operator_mode() -> PlanResult:
    return _plan(
        DcgmExporterArgs(
            accelerators=["nvidia", "nvidia-bottlerocket"],
            service_monitor=True,
            prometheus_labels={"release": "kube-prometheus-stack"},
        )
    )


@pytest.fixture(scope="module")
def annotations_mode() -> PlanResult:
    return _plan(DcgmExporterArgs(accelerators=["nvidia"], service_monitor=False, image=f"{MIRROR}@{DIGEST}"))


def test_chart_is_pinned_from_nvidias_repository(operator_mode: PlanResult) -> None:
    release = operator_mode.one(RELEASE).inputs
    assert (release["chart"], release["version"]) == ("dcgm-exporter", CHART_VERSION)
    assert release["repositoryOpts"] == {"repo": CHART_REPOSITORY}
    assert release["namespace"] == "kube-system"


def test_exporter_tolerates_the_gpu_taint(operator_mode: PlanResult) -> None:
    tolerations = operator_mode.one(RELEASE).inputs["values"]["tolerations"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in tolerations


def test_exporter_runs_only_on_the_gpu_pools_nodes(operator_mode: PlanResult) -> None:
    affinity = operator_mode.one(RELEASE).inputs["values"]["affinity"]["nodeAffinity"]
    (term,) = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [
        {"key": "inference.gpu/accelerator", "operator": "In", "values": ["nvidia", "nvidia-bottlerocket"]}
    ]


def test_operator_mode_enables_the_charts_service_monitor_with_the_selector_labels(operator_mode: PlanResult) -> None:
    values = operator_mode.one(RELEASE).inputs["values"]
    assert values["serviceMonitor"]["enabled"] is True
    assert values["serviceMonitor"]["additionalLabels"] == {"release": "kube-prometheus-stack"}
    assert values["service"]["annotations"] == {}


def test_annotations_mode_turns_the_service_monitor_off_and_annotates_the_service(annotations_mode: PlanResult) -> None:
    values = annotations_mode.one(RELEASE).inputs["values"]
    assert values["serviceMonitor"]["enabled"] is False
    assert values["service"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9400",
        "prometheus.io/path": "/metrics",
    }


def test_a_mirrored_image_is_pulled_by_digest(annotations_mode: PlanResult) -> None:
    image = annotations_mode.one(RELEASE).inputs["values"]["image"]
    assert image == {"repository": MIRROR, "tag": f"4.4.2-4.7.1-ubuntu22.04@{DIGEST}"}


def test_without_a_mirror_the_charts_pinned_image_is_used(operator_mode: PlanResult) -> None:
    assert "image" not in operator_mode.one(RELEASE).inputs["values"]


def test_an_image_without_a_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="pinned by digest"):
        DcgmExporterArgs(accelerators=["nvidia"], service_monitor=True, image=f"{MIRROR}:4.4.2")


def test_an_empty_accelerator_list_is_refused() -> None:
    with pytest.raises(ValueError, match="accelerators"):
        DcgmExporterArgs(accelerators=[], service_monitor=True)
