"""ResourceQuota and LimitRange for an inference namespace on a shared cluster.

On a cluster we do not own (on-prem), the namespace's ceiling must be explicit:
GPUs are scarce and shared with other teams, so the quota caps what the
service can take at its autoscaling peak, and the LimitRange gives containers
without resources (sidecars, debug pods) small defaults instead of "unbounded".
The model cache is a per-pod volume from the site's StorageClass; its storage
is capped here against that class by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import pulumi
import pulumi_kubernetes as k8s

from .common import child_options
from .labels import GPU_RESOURCE

RESOURCE_TYPE = "inference:namespace_guardrails:NamespaceGuardrails"

_QUANTITY = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<suffix>m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_FACTORS = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
}
# Defaults for containers that state no resources; clamped to the namespace's per-container maximum.
DEFAULT_CPU_LIMIT, DEFAULT_CPU_REQUEST = "500m", "100m"
DEFAULT_MEMORY_LIMIT, DEFAULT_MEMORY_REQUEST = "512Mi", "128Mi"


def _split(quantity: str) -> tuple[Decimal, str]:
    match = _QUANTITY.match(quantity)
    if match is None:
        raise ValueError(f"not a Kubernetes quantity such as '500m', '4' or '16Gi': {quantity!r}")
    return Decimal(match["number"]), match["suffix"] or ""


def scale(quantity: str, factor: int) -> str:
    """``quantity`` times ``factor``, in the same unit (``scale("16Gi", 3) == "48Gi"``)."""
    number, suffix = _split(quantity)
    total = number * factor
    text = str(total.quantize(Decimal(1))) if total == total.to_integral_value() else str(total.normalize())
    return f"{text}{suffix}"


def at_most(quantity: str, ceiling: str) -> str:
    """The smaller of two quantities of the same resource, as written."""

    def value(text: str) -> Decimal:
        number, suffix = _split(text)
        return number * _FACTORS[suffix]

    return quantity if value(quantity) <= value(ceiling) else ceiling


@dataclass(frozen=True)
class NamespaceGuardrailsArgs:
    provider: k8s.Provider
    namespace: pulumi.Input[str]
    labels: Mapping[str, str]
    # Pods the service may run at its peak: autoscaling maximum plus the rolling-update surge.
    pod_slots: int
    # Per serving container (inference.resources), as Kubernetes quantities.
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    gpus_per_pod: int
    # Model cache: one volume per pod from this StorageClass, of this size. None: no cache volumes.
    storage_class: str | None = None
    model_cache_size: str | None = None

    def __post_init__(self) -> None:
        if self.pod_slots < 1:
            raise ValueError(f"NamespaceGuardrailsArgs.pod_slots must be >= 1, got {self.pod_slots}")
        if (self.storage_class is None) != (self.model_cache_size is None):
            raise ValueError("NamespaceGuardrailsArgs: set both storage_class and model_cache_size, or neither")


def quota_hard(args: NamespaceGuardrailsArgs) -> dict[str, str]:
    """The ResourceQuota's ``hard`` limits: every pod slot at its full requests and limits."""
    slots = args.pod_slots
    hard = {
        "pods": str(slots),
        "requests.cpu": scale(args.cpu_request, slots),
        "limits.cpu": scale(args.cpu_limit, slots),
        "requests.memory": scale(args.memory_request, slots),
        "limits.memory": scale(args.memory_limit, slots),
        # Extended resources are quota'd by request only (requests == limits for GPUs).
        f"requests.{GPU_RESOURCE}": str(args.gpus_per_pod * slots),
        # Exposure is through the ingress only: no load balancers or node ports from this namespace.
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    if args.storage_class is not None and args.model_cache_size is not None:
        total = scale(args.model_cache_size, slots)
        hard["persistentvolumeclaims"] = str(slots)
        hard["requests.storage"] = total
        hard[f"{args.storage_class}.storageclass.storage.k8s.io/requests.storage"] = total
    else:
        hard["persistentvolumeclaims"] = "0"
    return hard


def limit_range_items(args: NamespaceGuardrailsArgs) -> list[k8s.core.v1.LimitRangeItemArgs]:
    """Per-container ceiling = the serving container's limits; small defaults for everything else."""
    cpu_default = at_most(DEFAULT_CPU_LIMIT, args.cpu_limit)
    memory_default = at_most(DEFAULT_MEMORY_LIMIT, args.memory_limit)
    items = [
        k8s.core.v1.LimitRangeItemArgs(
            type="Container",
            max={"cpu": args.cpu_limit, "memory": args.memory_limit},
            default={"cpu": cpu_default, "memory": memory_default},
            default_request={
                "cpu": at_most(DEFAULT_CPU_REQUEST, cpu_default),
                "memory": at_most(DEFAULT_MEMORY_REQUEST, memory_default),
            },
        )
    ]
    if args.model_cache_size is not None:
        items.append(
            k8s.core.v1.LimitRangeItemArgs(type="PersistentVolumeClaim", max={"storage": args.model_cache_size})
        )
    return items


class NamespaceGuardrails(pulumi.ComponentResource):
    """A ResourceQuota and a LimitRange in an existing namespace."""

    quota_name: pulumi.Output[str]
    """Name of the ResourceQuota."""
    hard: dict[str, str]
    """The quota's hard limits, as computed (known before deployment)."""

    def __init__(self, name: str, args: NamespaceGuardrailsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        child = child_options(self, opts, pulumi.ResourceOptions(provider=args.provider))
        self.hard = quota_hard(args)

        quota = k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=args.namespace, labels=dict(args.labels)),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=self.hard),
            opts=child,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=args.namespace, labels=dict(args.labels)),
            spec=k8s.core.v1.LimitRangeSpecArgs(limits=limit_range_items(args)),
            opts=child,
        )
        self.quota_name = quota.metadata.name
        self.register_outputs({"quotaName": self.quota_name, "hard": self.hard})
