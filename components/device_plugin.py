"""NVIDIA device plugin as a pinned Helm release, for GPU nodes whose AMI already carries the driver."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .common import child_options, helm_release
from .labels import ACCELERATOR_LABEL, GPU_TAINT_EFFECT, GPU_TAINT_KEY

RESOURCE_TYPE = "inference:device_plugin:DevicePlugin"

CHART = "nvidia-device-plugin"
CHART_REPOSITORY = "https://nvidia.github.io/k8s-device-plugin"


def device_plugin_values(accelerators: Sequence[str]) -> dict[str, Any]:
    """Chart values: run only on our GPU nodes, tolerate their taint, no driver or feature discovery.

    The EKS NVIDIA AMIs ship the driver and container toolkit, so the plugin only has to advertise
    ``nvidia.com/gpu``. The chart's default affinity keys on node-feature-discovery labels that EKS
    nodes do not have; the pools' own accelerator label replaces it.
    """
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": ACCELERATOR_LABEL, "operator": "In", "values": list(accelerators)}
                            ]
                        }
                    ]
                }
            }
        },
        "tolerations": [
            {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": GPU_TAINT_EFFECT},
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
        ],
        "priorityClassName": "system-node-critical",
        "failOnInitError": True,
        "gfd": {"enabled": False},
        "nfd": {"enabled": False},
    }


@dataclass(frozen=True)
class DevicePluginArgs:
    chart_version: str
    """Pinned chart version (e.g. ``0.17.1``)."""
    accelerators: Sequence[str]
    """Values of the accelerator node label whose nodes need the plugin."""
    namespace: str = "kube-system"
    repository: str = CHART_REPOSITORY
    extra_values: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.accelerators:
            raise ValueError("DevicePluginArgs.accelerators must name at least one accelerator label value")


class DevicePlugin(pulumi.ComponentResource):
    """``nvidia-device-plugin`` Helm release. Needs an explicit Kubernetes provider in ``opts``."""

    release: k8s.helm.v3.Release
    """The Helm release."""

    def __init__(self, name: str, args: DevicePluginArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        values = {**device_plugin_values(args.accelerators), **(args.extra_values or {})}
        self.release = helm_release(
            f"{name}-release",
            chart=CHART,
            version=args.chart_version,
            repository=args.repository,
            namespace=args.namespace,
            values=values,
            opts=child_options(self, opts),
        )
        self.register_outputs({"status": self.release.status})
