"""NVIDIA GPU Operator for clusters we do not build ourselves (on-prem, hybrid on-prem side).

On EKS the node AMI carries the driver and `device_plugin` installs only the
device plugin. On an existing cluster the nodes are whatever the site runs, so
the operator manages the whole stack: driver (optional), container toolkit,
device plugin, DCGM exporter, and GPU feature discovery.

GPU node labels and taints are the operator's, not ours: its node feature
discovery and GPU feature discovery label every node that has an NVIDIA GPU
with ``nvidia.com/gpu.present=true`` (plus ``nvidia.com/gpu.product``,
``nvidia.com/gpu.count`` and friends), and the device plugin advertises the
``nvidia.com/gpu`` resource. Workloads select those labels (see
``GPU_PRESENT_LABEL``). The operator does not taint nodes; a site that wants
GPU nodes reserved taints them ``nvidia.com/gpu=true:NoSchedule`` (the
project's convention, see docs/architecture.md) and the inference pods
tolerate it either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from .common import child_options

RESOURCE_TYPE = "inference:gpu_operator:GpuOperator"

CHART = "gpu-operator"
CHART_REPOSITORY = "https://helm.ngc.nvidia.com/nvidia"
# Set by the operator's GPU feature discovery on every node with an NVIDIA GPU.
GPU_PRESENT_LABEL = ("nvidia.com/gpu.present", "true")


@dataclass(frozen=True)
class GpuOperatorArgs:
    provider: k8s.Provider
    # Pinned chart version (e.g. "v25.3.0"); it also pins every operand image tag.
    chart_version: str
    # On-prem nodes usually lack the driver; nodes with a preinstalled driver set this False.
    install_driver: bool
    namespace: str
    # The project's namespace labels (labels.py); merged with the Pod Security level below.
    labels: Mapping[str, str]
    # A ServiceMonitor for the DCGM exporter needs the Prometheus Operator CRDs in the cluster.
    dcgm_service_monitor: bool = False
    chart_repository: str = CHART_REPOSITORY


def operator_values(args: GpuOperatorArgs) -> dict[str, object]:
    """Helm values: the operator's defaults plus the settings this project relies on."""
    return {
        "driver": {"enabled": args.install_driver},
        "toolkit": {"enabled": True},
        "devicePlugin": {"enabled": True},
        # Node feature discovery + GPU feature discovery produce the nvidia.com/gpu.* node labels.
        "nfd": {"enabled": True},
        "gfd": {"enabled": True},
        "dcgmExporter": {
            "enabled": True,
            "serviceMonitor": {"enabled": args.dcgm_service_monitor},
        },
        # We create and label the namespace ourselves (below); the chart must not relabel it.
        "psa": {"enabled": False},
    }


class GpuOperator(pulumi.ComponentResource):
    """The GPU Operator Helm release in its own namespace."""

    namespace: pulumi.Output[str]
    """Namespace the operator runs in."""
    release_name: pulumi.Output[str]
    """Helm release name."""
    chart_version: pulumi.Output[str]
    """Chart version actually requested."""

    def __init__(self, name: str, args: GpuOperatorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        child = child_options(self, opts, pulumi.ResourceOptions(provider=args.provider))

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels={
                    **args.labels,
                    "app.kubernetes.io/name": CHART,
                    # The driver and toolkit daemonsets load kernel modules and write host paths:
                    # privileged is the only level they run under. The inference namespace stays restricted.
                    "pod-security.kubernetes.io/enforce": "privileged",
                    "pod-security.kubernetes.io/warn": "privileged",
                    "pod-security.kubernetes.io/audit": "privileged",
                },
            ),
            opts=child,
        )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
            namespace=namespace.metadata.name,
            create_namespace=False,
            values=operator_values(args),
            # Driver builds take minutes per node; a failed upgrade is cleaned up, history kept for rollback.
            timeout=1200,
            cleanup_on_fail=True,
            max_history=10,
            opts=child,
        )

        self.namespace = namespace.metadata.name
        self.release_name = release.name.apply(lambda value: value or CHART)
        self.chart_version = pulumi.Output.from_input(args.chart_version)
        self.register_outputs(
            {"namespace": self.namespace, "releaseName": self.release_name, "chartVersion": self.chart_version}
        )
