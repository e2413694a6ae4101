"""kubernetes-pod-restrict-image-registry: images come only from allowed registries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .. import _params
from .._base import Config, Spec, resource_policy
from .._images import registry_problem
from .._k8s import WORKLOAD_TYPES, per_container
from .._props import get

SPEC = Spec(
    name="kubernetes-pod-restrict-image-registry",
    area="workload",
    description="Every container image of a Kubernetes workload comes from an allowed registry.",
    severity=Severity.HIGH,
    remediation="Mirror the image into an allowed registry (ECR, nvcr.io or the site registry) and reference it there.",
    hipaa=("164.312(c)(1)",),
    nist=("SR-3", "SI-7", "CM-7(5)"),
    config={"allowedRegistries": _params.ALLOWED_REGISTRIES},
    resource_types=WORKLOAD_TYPES,
    needs_computed_values=True,
    computed_values_note="An image built and pushed in the same update names its ECR repository URL only after create.",
)


def _problems(_pod_spec: Mapping[str, Any], container: Mapping[str, Any], config: Config) -> Iterator[str]:
    problem = registry_problem(get(container, "image"), list(config["allowedRegistries"]))
    if problem:
        yield problem


POLICY = resource_policy(SPEC, per_container(_problems, isolate_unknowns=True))
