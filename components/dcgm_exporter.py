"""NVIDIA DCGM exporter as a pinned Helm release on the GPU nodes of the clusters we build (EKS).

On-prem clusters do not need this block: the GPU Operator (:mod:`components.gpu_operator`) already
runs its own DCGM exporter. Here the exporter runs only where the device plugin runs (the GPU pools'
accelerator label, the GPU taint tolerated) and publishes ``DCGM_FI_DEV_GPU_UTIL`` and
``DCGM_FI_DEV_FB_USED``/``FB_FREE``, which :mod:`components.monitoring` alerts on.

Scraping follows ``monitoring.scrape``: the chart's own ServiceMonitor (Prometheus Operator), or
``prometheus.io/*`` annotations on its Service. The chart enables its ServiceMonitor by default,
which fails to install without the operator's CRDs, so the choice is always explicit here.

The security context is the chart's: the exporter runs as root with ``SYS_ADMIN`` because DCGM's
profiling counters need it; it is a node agent in ``kube-system``, like the device plugin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .common import child_options, helm_release
from .config import parse_image
from .device_plugin import device_plugin_values

RESOURCE_TYPE = "inference:dcgm_exporter:DcgmExporter"

CHART = "dcgm-exporter"
CHART_REPOSITORY = "https://nvidia.github.io/dcgm-exporter/helm-charts"
# Chart 4.7.1 runs exporter 4.7.1 on DCGM 4.4.2; the chart renders the image tag below unless overridden.
CHART_VERSION = "4.7.1"
IMAGE_TAG = "4.4.2-4.7.1-ubuntu22.04"
PORT = 9400


@dataclass(frozen=True)
class DcgmExporterArgs:
    accelerators: Sequence[str]
    """Values of the accelerator node label of the GPU pools (the exporter runs on those nodes only)."""
    service_monitor: bool
    """Scrape through the chart's ServiceMonitor (Prometheus Operator); False: ``prometheus.io`` annotations."""
    prometheus_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels the Prometheus Operator selects ServiceMonitors by."""
    image: str | None = None
    """Exporter image pinned by digest (e.g. mirrored into the region's ECR); None: the chart's pinned tag."""
    chart_version: str = CHART_VERSION
    namespace: str = "kube-system"
    repository: str = CHART_REPOSITORY

    def __post_init__(self) -> None:
        if not self.accelerators:
            raise ValueError("DcgmExporterArgs.accelerators must name at least one accelerator label value")
        if self.image is not None and parse_image(self.image)[2] is None:
            raise ValueError(f"DcgmExporterArgs.image must be pinned by digest, got {self.image!r}")


def dcgm_exporter_values(args: DcgmExporterArgs) -> dict[str, Any]:
    """Chart values: GPU nodes only, the GPU taint tolerated, scraping as configured."""
    # The same placement as the device plugin: the pools' accelerator label, the GPU taint tolerated.
    placement = device_plugin_values(args.accelerators)
    values: dict[str, Any] = {
        "affinity": placement["affinity"],
        "tolerations": placement["tolerations"],
        "serviceMonitor": {
            "enabled": args.service_monitor,
            "interval": "30s",
            "additionalLabels": dict(args.prometheus_labels),
        },
        "service": {
            "enable": True,
            "port": PORT,
            "annotations": (
                {}
                if args.service_monitor
                else {"prometheus.io/scrape": "true", "prometheus.io/port": str(PORT), "prometheus.io/path": "/metrics"}
            ),
        },
    }
    if args.image is not None:
        name, tag, digest = parse_image(args.image)
        # The chart renders `<repository>:<tag>`; `<tag>@<digest>` makes that a pull by digest.
        values["image"] = {"repository": name, "tag": f"{tag or IMAGE_TAG}@{digest}"}
    return values


class DcgmExporter(pulumi.ComponentResource):
    """``dcgm-exporter`` Helm release. Needs an explicit Kubernetes provider in ``opts``."""

    release: k8s.helm.v3.Release
    """The Helm release."""

    def __init__(self, name: str, args: DcgmExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self.release = helm_release(
            f"{name}-release",
            chart=CHART,
            version=args.chart_version,
            repository=args.repository,
            namespace=args.namespace,
            values=dcgm_exporter_values(args),
            opts=child_options(self, opts),
        )
        self.register_outputs({"status": self.release.status})
