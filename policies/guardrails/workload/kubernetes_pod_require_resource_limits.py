"""kubernetes-pod-require-resource-limits: CPU/memory requests and limits set; GPU limits equal requests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .. import conventions
from .._base import Config, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, per_container, resource_quantity
from .._props import as_number

SPEC = Spec(
    name="kubernetes-pod-require-resource-limits",
    area="workload",
    description=(
        "Every init and app container sets CPU and memory requests and limits; a GPU request has an equal limit."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set resources.requests and resources.limits for cpu and memory on every container, and "
        f"{conventions.GPU_RESOURCE} in limits equal to requests (extended resources cannot be overcommitted)."
    ),
    hipaa=("164.308(a)(7)(ii)(E)",),
    nist=("SC-6", "SC-5"),
    resource_types=WORKLOAD_TYPES,
)


def _same_quantity(left: Any, right: Any) -> bool:
    """Quantities are strings or numbers on the wire ("1" and 1.0 are the same GPU count)."""
    left_number, right_number = as_number(left), as_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return str(left) == str(right)


def _problems(_pod_spec: Mapping[str, Any], container: Mapping[str, Any], _config: Config) -> Iterator[str]:
    missing = [
        f"{kind}.{resource}"
        for kind in ("requests", "limits")
        for resource in ("cpu", "memory")
        if resource_quantity(container, kind, resource) in (None, "")
    ]
    if missing:
        yield f"does not set resources {', '.join(missing)}."
    gpu_request = resource_quantity(container, "requests", conventions.GPU_RESOURCE)
    gpu_limit = resource_quantity(container, "limits", conventions.GPU_RESOURCE)
    if gpu_request is not None and not _same_quantity(gpu_request, gpu_limit):
        yield f"requests {gpu_request} {conventions.GPU_RESOURCE} but limits {gpu_limit}; they must be equal."


# Ephemeral (debug) containers cannot declare resources.
POLICY = resource_policy(SPEC, per_container(_problems, skip=("ephemeralContainers",)))
