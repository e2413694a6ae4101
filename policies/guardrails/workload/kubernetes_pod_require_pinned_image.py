"""kubernetes-pod-require-pinned-image: every container image is pinned by digest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .._base import Config, Spec, resource_policy
from .._images import pin_problem
from .._k8s import WORKLOAD_TYPES, per_container
from .._props import get

SPEC = Spec(
    name="kubernetes-pod-require-pinned-image",
    area="workload",
    description="Every container image of a Kubernetes workload is pinned by digest (@sha256:...), never a bare tag.",
    severity=Severity.HIGH,
    remediation="Reference images as registry/repository[:tag]@sha256:<digest> (inference.image.reference).",
    hipaa=("164.312(c)(1)",),
    nist=("SI-7", "CM-2", "CM-14"),
    resource_types=WORKLOAD_TYPES,
    needs_computed_values=True,
    computed_values_note="An image built and pushed in the same update (ECR build) has its digest only after the push.",
)


def _problems(_pod_spec: Mapping[str, Any], container: Mapping[str, Any], _config: Config) -> Iterator[str]:
    problem = pin_problem(get(container, "image"))
    if problem:
        yield problem


POLICY = resource_policy(SPEC, per_container(_problems, isolate_unknowns=True))
